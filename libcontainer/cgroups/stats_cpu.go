package cgroups

import (
	"errors"
	"path/filepath"
)

// userHZ is the unit of cpuacct.stat: USER_HZ, 100 on every Linux ABI.
const userHZ = 100

func (m *manager) cpuStats(s *Stats) error {
	acct, v2, ok := m.dirFor("cpuacct")
	if !ok {
		return nil
	}
	if v2 {
		return cpuStatsV2(acct, s)
	}
	if err := cpuacctStatsV1(acct, s); err != nil {
		return err
	}
	if dir, v2, ok := m.dirFor("cpu"); ok && !v2 {
		st, err := statKeyed(dir, "cpu.stat")
		if errors.Is(err, errAbsent) {
			return nil
		}
		if err != nil {
			return err
		}
		s.CPU.Throttling = Throttling{
			Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_time"],
		}
	}
	return nil
}

func cpuacctStatsV1(dir string, s *Stats) error {
	u := &s.CPU.Usage
	var err error
	if u.Total, err = optional(statUint(dir, "cpuacct.usage")); err != nil {
		return err
	}
	for _, x := range []struct {
		file string
		dst  *[]uint64
	}{
		{"cpuacct.usage_percpu", &u.Percpu},
		{"cpuacct.usage_percpu_sys", &u.PercpuKernel},
		{"cpuacct.usage_percpu_user", &u.PercpuUser},
	} {
		v, err := statFile(dir, x.file)
		if errors.Is(err, errAbsent) {
			continue
		}
		if err != nil {
			return err
		}
		if *x.dst, err = parseUintList(v, filepath.Join(dir, x.file)); err != nil {
			return err
		}
	}
	st, err := statKeyed(dir, "cpuacct.stat")
	if errors.Is(err, errAbsent) {
		return nil
	}
	if err != nil {
		return err
	}
	const nsPerTick = 1e9 / userHZ
	u.User = st["user"] * nsPerTick
	u.Kernel = st["system"] * nsPerTick
	return nil
}

// cpuStatsV2 reads cpu.stat, which cgroup2 keeps in every cgroup (usage
// even without the cpu controller, throttling only with it).
func cpuStatsV2(dir string, s *Stats) error {
	st, err := statKeyed(dir, "cpu.stat")
	if errors.Is(err, errAbsent) {
		return nil
	}
	if err != nil {
		return err
	}
	s.CPU.Usage.Total = st["usage_usec"] * 1000
	s.CPU.Usage.User = st["user_usec"] * 1000
	s.CPU.Usage.Kernel = st["system_usec"] * 1000
	s.CPU.Throttling = Throttling{
		Periods: st["nr_periods"], ThrottledPeriods: st["nr_throttled"], ThrottledTime: st["throttled_usec"] * 1000,
	}
	return nil
}
