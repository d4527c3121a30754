package cgroups

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups/systemd"
)

// infinity is systemd's "no limit" for the uint64 properties.
const infinity = uint64(math.MaxUint64)

// resourceProperties turns the resources r sets into the unit properties
// systemd has for them: the cgroup v2 names (MemoryMax, CPUWeight,
// IOWeight) when systemd runs on cgroup v2, the v1 ones (MemoryLimit,
// CPUShares, BlockIOWeight) otherwise. Fields r leaves unset give no
// property. It returns r as the cgroup files must then get it: a CPU quota
// rounded up as systemd rounds it, so that files and unit agree. What has
// no property here is only written to the files (Set).
func resourceProperties(r *specs.LinuxResources, v2 bool, version int) ([]systemd.Property, *specs.LinuxResources, error) {
	if r == nil {
		return nil, nil, nil
	}
	out := *r
	r = &out
	var props []systemd.Property
	add := func(name string, v any) { props = append(props, systemd.Prop(name, v)) }
	if len(r.Devices) > 0 {
		dp, err := deviceProperties(r.Devices, version)
		if err != nil {
			return nil, nil, err
		}
		props = append(props, dp...)
	}
	if m := r.Memory; m != nil {
		if m.Limit != nil && *m.Limit != 0 {
			if v2 {
				add("MemoryMax", limitOrInfinity(*m.Limit))
			} else {
				add("MemoryLimit", limitOrInfinity(*m.Limit))
			}
		}
		if v2 {
			if m.Reservation != nil && *m.Reservation != 0 {
				add("MemoryLow", limitOrInfinity(*m.Reservation))
			}
			swap, ok, err := swapV2(m.Limit, m.Swap)
			if err != nil {
				return nil, nil, err
			}
			if ok {
				add("MemorySwapMax", maxOrInfinity(swap))
			}
		}
	}
	if c := r.CPU; c != nil {
		cc := *c
		r.CPU = &cc
		if c.Shares != nil && *c.Shares != 0 {
			if v2 {
				add("CPUWeight", SharesToWeight(*c.Shares))
			} else {
				add("CPUShares", *c.Shares)
			}
		}
		props = append(props, cpuQuota(&cc, version)...)
		if version >= 244 {
			for _, x := range []struct{ name, field, v string }{
				{"AllowedCPUs", "cpu.cpus", c.Cpus}, {"AllowedMemoryNodes", "cpu.mems", c.Mems},
			} {
				if x.v == "" {
					continue
				}
				bits, err := rangeToBits(x.v)
				if err != nil {
					return nil, nil, fmt.Errorf("linux.resources.%s: %q: %w", x.field, x.v, err)
				}
				add(x.name, bits)
			}
		}
	}
	if p := r.Pids; p != nil && p.Limit != nil {
		// 0 is unlimited, as for the pids.max file (setPids).
		add("TasksMax", limitOrInfinity(*p.Limit))
	}
	if b := r.BlockIO; b != nil && b.Weight != nil && *b.Weight != 0 {
		if v2 {
			add("IOWeight", BlkioWeightToIOWeight(*b.Weight))
		} else {
			add("BlockIOWeight", uint64(*b.Weight))
		}
	}
	if v2 {
		props = append(props, unifiedProperties(r.Unified)...)
	}
	return props, r, nil
}

// limitOrInfinity: a positive limit as it is, anything else (-1, and 0
// where the spec means "none") is systemd's infinity.
func limitOrInfinity(v int64) uint64 {
	if v <= 0 {
		return infinity
	}
	return uint64(v)
}

func maxOrInfinity(s string) uint64 {
	if v, err := strconv.ParseUint(s, 10, 64); err == nil {
		return v
	}
	return infinity
}

// cpuQuota gives CPUQuotaPerSecUSec (and CPUQuotaPeriodUSec, systemd 242
// and later). systemd keeps the quota as a whole percentage of a CPU, so
// a quota that is not one is rounded up to the next, in c too: the file
// then gets what systemd writes.
func cpuQuota(c *specs.LinuxCPU, version int) []systemd.Property {
	if c.Quota == nil && c.Period == nil {
		return nil
	}
	var props []systemd.Property
	period := uint64(0)
	if c.Period != nil {
		period = *c.Period
	}
	if period != 0 && version >= 242 {
		props = append(props, systemd.Prop("CPUQuotaPeriodUSec", period))
	}
	if period == 0 {
		period = 100000 // the kernel's default
	}
	perSec := infinity
	if c.Quota != nil && *c.Quota > 0 {
		perSec = uint64(*c.Quota) * 1000000 / period
		if perSec%10000 != 0 {
			perSec = (perSec/10000 + 1) * 10000
			q := int64(perSec * period / 1000000)
			c.Quota = &q
		}
	}
	return append(props, systemd.Prop("CPUQuotaPerSecUSec", perSec))
}

// unifiedProperties converts the linux.resources.unified entries systemd
// has a property for; the rest only go to the files.
func unifiedProperties(u map[string]string) []systemd.Property {
	var props []systemd.Property
	for k, v := range u {
		v = strings.TrimSpace(v)
		num := func() (uint64, bool) {
			if v == "max" {
				return infinity, true
			}
			n, err := strconv.ParseUint(v, 10, 64)
			return n, err == nil
		}
		name := map[string]string{
			"memory.high": "MemoryHigh", "memory.low": "MemoryLow", "memory.min": "MemoryMin",
			"memory.max": "MemoryMax", "memory.swap.max": "MemorySwapMax", "pids.max": "TasksMax",
			"cpu.weight": "CPUWeight",
		}[k]
		if name == "" {
			continue
		}
		if n, ok := num(); ok && !(name == "CPUWeight" && n == infinity) {
			props = append(props, systemd.Prop(name, n))
		}
	}
	return props
}

// rangeToBits turns a cpuset list ("0-2,5") into the byte mask of
// AllowedCPUs: bit i of byte i/8 is cpu i.
func rangeToBits(s string) ([]byte, error) {
	bits := new(big.Int)
	for _, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		if r == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(r, "-")
		a, err := strconv.ParseUint(lo, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", lo)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 16); err != nil {
				return nil, fmt.Errorf("bad number %q", hi)
			}
		}
		if b < a {
			return nil, fmt.Errorf("bad range %q", r)
		}
		for i := a; i <= b; i++ {
			bits.SetBit(bits, int(i), 1)
		}
	}
	out := bits.Bytes() // big-endian: the highest cpus first
	if len(out) == 0 {
		return nil, fmt.Errorf("empty list")
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// deviceAllow is one DeviceAllow= entry, D-Bus type (ss).
type deviceAllow struct {
	Path  string
	Perms string
}

// deviceProperties turns the ordered device rules into DevicePolicy and
// DeviceAllow. systemd has no deny list: rules that end in "deny all,
// allow these" become DevicePolicy=strict with the allowed entries; rules
// that end in "allow all" with no exception become DevicePolicy=auto
// with no entry; rules that allow all but some devices cannot be said, so
// systemd gets the strict policy with nothing allowed (failing closed)
// and the files (v1) or the BPF program (v2) carry the real rules, as
// runc does. A "*:N" rule has no DeviceAllow form either; it is left to
// the files the same way.
func deviceProperties(rules []specs.LinuxDeviceCgroup, version int) ([]systemd.Property, error) {
	allowAll, exc, err := emulateDevices(rules)
	if err != nil {
		return nil, err
	}
	strict := []systemd.Property{
		// An empty list first clears what the unit had.
		systemd.Prop("DeviceAllow", []deviceAllow{}),
		systemd.Prop("DevicePolicy", "strict"),
	}
	if allowAll {
		if len(exc) == 0 {
			return []systemd.Property{systemd.Prop("DeviceAllow", []deviceAllow{}), systemd.Prop("DevicePolicy", "auto")}, nil
		}
		logrus.Warn("linux.resources.devices: systemd has no deny list: the scope gets DevicePolicy=strict with nothing allowed, the cgroup gets the rules")
		return strict, nil
	}
	var list []deviceAllow
	for _, e := range exc {
		group := "char-"
		if e.typ == 'b' {
			group = "block-"
		}
		var path string
		switch {
		case e.major < 0 && e.minor < 0:
			path = group + "*"
		case e.major < 0:
			logrus.Debugf("linux.resources.devices: systemd has no form for %c *:%d; only the cgroup gets it", e.typ, e.minor)
			continue
		case e.minor < 0:
			if version > 0 && version < 240 {
				logrus.Debugf("linux.resources.devices: systemd %d has no form for %c %d:*; only the cgroup gets it", version, e.typ, e.major)
				continue
			}
			path = group + strconv.FormatInt(e.major, 10)
		case e.typ == 'b':
			path = fmt.Sprintf("/dev/block/%d:%d", e.major, e.minor)
		default:
			path = fmt.Sprintf("/dev/char/%d:%d", e.major, e.minor)
		}
		list = append(list, deviceAllow{Path: path, Perms: e.access})
	}
	return append(strict, systemd.Prop("DeviceAllow", list)), nil
}

// devException is one exception of the device cgroup's default.
type devException struct {
	typ          byte // 'b' or 'c'
	major, minor int64
	access       string
}

// emulateDevices applies the rules in order as the v1 devices cgroup does:
// a rule "a" (all types, all numbers, rwm) sets the default and clears the
// exceptions; a rule against the default adds an exception (merging the
// access of one for the same device), a rule like the default removes
// access from the exception for the same device. It returns the final
// default and exceptions, in the order they were first added.
func emulateDevices(rules []specs.LinuxDeviceCgroup) (allowAll bool, out []devException, err error) {
	var exc []*devException
	for i, d := range rules {
		rs, err := toDevRules(d)
		if err != nil {
			return false, nil, fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
		for _, x := range rs {
			if x.line == "a" {
				allowAll, exc = x.allow, nil
				continue
			}
			f := strings.Fields(x.line) // "c 1:3 rwm"
			maj, mnr, _ := strings.Cut(f[1], ":")
			e := devException{typ: f[0][0], major: devNum(maj), minor: devNum(mnr), access: f[2]}
			var cur *devException
			for _, c := range exc {
				if c.typ == e.typ && c.major == e.major && c.minor == e.minor {
					cur = c
				}
			}
			switch {
			case x.allow != allowAll && cur == nil:
				exc = append(exc, &e)
			case x.allow != allowAll:
				cur.access = mergeAccess(cur.access, e.access, true)
			case cur != nil:
				cur.access = mergeAccess(cur.access, e.access, false)
			}
		}
	}
	for _, e := range exc {
		if e.access != "" {
			out = append(out, *e)
		}
	}
	return allowAll, out, nil
}

func devNum(s string) int64 {
	if s == "*" {
		return -1
	}
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// mergeAccess adds (or removes) the access letters of b to (from) a,
// in rwm order.
func mergeAccess(a, b string, add bool) string {
	var out []byte
	for _, c := range []byte("rwm") {
		in := strings.IndexByte(a, c) >= 0
		if add {
			in = in || strings.IndexByte(b, c) >= 0
		} else {
			in = in && strings.IndexByte(b, c) < 0
		}
		if in {
			out = append(out, c)
		}
	}
	return string(out)
}
