package cgroups

import (
	"fmt"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

func (m *manager) setMemory(r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil {
		return nil
	}
	dir, v2, err := m.need("memory", "memory")
	if err != nil {
		return err
	}
	if mem.CheckBeforeUpdate != nil && *mem.CheckBeforeUpdate && mem.Limit != nil && *mem.Limit > 0 {
		usageFile := "memory.usage_in_bytes"
		if v2 {
			usageFile = "memory.current"
		}
		if s, err := readFile(dir, usageFile); err == nil {
			if usage, err := strconv.ParseInt(s, 10, 64); err == nil && *mem.Limit < usage {
				return fmt.Errorf("linux.resources.memory.limit: %d is below the current usage %d (checkBeforeUpdate)", *mem.Limit, usage)
			}
		}
	}
	if mem.Kernel != nil {
		// Deprecated by the spec and a no-op on recent kernels.
		if !v2 && fileExists(dir, "memory.kmem.limit_in_bytes") {
			if err := set("memory.kernel", dir, "memory.kmem.limit_in_bytes", strconv.FormatInt(*mem.Kernel, 10)); err != nil {
				return err
			}
		} else {
			logrus.Warn("linux.resources.memory.kernel: ignored, kernel memory limits are not supported by this host")
		}
	}
	if v2 {
		return setMemoryV2(dir, mem)
	}
	return setMemoryV1(dir, mem)
}

func setMemoryV1(dir string, mem *specs.LinuxMemory) error {
	if err := setLimitAndSwapV1(dir, mem.Limit, mem.Swap); err != nil {
		return err
	}
	if mem.Reservation != nil {
		if err := set("memory.reservation", dir, "memory.soft_limit_in_bytes", strconv.FormatInt(*mem.Reservation, 10)); err != nil {
			return err
		}
	}
	if mem.KernelTCP != nil {
		if err := set("memory.kernelTCP", dir, "memory.kmem.tcp.limit_in_bytes", strconv.FormatInt(*mem.KernelTCP, 10)); err != nil {
			return err
		}
	}
	if mem.Swappiness != nil {
		if err := set("memory.swappiness", dir, "memory.swappiness", strconv.FormatUint(*mem.Swappiness, 10)); err != nil {
			return err
		}
	}
	if mem.DisableOOMKiller != nil {
		if err := set("memory.disableOOMKiller", dir, "memory.oom_control", boolStr(*mem.DisableOOMKiller)); err != nil {
			return err
		}
	}
	if mem.UseHierarchy != nil {
		if err := set("memory.useHierarchy", dir, "memory.use_hierarchy", boolStr(*mem.UseHierarchy)); err != nil {
			return err
		}
	}
	return nil
}

// setLimitAndSwapV1 orders the two writes so that memory.limit_in_bytes <=
// memory.memsw.limit_in_bytes holds after each one; the kernel rejects a
// write that would break it.
func setLimitAndSwapV1(dir string, limit, swap *int64) error {
	const limFile, swFile = "memory.limit_in_bytes", "memory.memsw.limit_in_bytes"
	writeLimit := func() error {
		if limit == nil {
			return nil
		}
		return set("memory.limit", dir, limFile, strconv.FormatInt(*limit, 10))
	}
	if swap == nil {
		// Unlimited memory means unlimited memory+swap too; memsw must be
		// raised first.
		if limit != nil && *limit == -1 && fileExists(dir, swFile) {
			if err := set("memory.limit", dir, swFile, "-1"); err != nil {
				return err
			}
		}
		return writeLimit()
	}
	if !fileExists(dir, swFile) {
		return fmt.Errorf("linux.resources.memory.swap: not supported by this host (no %s; swap accounting is off)", swFile)
	}
	swapFirst := *swap == -1
	if cur, err := readFile(dir, swFile); err == nil && !swapFirst {
		if c, err := strconv.ParseInt(cur, 10, 64); err == nil && *swap > c {
			swapFirst = true
		}
	}
	writeSwap := func() error { return set("memory.swap", dir, swFile, strconv.FormatInt(*swap, 10)) }
	if swapFirst {
		if err := writeSwap(); err != nil {
			return err
		}
		return writeLimit()
	}
	if err := writeLimit(); err != nil {
		return err
	}
	return writeSwap()
}

func setMemoryV2(dir string, mem *specs.LinuxMemory) error {
	if err := v2MemoryUnsupported(mem); err != nil {
		return err
	}
	if mem.Limit != nil {
		if err := set("memory.limit", dir, "memory.max", maxOr(*mem.Limit)); err != nil {
			return err
		}
	}
	if sw, ok, err := swapV2(mem.Limit, mem.Swap); err != nil {
		return err
	} else if ok {
		// Hosts without swap have no memory.swap.max; "unlimited" is then
		// trivially true.
		if sw != "max" || fileExists(dir, "memory.swap.max") {
			if err := set("memory.swap", dir, "memory.swap.max", sw); err != nil {
				return err
			}
		}
	}
	if mem.Reservation != nil {
		if err := set("memory.reservation", dir, "memory.low", maxOr(*mem.Reservation)); err != nil {
			return err
		}
	}
	return nil
}

// v2MemoryUnsupported rejects the v1-only memory fields that the config
// actually sets to something cgroup2 cannot do.
func v2MemoryUnsupported(mem *specs.LinuxMemory) error {
	switch {
	case mem.KernelTCP != nil:
		return fmt.Errorf("linux.resources.memory.kernelTCP: not supported by cgroup v2")
	case mem.Swappiness != nil:
		return fmt.Errorf("linux.resources.memory.swappiness: not supported by cgroup v2")
	case mem.DisableOOMKiller != nil && *mem.DisableOOMKiller:
		return fmt.Errorf("linux.resources.memory.disableOOMKiller: not supported by cgroup v2")
	case mem.UseHierarchy != nil && !*mem.UseHierarchy:
		return fmt.Errorf("linux.resources.memory.useHierarchy: cgroup v2 is always hierarchical")
	}
	return nil
}

func boolStr(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
