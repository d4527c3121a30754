package cgroups

import (
	"errors"
	"math"
)

func (m *manager) memoryStats(s *Stats) error {
	dir, v2, ok := m.dirFor("memory")
	if !ok {
		return nil
	}
	if v2 {
		return memoryStatsV2(dir, s)
	}
	return memoryStatsV1(dir, s)
}

func memoryStatsV1(dir string, s *Stats) error {
	ms := &s.Memory
	for _, x := range []struct {
		prefix string
		dst    *MemoryEntry
	}{
		{"memory", &ms.Usage}, {"memory.memsw", &ms.Swap},
		{"memory.kmem", &ms.Kernel}, {"memory.kmem.tcp", &ms.KernelTCP},
	} {
		e, err := memoryEntryV1(dir, x.prefix)
		if errors.Is(err, errAbsent) {
			continue // no swap accounting, no kmem: left at zero
		}
		if err != nil {
			return err
		}
		*x.dst = e
	}
	raw, err := statKeyed(dir, "memory.stat")
	if errors.Is(err, errAbsent) {
		return nil
	}
	if err != nil {
		return err
	}
	ms.Raw = raw
	ms.Cache = raw["cache"]
	return nil
}

// memoryEntryV1 reads <prefix>.{usage_in_bytes,max_usage_in_bytes,failcnt,limit_in_bytes};
// errAbsent when the family does not exist.
func memoryEntryV1(dir, prefix string) (MemoryEntry, error) {
	var e MemoryEntry
	var err error
	if e.Usage, err = statUint(dir, prefix+".usage_in_bytes"); err != nil {
		return e, err
	}
	for _, x := range []struct {
		file string
		dst  *uint64
	}{
		{".max_usage_in_bytes", &e.Max}, {".failcnt", &e.Failcnt}, {".limit_in_bytes", &e.Limit},
	} {
		if *x.dst, err = optional(statUint(dir, prefix+x.file)); err != nil {
			return e, err
		}
	}
	return e, nil
}

func memoryStatsV2(dir string, s *Stats) error {
	ms := &s.Memory
	usage, err := memoryEntryV2(dir, "memory")
	if errors.Is(err, errAbsent) {
		return nil // memory controller not enabled for this cgroup
	}
	if err != nil {
		return err
	}
	ms.Usage = usage
	swap, err := memoryEntryV2(dir, "memory.swap")
	if err != nil && !errors.Is(err, errAbsent) {
		return err
	}
	// v1 reports swap as memory+swap and engines expect that meaning, so
	// v2's swap-only numbers are added to memory's.
	swap.Usage += usage.Usage
	if swap.Limit != math.MaxUint64 && usage.Limit != math.MaxUint64 {
		swap.Limit += usage.Limit
	} else {
		swap.Limit = math.MaxUint64
	}
	ms.Swap = swap
	raw, err := statKeyed(dir, "memory.stat")
	if err != nil && !errors.Is(err, errAbsent) {
		return err
	}
	ms.Raw = raw
	ms.Cache = raw["file"]
	return nil
}

// memoryEntryV2 reads <prefix>.{current,max,peak} and the "max" count of
// <prefix>.events as the failure count.
func memoryEntryV2(dir, prefix string) (MemoryEntry, error) {
	var e MemoryEntry
	var err error
	if e.Usage, err = statUint(dir, prefix+".current"); err != nil {
		return e, err
	}
	if e.Limit, err = optional(statUint(dir, prefix+".max")); err != nil {
		return e, err
	}
	if e.Max, err = optional(statUint(dir, prefix+".peak")); err != nil {
		return e, err
	}
	ev, err := statKeyed(dir, prefix+".events")
	if err != nil && !errors.Is(err, errAbsent) {
		return e, err
	}
	e.Failcnt = ev["max"]
	return e, nil
}
