package cgroups

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Set writes every resource the config sets. Fields left nil are not
// touched, which is what `update` relies on. Unified entries go last so they
// can override the translated values.
func (m *manager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	steps := []func(*specs.LinuxResources) error{
		m.setDevices, m.setMemory, m.setCPU, m.setCpuset, m.setPids,
		m.setBlockIO, m.setHugetlb, m.setNetwork, m.setRdma, m.setUnified,
	}
	for _, step := range steps {
		if err := step(r); err != nil {
			return err
		}
	}
	return nil
}

// need locates a controller for a field the config sets.
func (m *manager) need(field, ctrl string) (string, bool, error) {
	dir, v2, ok := m.dirFor(ctrl)
	if !ok {
		return "", false, fmt.Errorf("linux.resources.%s: not supported by this host (no %s controller)", field, ctrl)
	}
	return dir, v2, nil
}

func (m *manager) setPids(r *specs.LinuxResources) error {
	if r.Pids == nil || r.Pids.Limit == nil {
		return nil
	}
	// 0 stays "unlimited", as when the field was a plain int64.
	v := *r.Pids.Limit
	if v == 0 {
		v = -1
	}
	dir, v2, err := m.need("pids.limit", "pids")
	if v < 0 && (err != nil || v2 && !fileExists(dir, "pids.max")) {
		return nil // no limit, and no controller to lift one in
	}
	if err != nil {
		return err
	}
	return set("pids.limit", dir, "pids.max", maxOr(v))
}

func (m *manager) setCpuset(r *specs.LinuxResources) error {
	if r.CPU == nil {
		return nil
	}
	if r.CPU.Cpus != "" {
		dir, _, err := m.need("cpu.cpus", "cpuset")
		if err != nil {
			return err
		}
		if err := set("cpu.cpus", dir, "cpuset.cpus", r.CPU.Cpus); err != nil {
			return err
		}
	}
	if r.CPU.Mems != "" {
		dir, _, err := m.need("cpu.mems", "cpuset")
		if err != nil {
			return err
		}
		if err := set("cpu.mems", dir, "cpuset.mems", r.CPU.Mems); err != nil {
			return err
		}
	}
	return nil
}
