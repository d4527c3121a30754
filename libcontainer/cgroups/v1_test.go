package cgroups

import (
	"os"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func u16(v uint16) *uint16 { return &v }
func bptr(v bool) *bool    { return &v }

// blockDev returns major, minor of a real block device for the blkio tests.
func blockDev(t *testing.T) (int64, int64) {
	ents, _ := os.ReadDir("/sys/block")
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "loop") || strings.HasPrefix(e.Name(), "ram") {
			continue
		}
		b, err := os.ReadFile("/sys/block/" + e.Name() + "/dev")
		if err != nil {
			continue
		}
		maj, mnr, _ := strings.Cut(strings.TrimSpace(string(b)), ":")
		a, _ := strconv.ParseInt(maj, 10, 64)
		c, _ := strconv.ParseInt(mnr, 10, 64)
		return a, c
	}
	t.Skip("no block device")
	return 0, 0
}

func TestV1AllResources(t *testing.T) {
	needRoot(t)
	h, err := detect()
	if err != nil || h.mode == Unified {
		t.Skip("not a v1 host")
	}
	m, err := New(testPath(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = m.Destroy() })
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	p := m.Paths()
	maj, mnr := blockDev(t)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{
			Limit: i64(64 << 20), Swap: i64(128 << 20), Reservation: i64(32 << 20),
			Swappiness: u64(10), DisableOOMKiller: bptr(true), KernelTCP: i64(16 << 20),
		},
		CPU: &specs.LinuxCPU{Cpus: "0", Mems: "0", Quota: i64(50000), Period: u64(100000), Burst: u64(10000)},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                u16(200),
			ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: maj, Minor: mnr}, Rate: 1 << 20}},
		},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "a", Access: "m"},
			{Allow: true, Type: "c", Major: i64(5), Minor: i64(1), Access: "rwm"},
			{Allow: false, Type: "c", Major: i64(5), Minor: i64(1), Access: "w"},
		},
	}
	if _, ok := h.v1["memory"]; ok && !fileExists(h.v1["memory"], "memory.memsw.limit_in_bytes") {
		r.Memory.Swap = nil
	}
	// A blkio weight needs a proportional I/O scheduler (BFQ) on the host;
	// where there is none, the field is refused by name.
	weighted := fileExists(h.v1["blkio"], "blkio.weight") || fileExists(h.v1["blkio"], "blkio.bfq.weight")
	if !weighted {
		if err := Validate(r); err == nil || !strings.Contains(err.Error(), "linux.resources.blockIO.weight") {
			t.Fatalf("Validate of a blkio weight on a host without blkio.weight: %v, want the field refused", err)
		}
		r.BlockIO.Weight = nil
	}
	if err := Validate(r); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}
	mem := p["memory"]
	check(t, mem, "memory.limit_in_bytes", strconv.Itoa(64<<20))
	if r.Memory.Swap != nil {
		check(t, mem, "memory.memsw.limit_in_bytes", strconv.Itoa(128<<20))
	}
	check(t, mem, "memory.soft_limit_in_bytes", strconv.Itoa(32<<20))
	check(t, mem, "memory.swappiness", "10")
	check(t, mem, "memory.kmem.tcp.limit_in_bytes", strconv.Itoa(16<<20))
	if s := readT(t, mem, "memory.oom_control"); !strings.Contains(s, "oom_kill_disable 1") {
		t.Errorf("oom_control = %q", s)
	}
	check(t, p["cpuset"], "cpuset.cpus", "0")
	check(t, p["cpu"], "cpu.cfs_burst_us", "10000")
	if weighted {
		check(t, p["blkio"], weightFileV1(p["blkio"], ""), "200")
	}
	check(t, p["blkio"], "blkio.throttle.read_bps_device", strconv.FormatInt(maj, 10)+":"+strconv.FormatInt(mnr, 10)+" 1048576")
	check(t, p["devices"], "devices.list", "b *:* m\nc *:* m\nc 5:1 rm")

	// Raise then lower memory+swap: each needs a different write order.
	if r.Memory.Swap != nil {
		for _, lim := range []int64{256 << 20, 32 << 20} {
			up := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(lim), Swap: i64(2 * lim)}}
			if err := m.Set(up); err != nil {
				t.Fatalf("update memory to %d: %v", lim, err)
			}
			check(t, mem, "memory.limit_in_bytes", strconv.FormatInt(lim, 10))
			check(t, mem, "memory.memsw.limit_in_bytes", strconv.FormatInt(2*lim, 10))
		}
		// Unlimited memory lifts memsw too.
		if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}}); err != nil {
			t.Fatalf("unlimited: %v", err)
		}
	}

	// Hugetlb is not a v1 controller here; the error must name field and file.
	if _, ok := h.v1["hugetlb"]; !ok {
		err := m.Set(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1 << 21}}})
		if err == nil || !strings.Contains(err.Error(), "linux.resources.hugepageLimits[0]") {
			t.Errorf("hugetlb: %v", err)
		}
		t.Log(err)
	}
}
