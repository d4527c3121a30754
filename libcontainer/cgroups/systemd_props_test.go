package cgroups

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups/systemd"
)

func propMap(props []systemd.Property) map[string]any {
	out := map[string]any{}
	for _, p := range props {
		out[p.Name] = p.Value.Value()
	}
	return out
}

func TestResourceProperties(t *testing.T) {
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(128 << 20), Reservation: i64(64 << 20), Swap: i64(256 << 20)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Quota: i64(50000), Period: u64(100000), Cpus: "0-1", Mems: "0"},
		Pids:    &specs.LinuxPids{Limit: i64(64)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(500)},
	}
	v1, _, err := resourceProperties(r, false, 252)
	if err != nil {
		t.Fatal(err)
	}
	want1 := map[string]any{
		"MemoryLimit": uint64(128 << 20), "CPUShares": uint64(1024), "CPUQuotaPeriodUSec": uint64(100000),
		"CPUQuotaPerSecUSec": uint64(500000), "AllowedCPUs": []byte{3}, "AllowedMemoryNodes": []byte{1},
		"TasksMax": uint64(64), "BlockIOWeight": uint64(500),
	}
	if got := propMap(v1); !reflect.DeepEqual(got, want1) {
		t.Errorf("v1:\n got %v\nwant %v", got, want1)
	}
	v2, _, err := resourceProperties(r, true, 252)
	if err != nil {
		t.Fatal(err)
	}
	want2 := map[string]any{
		"MemoryMax": uint64(128 << 20), "MemoryLow": uint64(64 << 20), "MemorySwapMax": uint64(128 << 20),
		"CPUWeight": uint64(100), "CPUQuotaPeriodUSec": uint64(100000), "CPUQuotaPerSecUSec": uint64(500000),
		"AllowedCPUs": []byte{3}, "AllowedMemoryNodes": []byte{1}, "TasksMax": uint64(64),
		"IOWeight": BlkioWeightToIOWeight(500),
	}
	if got := propMap(v2); !reflect.DeepEqual(got, want2) {
		t.Errorf("v2:\n got %v\nwant %v", got, want2)
	}
	// Old systemd: no period, no AllowedCPUs (the files still get them).
	old, _, _ := resourceProperties(r, false, 239)
	if m := propMap(old); m["CPUQuotaPeriodUSec"] != nil || m["AllowedCPUs"] != nil {
		t.Errorf("systemd 239 got %v", m)
	}
	// Unset fields give nothing; -1 and 0 are infinity where they mean "no limit".
	none, _, _ := resourceProperties(&specs.LinuxResources{}, true, 252)
	if len(none) != 0 {
		t.Errorf("empty resources gave %v", propMap(none))
	}
	inf, _, _ := resourceProperties(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}, Pids: &specs.LinuxPids{Limit: i64(0)}}, false, 252)
	if m := propMap(inf); m["MemoryLimit"] != infinity || m["TasksMax"] != infinity {
		t.Errorf("unlimited gave %v", m)
	}
}

func TestCPUQuotaRoundsUpLikeSystemd(t *testing.T) {
	r := &specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(12345), Period: u64(100000)}}
	props, out, err := resourceProperties(r, false, 252)
	if err != nil {
		t.Fatal(err)
	}
	if got := propMap(props)["CPUQuotaPerSecUSec"]; got != uint64(130000) {
		t.Errorf("CPUQuotaPerSecUSec = %v, want 130000 (13%%)", got)
	}
	if *out.CPU.Quota != 13000 || *r.CPU.Quota != 12345 {
		t.Errorf("quota for the files %d (want 13000), caller's %d (want it unchanged)", *out.CPU.Quota, *r.CPU.Quota)
	}
	// No quota but a period: unlimited, with the period.
	props, _, _ = resourceProperties(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(50000)}}, true, 252)
	if m := propMap(props); m["CPUQuotaPerSecUSec"] != infinity || m["CPUQuotaPeriodUSec"] != uint64(50000) {
		t.Errorf("period only: %v", m)
	}
}

func TestRangeToBits(t *testing.T) {
	for in, want := range map[string][]byte{
		"0": {1}, "0-1": {3}, "1,3": {0xa}, "0-7": {0xff}, "8": {0, 1}, "0, 9-10": {1, 6},
	} {
		if got, err := rangeToBits(in); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("rangeToBits(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a", "3-1", "1-x", ","} {
		if got, err := rangeToBits(in); err == nil {
			t.Errorf("rangeToBits(%q) = %v, want an error", in, got)
		}
	}
}

func sdDev(allow bool, typ string, major, minor int64, access string) specs.LinuxDeviceCgroup {
	d := specs.LinuxDeviceCgroup{Allow: allow, Type: typ, Access: access}
	if major != -2 {
		d.Major = &major
	}
	if minor != -2 {
		d.Minor = &minor
	}
	return d
}

func allowList(t *testing.T, props []systemd.Property) (policy string, list []string) {
	t.Helper()
	for _, p := range props {
		switch p.Name {
		case "DevicePolicy":
			policy = p.Value.Value().(string)
		case "DeviceAllow":
			list = nil
			for _, e := range p.Value.Value().([]deviceAllow) {
				list = append(list, e.Path+" "+e.Perms)
			}
		}
	}
	sort.Strings(list)
	return policy, list
}

func TestDeviceProperties(t *testing.T) {
	const any = -2 // nil pointer: wildcard
	cases := []struct {
		name   string
		rules  []specs.LinuxDeviceCgroup
		policy string
		allow  []string
	}{
		{"hutch's defaults", append([]specs.LinuxDeviceCgroup{sdDev(false, "", any, any, "rwm")}, defaultRules()...),
			"strict", []string{"/dev/char/10:200 rwm", "/dev/char/1:3 rwm", "/dev/char/5:0 rwm", "block-* m", "char-* m", "char-136 rwm"}},
		{"allow all", []specs.LinuxDeviceCgroup{sdDev(true, "a", any, any, "rwm")}, "auto", nil},
		{"deny all then allow all", []specs.LinuxDeviceCgroup{sdDev(false, "", any, any, "rwm"), sdDev(true, "", any, any, "rwm")}, "auto", nil},
		{"a deny list", []specs.LinuxDeviceCgroup{sdDev(true, "a", any, any, "rwm"), sdDev(false, "c", 1, 3, "rwm")}, "strict", nil},
		{"deny narrows an allowed device", []specs.LinuxDeviceCgroup{sdDev(false, "a", any, any, "rwm"),
			sdDev(true, "c", 1, 3, "rwm"), sdDev(false, "c", 1, 3, "w"), sdDev(true, "b", 8, 0, "r"), sdDev(true, "b", 8, 0, "m")},
			"strict", []string{"/dev/block/8:0 rm", "/dev/char/1:3 rm"}},
		{"a denied device is gone", []specs.LinuxDeviceCgroup{sdDev(false, "a", any, any, "rwm"),
			sdDev(true, "c", 1, 3, "rwm"), sdDev(false, "c", 1, 3, "rwm")}, "strict", nil},
		{"*:N has no form", []specs.LinuxDeviceCgroup{sdDev(false, "a", any, any, "rwm"), sdDev(true, "c", any, 3, "rwm")}, "strict", nil},
		{"type a narrower than all", []specs.LinuxDeviceCgroup{sdDev(false, "a", any, any, "rwm"), sdDev(true, "a", any, any, "m")},
			"strict", []string{"block-* m", "char-* m"}},
	}
	for _, c := range cases {
		props, err := deviceProperties(c.rules, 252)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		policy, list := allowList(t, props)
		if policy != c.policy || !reflect.DeepEqual(list, c.allow) {
			t.Errorf("%s: DevicePolicy=%s DeviceAllow=%q, want %s %q", c.name, policy, list, c.policy, c.allow)
		}
	}
	if _, err := deviceProperties([]specs.LinuxDeviceCgroup{sdDev(true, "x", 1, 1, "rwm")}, 252); err == nil || !strings.Contains(err.Error(), "linux.resources.devices[0]") {
		t.Errorf("a bad rule gave %v", err)
	}
}

// defaultRules: the standard nodes, as create adds them (a subset).
func defaultRules() []specs.LinuxDeviceCgroup {
	const any = -2
	return []specs.LinuxDeviceCgroup{
		sdDev(true, "c", any, any, "m"), sdDev(true, "b", any, any, "m"), sdDev(true, "c", 1, 3, "rwm"),
		sdDev(true, "c", 5, 0, "rwm"), sdDev(true, "c", 136, any, "rwm"), sdDev(true, "c", 10, 200, "rwm"),
	}
}

func TestDelegatedOnly(t *testing.T) {
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(1 << 20)}, Pids: &specs.LinuxPids{Limit: i64(10)},
		CPU:     &specs.LinuxCPU{Quota: i64(1000), Cpus: "0"},
		Devices: []specs.LinuxDeviceCgroup{sdDev(false, "a", -2, -2, "rwm")},
		Unified: map[string]string{"io.weight": "100"},
	}
	out, dropped := delegatedOnly(r, map[string]bool{"memory": true, "pids": true, "cpu": true})
	if !reflect.DeepEqual(dropped, []string{"cpu", "unified"}) {
		t.Errorf("dropped %v, want [cpu unified] (cpuset and io missing)", dropped)
	}
	if out.Memory == nil || out.Pids == nil || out.CPU != nil || out.Unified != nil || out.Devices != nil {
		t.Errorf("kept %+v", out)
	}
	if r.CPU == nil || r.Devices == nil {
		t.Error("the caller's resources changed")
	}
}
