package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/intelrdt"
	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// Update changes the resources of a live container: the fields r sets are
// written to its cgroup and saved into its config; every zero or unset
// field is left as it is (engines send 0 for "unchanged"). rdt holds the
// Intel RDT schemas of --l3-cache-schema and --mem-bw-schema, nil if
// neither is given; hutch refuses them (see intelrdt.CheckUpdate) before
// it changes anything.
func Update(store state.Store, id string, r *specs.LinuxResources, rdt *specs.LinuxIntelRdt) error {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return err
	}
	defer unlock()
	if c.Status == state.Stopped {
		return errors.New("container not running")
	}
	m := c.cgroup()
	if m == nil {
		return fmt.Errorf("cannot update %s: it has no cgroup (rootless without a delegated cgroup)", id)
	}
	spec, err := c.Spec()
	if err != nil {
		return fmt.Errorf("read saved config of %s: %w", id, err)
	}
	if rdt != nil {
		var saved *specs.LinuxIntelRdt
		if spec.Linux != nil {
			saved = spec.Linux.IntelRdt
		}
		if err := intelrdt.CheckUpdate(saved, rdt.L3CacheSchema, rdt.MemBwSchema); err != nil {
			return err
		}
	}
	r = DropUnset(r)
	if len(r.Devices) > 0 {
		// Rewriting device rules means "deny all" first, which a running
		// container would notice; runc ignores them too.
		logrus.Warn("update: linux.resources.devices ignored: device rules cannot be changed on a live container")
		r.Devices = nil
	}
	var saved *specs.LinuxResources
	if spec.Linux != nil {
		saved = spec.Linux.Resources
	}
	// memory+swap is checked against the limit: give Set the one in force.
	if r.Memory != nil && r.Memory.Swap != nil && r.Memory.Limit == nil &&
		saved != nil && saved.Memory != nil && saved.Memory.Limit != nil {
		l := *saved.Memory.Limit
		r.Memory.Limit = &l
	}
	// A quota is per period: systemd's CPUQuotaPerSecUSec is computed
	// from both, so give the driver the period in force too.
	if r.CPU != nil && r.CPU.Quota != nil && r.CPU.Period == nil &&
		saved != nil && saved.CPU != nil && saved.CPU.Period != nil {
		p := *saved.CPU.Period
		r.CPU.Period = &p
	}
	if err := cgroups.Validate(r); err != nil {
		return err
	}
	if err := m.Set(r); err != nil {
		return fmt.Errorf("update %s: %w", id, err)
	}
	if spec.Linux == nil {
		spec.Linux = &specs.Linux{}
	}
	if spec.Linux.Resources == nil {
		spec.Linux.Resources = &specs.LinuxResources{}
	}
	MergeResources(spec.Linux.Resources, r)
	data, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	if err := c.entry.WriteFile(state.ConfigFile, data, 0o600); err != nil {
		return fmt.Errorf("update %s: the cgroup is updated but the saved config is not: %w", id, err)
	}
	return nil
}

// DropUnset returns a copy of r without the fields that hold 0 or "":
// in `update` they mean "leave as is", as runc and the engines use them.
func DropUnset(r *specs.LinuxResources) *specs.LinuxResources {
	out := &specs.LinuxResources{}
	if r == nil {
		return out
	}
	*out = *r
	i64 := func(p *int64) *int64 {
		if p == nil || *p == 0 {
			return nil
		}
		v := *p
		return &v
	}
	u64 := func(p *uint64) *uint64 {
		if p == nil || *p == 0 {
			return nil
		}
		v := *p
		return &v
	}
	if m := r.Memory; m != nil {
		mm := *m
		mm.Limit, mm.Reservation, mm.Swap, mm.Kernel, mm.KernelTCP = i64(m.Limit), i64(m.Reservation), i64(m.Swap), i64(m.Kernel), i64(m.KernelTCP)
		out.Memory = &mm
	}
	if c := r.CPU; c != nil {
		cc := *c
		cc.Shares, cc.Period, cc.RealtimePeriod = u64(c.Shares), u64(c.Period), u64(c.RealtimePeriod)
		cc.Quota, cc.RealtimeRuntime = i64(c.Quota), i64(c.RealtimeRuntime)
		out.CPU = &cc
	}
	if p := r.Pids; p != nil {
		out.Pids = nil
		if l := i64(p.Limit); l != nil {
			out.Pids = &specs.LinuxPids{Limit: l}
		}
	}
	if b := r.BlockIO; b != nil {
		bb := *b
		if bb.Weight != nil && *bb.Weight == 0 {
			bb.Weight = nil
		}
		if bb.LeafWeight != nil && *bb.LeafWeight == 0 {
			bb.LeafWeight = nil
		}
		out.BlockIO = &bb
	}
	return out
}

// MergeResources copies every field src sets into dst.
func MergeResources(dst, src *specs.LinuxResources) {
	if src == nil {
		return
	}
	if src.Memory != nil {
		if dst.Memory == nil {
			dst.Memory = &specs.LinuxMemory{}
		}
		d, s := dst.Memory, src.Memory
		setP(&d.Limit, s.Limit)
		setP(&d.Reservation, s.Reservation)
		setP(&d.Swap, s.Swap)
		setP(&d.Kernel, s.Kernel)
		setP(&d.KernelTCP, s.KernelTCP)
		setP(&d.Swappiness, s.Swappiness)
		setP(&d.DisableOOMKiller, s.DisableOOMKiller)
		setP(&d.UseHierarchy, s.UseHierarchy)
		setP(&d.CheckBeforeUpdate, s.CheckBeforeUpdate)
	}
	if src.CPU != nil {
		if dst.CPU == nil {
			dst.CPU = &specs.LinuxCPU{}
		}
		d, s := dst.CPU, src.CPU
		setP(&d.Shares, s.Shares)
		setP(&d.Quota, s.Quota)
		setP(&d.Burst, s.Burst)
		setP(&d.Period, s.Period)
		setP(&d.RealtimeRuntime, s.RealtimeRuntime)
		setP(&d.RealtimePeriod, s.RealtimePeriod)
		setP(&d.Idle, s.Idle)
		if s.Cpus != "" {
			d.Cpus = s.Cpus
		}
		if s.Mems != "" {
			d.Mems = s.Mems
		}
	}
	if src.Pids != nil && src.Pids.Limit != nil {
		if dst.Pids == nil {
			dst.Pids = &specs.LinuxPids{}
		}
		setP(&dst.Pids.Limit, src.Pids.Limit)
	}
	if src.BlockIO != nil {
		if dst.BlockIO == nil {
			dst.BlockIO = &specs.LinuxBlockIO{}
		}
		d, s := dst.BlockIO, src.BlockIO
		setP(&d.Weight, s.Weight)
		setP(&d.LeafWeight, s.LeafWeight)
		// Per-device entries replace the saved entry of the same device.
		for _, w := range s.WeightDevice {
			d.WeightDevice = replaceDev(d.WeightDevice, w, func(x specs.LinuxWeightDevice) specs.LinuxBlockIODevice { return x.LinuxBlockIODevice })
		}
		for _, t := range []struct{ d, s *[]specs.LinuxThrottleDevice }{
			{&d.ThrottleReadBpsDevice, &s.ThrottleReadBpsDevice},
			{&d.ThrottleWriteBpsDevice, &s.ThrottleWriteBpsDevice},
			{&d.ThrottleReadIOPSDevice, &s.ThrottleReadIOPSDevice},
			{&d.ThrottleWriteIOPSDevice, &s.ThrottleWriteIOPSDevice},
		} {
			for _, x := range *t.s {
				*t.d = replaceDev(*t.d, x, func(y specs.LinuxThrottleDevice) specs.LinuxBlockIODevice { return y.LinuxBlockIODevice })
			}
		}
	}
	for _, h := range src.HugepageLimits {
		found := false
		for i := range dst.HugepageLimits {
			if dst.HugepageLimits[i].Pagesize == h.Pagesize {
				dst.HugepageLimits[i].Limit = h.Limit
				found = true
			}
		}
		if !found {
			dst.HugepageLimits = append(dst.HugepageLimits, h)
		}
	}
	if src.Network != nil {
		if dst.Network == nil {
			dst.Network = &specs.LinuxNetwork{}
		}
		setP(&dst.Network.ClassID, src.Network.ClassID)
		if len(src.Network.Priorities) > 0 {
			dst.Network.Priorities = src.Network.Priorities
		}
	}
	for k, v := range src.Rdma {
		if dst.Rdma == nil {
			dst.Rdma = map[string]specs.LinuxRdma{}
		}
		dst.Rdma[k] = v
	}
	for k, v := range src.Unified {
		if dst.Unified == nil {
			dst.Unified = map[string]string{}
		}
		dst.Unified[k] = v
	}
}

// setP copies *src into a fresh *dst when src is set.
func setP[T any](dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
	}
}

func replaceDev[T any](list []T, x T, key func(T) specs.LinuxBlockIODevice) []T {
	for i := range list {
		if key(list[i]) == key(x) {
			list[i] = x
			return list
		}
	}
	return append(list, x)
}

// Compiled on first use: every hutch process (and the container init)
// would otherwise pay for it at start.
var memSizeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$`) })

// ParseMemSize accepts "-1", bytes, or a number with a binary unit
// (k, m, g, t, p, optionally followed by b or ib), like docker and runc.
func ParseMemSize(s string) (int64, error) {
	if s == "-1" {
		return -1, nil
	}
	m := memSizeRe().FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q: want bytes or a number with k, m, g, t or p", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40, "p": 50}[strings.ToLower(m[2])]
	v := n * float64(uint64(1)<<shift)
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return int64(v), nil
}
