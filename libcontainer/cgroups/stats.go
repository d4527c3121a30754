package cgroups

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Stats is a snapshot of a container's cgroup counters. The JSON layout is
// the "data" of runc's `events --stats`, which engines and tools parse.
type Stats struct {
	CPU     CPUStats                `json:"cpu"`
	CPUSet  CPUSetStats             `json:"cpuset"`
	Memory  MemoryStats             `json:"memory"`
	Pids    PidsStats               `json:"pids"`
	Blkio   BlkioStats              `json:"blkio"`
	Hugetlb map[string]HugetlbStats `json:"hugetlb"`
}

// CPUUsage is in nanoseconds.
type CPUUsage struct {
	Total        uint64   `json:"total,omitempty"`
	Percpu       []uint64 `json:"percpu,omitempty"`
	PercpuKernel []uint64 `json:"percpu_kernel,omitempty"`
	PercpuUser   []uint64 `json:"percpu_user,omitempty"`
	Kernel       uint64   `json:"kernel"`
	User         uint64   `json:"user"`
}

// Throttling counts CFS bandwidth periods; ThrottledTime is in nanoseconds.
type Throttling struct {
	Periods          uint64 `json:"periods,omitempty"`
	ThrottledPeriods uint64 `json:"throttledPeriods,omitempty"`
	ThrottledTime    uint64 `json:"throttledTime,omitempty"`
}

type CPUStats struct {
	Usage      CPUUsage   `json:"usage"`
	Throttling Throttling `json:"throttling"`
}

type CPUSetStats struct {
	CPUs                  []uint16 `json:"cpus,omitempty"`
	CPUExclusive          uint64   `json:"cpu_exclusive"`
	Mems                  []uint16 `json:"mems,omitempty"`
	MemHardwall           uint64   `json:"mem_hardwall"`
	MemExclusive          uint64   `json:"mem_exclusive"`
	MemoryMigrate         uint64   `json:"memory_migrate"`
	MemorySpreadPage      uint64   `json:"memory_spread_page"`
	MemorySpreadSlab      uint64   `json:"memory_spread_slab"`
	MemoryPressure        uint64   `json:"memory_pressure"`
	SchedLoadBalance      uint64   `json:"sched_load_balance"`
	SchedRelaxDomainLevel int64    `json:"sched_relax_domain_level"`
}

// MemoryEntry is one memory counter family. An unlimited limit is
// math.MaxUint64 on cgroup v2 and the kernel's page-aligned maximum on v1,
// as runc reports them.
type MemoryEntry struct {
	Limit   uint64 `json:"limit"`
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

type MemoryStats struct {
	Cache     uint64            `json:"cache,omitempty"`
	Usage     MemoryEntry       `json:"usage"`
	Swap      MemoryEntry       `json:"swap"`
	Kernel    MemoryEntry       `json:"kernel"`
	KernelTCP MemoryEntry       `json:"kernelTCP"`
	Raw       map[string]uint64 `json:"raw,omitempty"`
}

// PidsStats: Limit 0 means unlimited.
type PidsStats struct {
	Current uint64 `json:"current,omitempty"`
	Limit   uint64 `json:"limit,omitempty"`
}

type BlkioEntry struct {
	Major uint64 `json:"major,omitempty"`
	Minor uint64 `json:"minor,omitempty"`
	Op    string `json:"op,omitempty"`
	Value uint64 `json:"value,omitempty"`
}

type BlkioStats struct {
	IoServiceBytesRecursive []BlkioEntry `json:"ioServiceBytesRecursive,omitempty"`
	IoServicedRecursive     []BlkioEntry `json:"ioServicedRecursive,omitempty"`
	IoQueuedRecursive       []BlkioEntry `json:"ioQueueRecursive,omitempty"`
	IoServiceTimeRecursive  []BlkioEntry `json:"ioServiceTimeRecursive,omitempty"`
	IoWaitTimeRecursive     []BlkioEntry `json:"ioWaitTimeRecursive,omitempty"`
	IoMergedRecursive       []BlkioEntry `json:"ioMergedRecursive,omitempty"`
	IoTimeRecursive         []BlkioEntry `json:"ioTimeRecursive,omitempty"`
	SectorsRecursive        []BlkioEntry `json:"sectorsRecursive,omitempty"`
}

type HugetlbStats struct {
	Usage   uint64 `json:"usage,omitempty"`
	Max     uint64 `json:"max,omitempty"`
	Failcnt uint64 `json:"failcnt"`
}

// Stats reads every controller the container has. A controller whose files
// are missing (not mounted, not enabled on this host) is left at zero; any
// other read or parse failure is an error naming the file.
func (m *manager) Stats() (*Stats, error) {
	s := &Stats{Hugetlb: map[string]HugetlbStats{}}
	for _, read := range []func(*Stats) error{
		m.cpuStats, m.cpusetStats, m.memoryStats, m.pidsStats, m.blkioStats, m.hugetlbStats,
	} {
		if err := read(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// errAbsent marks a control file that does not exist: the controller is
// not available there, which is not an error for stats.
var errAbsent = errors.New("absent")

// statFile reads dir/name for stats, mapping a missing file to errAbsent.
func statFile(dir, name string) (string, error) {
	s, err := readFile(dir, name)
	if errors.Is(err, os.ErrNotExist) {
		return "", errAbsent
	}
	if err != nil {
		return "", fmt.Errorf("cgroups: stats: read %s: %w", filepath.Join(dir, name), unwrapPath(err))
	}
	return s, nil
}

// statUint reads a single-number file; "max" is math.MaxUint64.
func statUint(dir, name string) (uint64, error) {
	s, err := statFile(dir, name)
	if err != nil {
		return 0, err
	}
	return parseStatUint(s, filepath.Join(dir, name))
}

func parseStatUint(s, where string) (uint64, error) {
	if s == "max" {
		return math.MaxUint64, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		// Some v1 files (memory.soft_limit_in_bytes of an unlimited
		// cgroup) can read back as a negative number.
		if i, ierr := strconv.ParseInt(s, 10, 64); ierr == nil && i < 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("cgroups: stats: %s: not a number: %q", where, s)
	}
	return v, nil
}

// optional turns errAbsent into "no value".
func optional(v uint64, err error) (uint64, error) {
	if errors.Is(err, errAbsent) {
		return 0, nil
	}
	return v, err
}

// statKeyed parses "key value" lines (cpu.stat, memory.stat, memory.events).
func statKeyed(dir, name string) (map[string]uint64, error) {
	s, err := statFile(dir, name)
	if err != nil {
		return nil, err
	}
	return parseKeyed(s, filepath.Join(dir, name))
}

func parseKeyed(s, where string) (map[string]uint64, error) {
	out := map[string]uint64{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("cgroups: stats: %s: bad line %q", where, sc.Text())
		}
		v, err := parseStatUint(f[1], where)
		if err != nil {
			return nil, err
		}
		out[f[0]] = v
	}
	return out, nil
}

// parseUintList parses the space-separated numbers of cpuacct.usage_percpu.
func parseUintList(s, where string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Fields(s) {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cgroups: stats: %s: not a number: %q", where, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// parseCPUList parses a cpuset list such as "0-3,8,10-11".
func parseCPUList(s, where string) ([]uint16, error) {
	var out []uint16
	if s == "" {
		return nil, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("cgroups: stats: %s: bad list %q", where, s)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil || b < a {
				return nil, fmt.Errorf("cgroups: stats: %s: bad list %q", where, s)
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, uint16(i))
		}
	}
	return out, nil
}

func (m *manager) pidsStats(s *Stats) error {
	dir, _, ok := m.dirFor("pids")
	if !ok {
		return nil
	}
	cur, err := optional(statUint(dir, "pids.current"))
	if err != nil {
		return err
	}
	lim, err := optional(statUint(dir, "pids.max"))
	if err != nil {
		return err
	}
	if lim == math.MaxUint64 {
		lim = 0 // runc reports "max" as no limit
	}
	s.Pids = PidsStats{Current: cur, Limit: lim}
	return nil
}

func (m *manager) cpusetStats(s *Stats) error {
	dir, v2, ok := m.dirFor("cpuset")
	if !ok {
		return nil
	}
	cpus, mems := "cpuset.cpus", "cpuset.mems"
	if v2 {
		cpus, mems = "cpuset.cpus.effective", "cpuset.mems.effective"
	}
	for _, x := range []struct {
		file string
		dst  *[]uint16
	}{{cpus, &s.CPUSet.CPUs}, {mems, &s.CPUSet.Mems}} {
		v, err := statFile(dir, x.file)
		if errors.Is(err, errAbsent) {
			continue
		}
		if err != nil {
			return err
		}
		if *x.dst, err = parseCPUList(v, filepath.Join(dir, x.file)); err != nil {
			return err
		}
	}
	if v2 {
		return nil
	}
	c := &s.CPUSet
	for _, x := range []struct {
		file string
		dst  *uint64
	}{
		{"cpuset.cpu_exclusive", &c.CPUExclusive}, {"cpuset.mem_hardwall", &c.MemHardwall},
		{"cpuset.mem_exclusive", &c.MemExclusive}, {"cpuset.memory_migrate", &c.MemoryMigrate},
		{"cpuset.memory_spread_page", &c.MemorySpreadPage}, {"cpuset.memory_spread_slab", &c.MemorySpreadSlab},
		{"cpuset.memory_pressure", &c.MemoryPressure}, {"cpuset.sched_load_balance", &c.SchedLoadBalance},
	} {
		v, err := optional(statUint(dir, x.file))
		if err != nil {
			return err
		}
		*x.dst = v
	}
	if v, err := statFile(dir, "cpuset.sched_relax_domain_level"); err == nil {
		if c.SchedRelaxDomainLevel, err = strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("cgroups: stats: %s: not a number: %q", filepath.Join(dir, "cpuset.sched_relax_domain_level"), v)
		}
	} else if !errors.Is(err, errAbsent) {
		return err
	}
	return nil
}

// hugePageSizes lists the host's huge page sizes as cgroup file names use
// them ("2MB", "1GB").
func hugePageSizes() []string {
	ents, err := os.ReadDir("/sys/kernel/mm/hugepages")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		kb, ok := strings.CutPrefix(e.Name(), "hugepages-")
		if !ok {
			continue
		}
		kb, ok = strings.CutSuffix(kb, "kB")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(kb, 10, 64)
		if err != nil || n == 0 {
			continue
		}
		out = append(out, hugePageName(n))
	}
	return out
}

// hugePageName renders a size in kB with the largest unit that divides it.
func hugePageName(kb uint64) string {
	units := []string{"KB", "MB", "GB", "TB", "PB"}
	i := 0
	for kb%1024 == 0 && i < len(units)-1 {
		kb /= 1024
		i++
	}
	return strconv.FormatUint(kb, 10) + units[i]
}

func (m *manager) hugetlbStats(s *Stats) error {
	dir, v2, ok := m.dirFor("hugetlb")
	if !ok {
		return nil
	}
	for _, size := range hugePageSizes() {
		var h HugetlbStats
		var err error
		if v2 {
			h.Usage, err = statUint(dir, "hugetlb."+size+".current")
			if errors.Is(err, errAbsent) {
				continue
			}
			if err != nil {
				return err
			}
			ev, err := statKeyed(dir, "hugetlb."+size+".events")
			if err != nil && !errors.Is(err, errAbsent) {
				return err
			}
			h.Failcnt = ev["max"]
		} else {
			h.Usage, err = statUint(dir, "hugetlb."+size+".usage_in_bytes")
			if errors.Is(err, errAbsent) {
				continue
			}
			if err != nil {
				return err
			}
			if h.Max, err = optional(statUint(dir, "hugetlb."+size+".max_usage_in_bytes")); err != nil {
				return err
			}
			if h.Failcnt, err = optional(statUint(dir, "hugetlb."+size+".failcnt")); err != nil {
				return err
			}
		}
		s.Hugetlb[size] = h
	}
	return nil
}
