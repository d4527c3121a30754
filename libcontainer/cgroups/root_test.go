package cgroups

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

func testPath(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "/hutch-test/" + hex.EncodeToString(b)
}

func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func readT(t *testing.T, dir, name string) string {
	t.Helper()
	s, err := readFile(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func u64(v uint64) *uint64 { return &v }

// destroyCheck kills the process, destroys, and verifies nothing we created
// is left.
func destroyCheck(t *testing.T, m Manager, cmd *exec.Cmd) {
	t.Helper()
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	for _, d := range m.Created() {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left behind (%v)", d, err)
		}
	}
	// Destroy twice is fine.
	if err := m.Destroy(); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

func TestManagerLifecycle(t *testing.T) {
	needRoot(t)
	rel := testPath(t)
	m, err := New(rel, "ignored")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); _ = m.Destroy() })
	if err := m.Apply(pid); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if len(m.Created()) == 0 {
		t.Fatal("Created() is empty")
	}
	h, _ := detect()
	t.Logf("mode %v, paths %v", h.mode, m.Paths())
	for k, d := range m.Paths() {
		if !strings.HasSuffix(d, rel) {
			t.Errorf("Paths()[%q] = %q, want suffix %q", k, d, rel)
		}
		procs := readT(t, d, "cgroup.procs")
		if !slices.Contains(strings.Fields(procs), itoa(pid)) {
			t.Errorf("pid %d not in %s/cgroup.procs: %q", pid, d, procs)
		}
	}

	maj, mnr := int64(1), int64(3)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(64 << 20)},
		CPU:    &specs.LinuxCPU{Quota: i64(50000), Period: u64(100000), Shares: u64(512)},
		Pids:   &specs.LinuxPids{Limit: i64(10)},
		Devices: []specs.LinuxDeviceCgroup{
			{Allow: false, Access: "rwm"},
			{Allow: true, Type: "c", Major: &maj, Minor: &mnr, Access: "rwm"},
			{Allow: true, Type: "c", Major: i64(136), Access: "rw"},
		},
	}
	if err := Validate(r); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := m.Set(r); err != nil {
		t.Fatalf("Set: %v", err)
	}
	p := m.Paths()
	if h.mode == Unified {
		d := p[""]
		check(t, d, "memory.max", "67108864")
		check(t, d, "cpu.max", "50000 100000")
		check(t, d, "pids.max", "10")
		check(t, d, "cpu.weight", itoa(int(SharesToWeight(512))))
	} else {
		check(t, p["memory"], "memory.limit_in_bytes", "67108864")
		check(t, p["cpu"], "cpu.cfs_quota_us", "50000")
		check(t, p["cpu"], "cpu.cfs_period_us", "100000")
		check(t, p["cpu"], "cpu.shares", "512")
		check(t, p["pids"], "pids.max", "10")
		check(t, p["devices"], "devices.list", "c 1:3 rwm\nc 136:* rw")
	}

	// Update only the pids limit: other values must stay.
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if h.mode != Unified {
		check(t, p["pids"], "pids.max", "max")
		check(t, p["memory"], "memory.limit_in_bytes", "67108864")
	}

	pids, err := m.GetPids()
	if err != nil || !slices.Equal(pids, []int{pid}) {
		t.Errorf("GetPids = %v, %v; want [%d]", pids, err, pid)
	}

	if err := m.Freeze(); err != nil {
		t.Fatalf("Freeze: %v", err)
	}
	if f, err := m.IsFrozen(); err != nil || !f {
		t.Errorf("IsFrozen after Freeze = %v, %v", f, err)
	}
	if st := procState(t, pid); st != "S" && st != "D" {
		t.Logf("state of frozen pid: %s", st)
	}
	// A loaded manager sees the same state and can thaw.
	lm := Load(m.Paths(), m.Created())
	if f, err := lm.IsFrozen(); err != nil || !f {
		t.Errorf("loaded IsFrozen = %v, %v", f, err)
	}
	if err := lm.Thaw(); err != nil {
		t.Fatalf("Thaw: %v", err)
	}
	if f, err := m.IsFrozen(); err != nil || f {
		t.Errorf("IsFrozen after Thaw = %v, %v", f, err)
	}

	// exec: a second process joins through the loaded manager.
	cmd2 := startSleep(t)
	if err := lm.Apply(cmd2.Process.Pid); err != nil {
		t.Fatalf("loaded Apply: %v", err)
	}
	if pids, _ := m.GetPids(); len(pids) != 2 {
		t.Errorf("GetPids after exec = %v", pids)
	}
	_ = cmd2.Process.Kill()
	_ = cmd2.Wait()

	destroyCheck(t, lm, cmd)
}

func TestSetErrorNamesFieldAndFile(t *testing.T) {
	needRoot(t)
	m, err := New(testPath(t), "x")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	defer destroyCheck(t, m, cmd)
	err = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(1)}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.cpu.period: write /sys/fs/cgroup/") {
		t.Errorf("got %v", err)
	}
	t.Log(err)
}

// An existing leaf is joined as runc joins it, never taken as hutch's:
// Owned is false (its other processes are not the container's) and Destroy
// leaves it. A frozen one is refused.
func TestExistingLeafJoined(t *testing.T) {
	needRoot(t)
	rel := testPath(t)
	m1, err := New(rel, "x")
	if err != nil {
		t.Fatal(err)
	}
	other := startSleep(t)
	if err := m1.Apply(other.Process.Pid); err != nil {
		t.Fatal(err)
	}
	defer destroyCheck(t, m1, other)
	m2, _ := New(rel, "y")
	ctr := startSleep(t)
	if err := m2.Apply(ctr.Process.Pid); err != nil {
		t.Fatalf("Apply on an existing, populated leaf: %v", err)
	}
	if len(m2.Created()) != 0 || m2.Owned() {
		t.Errorf("joined leaf taken as created: Created %v, Owned %v", m2.Created(), m2.Owned())
	}
	pids, err := m2.GetPids()
	if err != nil || len(pids) != 2 {
		t.Errorf("pids of the shared leaf: %v, %v", pids, err)
	}
	_ = ctr.Process.Kill()
	_ = ctr.Wait()
	if err := m2.Destroy(); err != nil {
		t.Fatal(err)
	}
	for _, d := range m1.Created() {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("Destroy of the joining manager removed %s: %v", d, err)
		}
	}

	if err := m1.Freeze(); err != nil {
		t.Fatal(err)
	}
	m3, _ := New(rel, "z")
	third := startSleep(t)
	if err := m3.Apply(third.Process.Pid); err == nil || !strings.Contains(err.Error(), "is frozen") {
		t.Errorf("Apply on a frozen leaf: %v", err)
	}
	if len(m3.Created()) != 0 {
		t.Errorf("refused Apply left Created = %v", m3.Created())
	}
	if err := m1.Thaw(); err != nil {
		t.Fatal(err)
	}
}

// Two containers under one parent: destroying the first keeps the shared
// parent for the second; the second, which did not create it, leaves it.
func TestSharedParent(t *testing.T) {
	needRoot(t)
	parent := testPath(t)
	a, _ := New(parent+"/a", "a")
	b, _ := New(parent+"/b", "b")
	ca, cb := startSleep(t), startSleep(t)
	if err := a.Apply(ca.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(cb.Process.Pid); err != nil {
		t.Fatal(err)
	}
	destroyCheckPartial := func(m Manager, c *exec.Cmd) {
		_ = c.Process.Kill()
		_ = c.Wait()
		if err := m.Destroy(); err != nil {
			t.Fatal(err)
		}
	}
	destroyCheckPartial(a, ca)
	mem := a.Paths()["memory"]
	if mem == "" {
		mem = a.Paths()[""]
	}
	if _, err := os.Stat(filepath.Dir(mem)); err != nil {
		t.Errorf("shared parent removed while in use: %v", err)
	}
	destroyCheckPartial(b, cb)
	// a created the parent dirs; clean them now that b is gone.
	if err := a.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(mem)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("parent left: %v", err)
	}
}

func TestValidateHost(t *testing.T) {
	h, err := detect()
	if err != nil {
		t.Skip(err)
	}
	if err := Validate(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(1 << 20)}}); err != nil {
		t.Errorf("memory.limit: %v", err)
	}
	err = Validate(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{LeafWeight: func() *uint16 { v := uint16(100); return &v }()}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.blockIO.leafWeight") {
		t.Errorf("leafWeight: %v", err)
	}
	err = Validate(&specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1}}})
	if err == nil || !strings.Contains(err.Error(), "hugepageLimits[0].pageSize") {
		t.Errorf("hugepage 3MB: %v", err)
	}
	err = Validate(&specs.LinuxResources{Unified: map[string]string{"../x": "1"}})
	if err == nil {
		t.Error("unified ../x accepted")
	}
	if _, ok := h.v1["net_cls"]; !ok {
		err = Validate(&specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: func() *uint32 { v := uint32(1); return &v }()}})
		if err == nil || !strings.Contains(err.Error(), "linux.resources.network.classID: not supported") {
			t.Errorf("classID: %v", err)
		}
	}
	if h.mode == Legacy {
		if err := Validate(&specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}); err == nil {
			t.Error("unified accepted on v1")
		}
	}
}

func check(t *testing.T, dir, name, want string) {
	t.Helper()
	if got := readT(t, dir, name); got != want {
		t.Errorf("%s/%s = %q, want %q", dir, name, got, want)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func procState(t *testing.T, pid int) string {
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return "?"
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return f[0]
}

func TestDestroyBusyThenRetry(t *testing.T) {
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
	if err := m.Destroy(); err == nil || !strings.Contains(err.Error(), "rmdir") {
		t.Errorf("Destroy with a live process: %v", err)
	}
	destroyCheck(t, m, cmd)
}

// Processes that keep forking do not outlive one SignalAll(SIGKILL). (The
// race it closes, a child forked between the listing of the cgroup and
// the signal, is too narrow to reproduce on demand: this checks the
// outcome, not the race.)
func TestSignalAllForkingProcess(t *testing.T) {
	needRoot(t)
	m, err := New(testPath(t), "fork")
	if err != nil {
		t.Fatal(err)
	}
	// 30 chains of processes that each fork their successor and exit.
	// The chains start once the shell is in the cgroup (a line on stdin).
	cmd := exec.Command("sh", "-c", `step() { step & }; read go; for i in $(seq 30); do step & done; exec sleep 100`)
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	defer destroyCheck(t, m, cmd)
	if err := m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(300)}}); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("go\n"))
	for i := 0; i < 100; i++ {
		if pids, _ := m.GetPids(); len(pids) > 20 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := m.SignalAll(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		if pids, _ := m.GetPids(); len(pids) == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	pids, _ := m.GetPids()
	t.Fatalf("%d processes survived SignalAll(SIGKILL)", len(pids))
}
