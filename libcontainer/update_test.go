package libcontainer

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseMemSize(t *testing.T) {
	for in, want := range map[string]int64{
		"-1": -1, "1024": 1024, "64m": 64 << 20, "64M": 64 << 20, "1g": 1 << 30, "1GB": 1 << 30,
		"2KiB": 2048, "1.5k": 1536, "10 m": 10 << 20, "0": 0,
	} {
		got, err := ParseMemSize(in)
		if err != nil || got != want {
			t.Errorf("ParseMemSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "lots", "-2", "1x", "99999999p", "1.2.3m"} {
		if _, err := ParseMemSize(bad); err == nil {
			t.Errorf("ParseMemSize(%q): want error", bad)
		}
	}
}

// TestDropUnsetDockerJSON: what docker sends for `docker update --memory 64m --pids-limit 50`.
func TestDropUnsetDockerJSON(t *testing.T) {
	in := `{"memory":{"limit":67108864,"reservation":0,"swap":67108864,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"pids":{"limit":50},"blockIO":{"weight":0}}`
	r := &specs.LinuxResources{}
	if err := json.Unmarshal([]byte(in), r); err != nil {
		t.Fatal(err)
	}
	d := DropUnset(r)
	m := d.Memory
	if m == nil || m.Limit == nil || *m.Limit != 67108864 || m.Swap == nil || m.Reservation != nil || m.Kernel != nil {
		t.Fatalf("memory: %+v", m)
	}
	if c := d.CPU; c == nil || c.Shares != nil || c.Quota != nil || c.Period != nil {
		t.Fatalf("cpu: %+v", c)
	}
	if d.Pids == nil || *d.Pids.Limit != 50 {
		t.Fatalf("pids: %+v", d.Pids)
	}
	if d.BlockIO == nil || d.BlockIO.Weight != nil {
		t.Fatalf("blockIO: %+v", d.BlockIO)
	}
	// The input is not modified.
	if *r.Memory.Reservation != 0 || *r.CPU.Shares != 0 {
		t.Fatal("DropUnset changed its argument")
	}
	if z := DropUnset(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: new(int64)}}); z.Pids != nil {
		t.Fatalf("pids limit 0 kept: %+v", z.Pids)
	}
	if DropUnset(nil) == nil {
		t.Fatal("DropUnset(nil) = nil")
	}
}

func TestMergeResources(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	u := func(v uint64) *uint64 { return &v }
	dst := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: i(1), Reservation: i(2)},
		CPU:            &specs.LinuxCPU{Shares: u(512), Cpus: "0"},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}},
		BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
			{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1},
		}},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	}
	src := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: i(10)},
		CPU:            &specs.LinuxCPU{Quota: i(5000)},
		Pids:           &specs.LinuxPids{Limit: i(7)},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 9}, {Pagesize: "1GB", Limit: 3}},
		BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{
			{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 2},
			{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 3},
		}},
		Unified: map[string]string{"memory.high": "100"},
	}
	MergeResources(dst, src)
	if *dst.Memory.Limit != 10 || *dst.Memory.Reservation != 2 {
		t.Errorf("memory: %+v", dst.Memory)
	}
	if *dst.CPU.Shares != 512 || *dst.CPU.Quota != 5000 || dst.CPU.Cpus != "0" {
		t.Errorf("cpu: %+v", dst.CPU)
	}
	if *dst.Pids.Limit != 7 {
		t.Errorf("pids: %+v", dst.Pids)
	}
	if len(dst.HugepageLimits) != 2 || dst.HugepageLimits[0].Limit != 9 {
		t.Errorf("hugepages: %+v", dst.HugepageLimits)
	}
	if tr := dst.BlockIO.ThrottleReadBpsDevice; len(tr) != 2 || tr[0].Rate != 2 || tr[1].Minor != 16 {
		t.Errorf("throttle: %+v", tr)
	}
	if dst.Unified["memory.high"] != "100" || len(dst.Devices) != 1 {
		t.Errorf("unified/devices: %+v %+v", dst.Unified, dst.Devices)
	}
	// Later changes to src do not reach dst.
	*src.Memory.Limit = 99
	if *dst.Memory.Limit != 10 {
		t.Error("dst shares a pointer with src")
	}
}

func TestFilterPsTable(t *testing.T) {
	out := "UID PID PPID CMD\nroot 1 0 init\nroot 42 1 sh\nroot 43 42 sleep\n"
	got, err := FilterPsTable(out, []int{42, 43})
	if err != nil {
		t.Fatal(err)
	}
	if want := "UID PID PPID CMD\nroot 42 1 sh\nroot 43 42 sleep\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if _, err := FilterPsTable("COMMAND\nsh\n", []int{1}); err == nil {
		t.Fatal("want an error without a PID column")
	}
	if _, err := FilterPsTable("PID CMD\nabc x\n", []int{1}); err == nil {
		t.Fatal("want an error for a non-numeric pid")
	}
}
