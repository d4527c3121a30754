package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Validate rejects resource fields this host cannot honour, naming the
// field. Only fields the config sets are checked. It looks at the hierarchy
// roots only, so per-cgroup problems (a parent without a controller, a value
// the kernel refuses) still surface from Set.
func Validate(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	h, err := detect()
	if err != nil {
		return err
	}
	v := validator{h: h, usable: h.v2Usable()}
	for _, check := range []func(*specs.LinuxResources) error{
		v.devices, v.memory, v.cpu, v.pids, v.blockIO, v.hugetlb, v.network, v.rdma, v.unified,
	} {
		if err := check(r); err != nil {
			return err
		}
	}
	return nil
}

type validator struct {
	h      *host
	usable map[string]bool
}

// where reports the hierarchy that serves ctrl: a v1 mount root, or the
// cgroup2 root when the host delegates the controller there (v2Name is
// its cgroup2 name, e.g. "io" for blkio).
func (v validator) where(field, ctrl, v2Name string) (root string, v2 bool, err error) {
	if mnt, ok := v.h.v1[ctrl]; ok {
		return mnt, false, nil
	}
	if v.h.unified != "" && v2Name != "" && v.usable[v2Name] {
		return v.h.unified, true, nil
	}
	return "", false, fmt.Errorf("linux.resources.%s: not supported by this host (no %s controller)", field, ctrl)
}

// needFile checks for a file that the kernel also shows in the root cgroup.
func needFile(field, root, name string) error {
	if _, err := os.Stat(filepath.Join(root, name)); err != nil {
		return fmt.Errorf("linux.resources.%s: not supported by this host (no %s)", field, name)
	}
	return nil
}

func (v validator) devices(r *specs.LinuxResources) error {
	for i, d := range r.Devices {
		if _, err := toDevRules(d); err != nil {
			return fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
	}
	if len(r.Devices) > 0 && v.h.mode != Unified {
		if _, ok := v.h.v1["devices"]; !ok {
			return fmt.Errorf("linux.resources.devices: not supported by this host (no devices controller)")
		}
	}
	return nil
}

func (v validator) memory(r *specs.LinuxResources) error {
	mem := r.Memory
	if mem == nil || (mem.Limit == nil && mem.Reservation == nil && mem.Swap == nil && mem.KernelTCP == nil &&
		mem.Swappiness == nil && mem.DisableOOMKiller == nil && mem.UseHierarchy == nil) {
		return nil
	}
	root, v2, err := v.where("memory", "memory", "memory")
	if err != nil {
		return err
	}
	if v2 {
		if err := v2MemoryUnsupported(mem); err != nil {
			return err
		}
		_, _, err := swapV2(mem.Limit, mem.Swap)
		return err
	}
	if mem.Swap != nil {
		if err := needFile("memory.swap", root, "memory.memsw.limit_in_bytes"); err != nil {
			return fmt.Errorf("%w; swap accounting is off (swapaccount=1)", err)
		}
	}
	if mem.KernelTCP != nil {
		if err := needFile("memory.kernelTCP", root, "memory.kmem.tcp.limit_in_bytes"); err != nil {
			return err
		}
	}
	return nil
}

func (v validator) cpu(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil {
		return nil
	}
	if c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil ||
		c.RealtimeRuntime != nil || c.RealtimePeriod != nil || c.Idle != nil {
		root, v2, err := v.where("cpu", "cpu", "cpu")
		if err != nil {
			return err
		}
		if v2 {
			if c.RealtimeRuntime != nil || c.RealtimePeriod != nil {
				return fmt.Errorf("linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported by cgroup v2")
			}
			if c.Quota != nil && *c.Quota == 0 {
				return fmt.Errorf("linux.resources.cpu.quota: 0 is not a valid quota (use -1 for unlimited)")
			}
		} else {
			for _, x := range []struct {
				set         bool
				field, file string
			}{
				{c.Burst != nil, "cpu.burst", "cpu.cfs_burst_us"},
				{c.Idle != nil, "cpu.idle", "cpu.idle"},
				{c.RealtimeRuntime != nil, "cpu.realtimeRuntime", "cpu.rt_runtime_us"},
				{c.RealtimePeriod != nil, "cpu.realtimePeriod", "cpu.rt_period_us"},
			} {
				if x.set {
					if err := needFile(x.field, root, x.file); err != nil {
						return err
					}
				}
			}
		}
	}
	if c.Cpus != "" {
		if _, _, err := v.where("cpu.cpus", "cpuset", "cpuset"); err != nil {
			return err
		}
	}
	if c.Mems != "" {
		if _, _, err := v.where("cpu.mems", "cpuset", "cpuset"); err != nil {
			return err
		}
	}
	return nil
}

func (v validator) pids(r *specs.LinuxResources) error {
	// No limit (-1, or 0) needs no controller: podman sends -1.
	if r.Pids == nil || r.Pids.Limit == nil || *r.Pids.Limit <= 0 {
		return nil
	}
	_, _, err := v.where("pids.limit", "pids", "pids")
	return err
}

func (v validator) blockIO(r *specs.LinuxResources) error {
	b := r.BlockIO
	if b == nil {
		return nil
	}
	var need []string
	// 0 is "unset" (docker sends it), see setBlkioV1.
	if b.Weight != nil && *b.Weight != 0 {
		need = append(need, "weight")
	}
	if b.LeafWeight != nil && *b.LeafWeight != 0 {
		need = append(need, "leafWeight")
	}
	for i, wd := range b.WeightDevice {
		if wd.Weight != nil {
			need = append(need, fmt.Sprintf("weightDevice[%d].weight", i))
		}
		if wd.LeafWeight != nil {
			need = append(need, fmt.Sprintf("weightDevice[%d].leafWeight", i))
		}
	}
	for _, t := range throttles(b) {
		if len(t.devs) > 0 {
			need = append(need, t.field)
		}
	}
	if len(need) == 0 {
		return nil
	}
	root, v2, err := v.where("blockIO", "blkio", "io")
	if err != nil {
		return err
	}
	for _, f := range need {
		leaf := strings.Contains(f, "leafWeight")
		switch {
		case v2 && leaf:
			return fmt.Errorf("linux.resources.blockIO.%s: not supported by cgroup v2", f)
		case v2:
		case leaf:
			// CFQ only; BFQ has no leaf weights.
			if err := needFile("blockIO."+f, root, "blkio.leaf_weight"); err != nil {
				return err
			}
		case strings.HasPrefix(f, "weight"):
			// blkio.bfq.weight is hidden in the root cgroup, but its
			// statistics files are not: they tell that BFQ is registered.
			if needFile("", root, "blkio.weight") != nil && needFile("", root, "blkio.bfq.io_service_bytes") != nil {
				return fmt.Errorf("linux.resources.blockIO.%s: not supported by this host (no blkio.weight)", f)
			}
		default:
			if err := needFile("blockIO."+f, root, "blkio.throttle.read_bps_device"); err != nil {
				return err
			}
		}
	}
	return nil
}

func (v validator) hugetlb(r *specs.LinuxResources) error {
	for i, h := range r.HugepageLimits {
		field := fmt.Sprintf("hugepageLimits[%d]", i)
		kb, err := pageSizeKB(h.Pagesize)
		if err != nil {
			return fmt.Errorf("linux.resources.%s.pageSize: %w", field, err)
		}
		sys := fmt.Sprintf("/sys/kernel/mm/hugepages/hugepages-%dkB", kb)
		if _, err := os.Stat(sys); err != nil {
			return fmt.Errorf("linux.resources.%s.pageSize: %s is not a huge page size of this host (no %s)", field, h.Pagesize, sys)
		}
		if _, _, err := v.where(field, "hugetlb", "hugetlb"); err != nil {
			return err
		}
	}
	return nil
}

func (v validator) network(r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		if _, _, err := v.where("network.classID", "net_cls", ""); err != nil {
			return err
		}
	}
	for i := range n.Priorities {
		if _, _, err := v.where(fmt.Sprintf("network.priorities[%d]", i), "net_prio", ""); err != nil {
			return err
		}
	}
	return nil
}

func (v validator) rdma(r *specs.LinuxResources) error {
	for name := range r.Rdma {
		if _, _, err := v.where(fmt.Sprintf("rdma[%q]", name), "rdma", "rdma"); err != nil {
			return err
		}
	}
	return nil
}

func (v validator) unified(r *specs.LinuxResources) error {
	for k := range r.Unified {
		if err := unifiedKeyErr(k); err != nil {
			return err
		}
		if v.h.unified == "" {
			return fmt.Errorf("linux.resources.unified[%q]: not supported by this host (no cgroup v2 hierarchy)", k)
		}
		ctrl, _, _ := strings.Cut(k, ".")
		// cgroup.* and the PSI files are core files, present without any
		// controller.
		if ctrl == "cgroup" || strings.HasSuffix(k, ".pressure") || v.usable[ctrl] {
			continue
		}
		return fmt.Errorf("linux.resources.unified[%q]: not supported by this host (controller %s not enabled in %s)",
			k, ctrl, filepath.Join(v.h.unified, "cgroup.subtree_control"))
	}
	return nil
}
