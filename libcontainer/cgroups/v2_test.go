package cgroups

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// TestV2Formats checks what the v2 code writes, using plain files named like
// the cgroup2 ones (this host has no v2 cpu/memory/io controllers to try).
// Device rules need a real cgroup: see devbpf and cgroupv2.bats.
func TestV2Formats(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"memory.max": "", "memory.swap.max": "", "memory.low": "", "memory.high": "",
		"cpu.weight": "", "cpu.max": "max 100000", "cpu.max.burst": "", "cpu.idle": "",
		"pids.max": "", "cpuset.cpus": "", "cpuset.mems": "", "io.weight": "", "io.max": "",
		"hugetlb.2MB.max": "", "hugetlb.2MB.rsvd.max": "",
	}
	for f, v := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := Load(map[string]string{"": dir}, nil)
	r := &specs.LinuxResources{
		Memory:         &specs.LinuxMemory{Limit: i64(100), Swap: i64(300), Reservation: i64(50)},
		CPU:            &specs.LinuxCPU{Shares: u64(1024), Quota: i64(20000), Burst: u64(1000), Idle: i64(0), Cpus: "0-1", Mems: "0"},
		Pids:           &specs.LinuxPids{Limit: i64(0)},
		BlockIO:        &specs.LinuxBlockIO{Weight: u16(1000), ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 0}}},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4194304}},
		Unified:        map[string]string{"memory.high": "90"},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{
		"memory.max": "100", "memory.swap.max": "200", "memory.low": "50", "memory.high": "90",
		"cpu.weight": "100", "cpu.max": "20000 100000", "cpu.max.burst": "1000", "cpu.idle": "0",
		"pids.max": "max", "cpuset.cpus": "0-1", "cpuset.mems": "0",
		"io.weight": "default 10000", "io.max": "8:0 wiops=max",
		"hugetlb.2MB.max": "4194304", "hugetlb.2MB.rsvd.max": "4194304",
	} {
		check(t, dir, f, want)
	}

	bad := []struct {
		r     *specs.LinuxResources
		field string
	}{
		{&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(1)}}, "memory.swappiness"},
		{&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(50)}}, "memory.swap"},
		{&specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(1)}}, "cpu.realtime"},
		{&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: u16(10)}}, "blockIO.leafWeight"},
		{&specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 1}}}}, "network.priorities[0]"},
		{&specs.LinuxResources{Unified: map[string]string{"cgroup.procs": "1"}}, "unified"},
		{&specs.LinuxResources{Unified: map[string]string{"rdma.max": "x"}}, `unified["rdma.max"]: not supported by this host (no ` + dir},
	}
	for _, b := range bad {
		err := m.Set(b.r)
		if err == nil || !strings.Contains(err.Error(), "linux.resources."+b.field) {
			t.Errorf("want error naming %s, got %v", b.field, err)
		}
	}
}

// The hybrid cgroup2 leaf is real: exercise the v2 freezer and pid listing.
func TestV2FreezerOnUnifiedLeaf(t *testing.T) {
	needRoot(t)
	m, err := New(testPath(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = m.Destroy() })
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	u, ok := m.Paths()[""]
	if !ok {
		t.Skip("no cgroup2 leaf")
	}
	v2 := Load(map[string]string{"": u}, nil)
	if err := v2.Freeze(); err != nil {
		t.Fatal(err)
	}
	if f, err := v2.IsFrozen(); err != nil || !f {
		t.Errorf("IsFrozen = %v, %v", f, err)
	}
	if err := v2.Thaw(); err != nil {
		t.Fatal(err)
	}
	if f, err := v2.IsFrozen(); err != nil || f {
		t.Errorf("IsFrozen after thaw = %v, %v", f, err)
	}
	if pids, err := v2.GetPids(); err != nil || !slices.Equal(pids, []int{cmd.Process.Pid}) {
		t.Errorf("GetPids = %v, %v", pids, err)
	}
}
