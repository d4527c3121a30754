package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *manager) setCPU(r *specs.LinuxResources) error {
	c := r.CPU
	if c == nil || (c.Shares == nil && c.Quota == nil && c.Period == nil && c.Burst == nil &&
		c.RealtimeRuntime == nil && c.RealtimePeriod == nil && c.Idle == nil) {
		return nil
	}
	dir, v2, err := m.need("cpu", "cpu")
	if err != nil {
		return err
	}
	if v2 {
		return setCPUV2(dir, c)
	}
	return setCPUV1(dir, c)
}

func setCPUV1(dir string, c *specs.LinuxCPU) error {
	type w struct {
		field, file string
		val         *string
	}
	u := func(p *uint64) *string {
		if p == nil {
			return nil
		}
		s := strconv.FormatUint(*p, 10)
		return &s
	}
	i := func(p *int64) *string {
		if p == nil {
			return nil
		}
		s := strconv.FormatInt(*p, 10)
		return &s
	}
	// Period before quota, quota before burst, rt period before rt runtime:
	// each later value is validated against the earlier one.
	for _, x := range []w{
		{"cpu.shares", "cpu.shares", u(c.Shares)},
		{"cpu.period", "cpu.cfs_period_us", u(c.Period)},
		{"cpu.quota", "cpu.cfs_quota_us", i(c.Quota)},
		{"cpu.burst", "cpu.cfs_burst_us", u(c.Burst)},
		{"cpu.realtimePeriod", "cpu.rt_period_us", u(c.RealtimePeriod)},
		{"cpu.realtimeRuntime", "cpu.rt_runtime_us", i(c.RealtimeRuntime)},
		{"cpu.idle", "cpu.idle", i(c.Idle)},
	} {
		if x.val == nil {
			continue
		}
		if err := set(x.field, dir, x.file, *x.val); err != nil {
			return err
		}
	}
	return nil
}

func setCPUV2(dir string, c *specs.LinuxCPU) error {
	if c.RealtimeRuntime != nil || c.RealtimePeriod != nil {
		return fmt.Errorf("linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported by cgroup v2")
	}
	if c.Shares != nil && *c.Shares != 0 {
		w := strconv.FormatUint(SharesToWeight(*c.Shares), 10)
		if err := set("cpu.shares", dir, "cpu.weight", w); err != nil {
			return err
		}
	}
	if c.Quota != nil || c.Period != nil {
		val, err := cpuMax(dir, c.Quota, c.Period)
		if err != nil {
			return err
		}
		field := "cpu.quota"
		if c.Quota == nil {
			field = "cpu.period"
		}
		if err := set(field, dir, "cpu.max", val); err != nil {
			return err
		}
	}
	if c.Burst != nil {
		if err := set("cpu.burst", dir, "cpu.max.burst", strconv.FormatUint(*c.Burst, 10)); err != nil {
			return err
		}
	}
	if c.Idle != nil {
		if err := set("cpu.idle", dir, "cpu.idle", strconv.FormatInt(*c.Idle, 10)); err != nil {
			return err
		}
	}
	return nil
}

// cpuMax builds "quota period" for cpu.max, keeping the current value of
// whichever half the config leaves unset (so `update --cpu-period` alone does
// not lift the quota).
func cpuMax(dir string, quota *int64, period *uint64) (string, error) {
	curQ, curP := "max", "100000"
	if s, err := readFile(dir, "cpu.max"); err == nil {
		if f := strings.Fields(s); len(f) == 2 {
			curQ, curP = f[0], f[1]
		}
	}
	q, p := curQ, curP
	if quota != nil {
		if *quota == 0 {
			return "", fmt.Errorf("linux.resources.cpu.quota: 0 is not a valid quota (use -1 for unlimited)")
		}
		q = maxOr(*quota)
	}
	if period != nil && *period != 0 {
		p = strconv.FormatUint(*period, 10)
	}
	return q + " " + p, nil
}
