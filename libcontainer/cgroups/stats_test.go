package cgroups

import (
	"encoding/json"
	"errors"
	"math"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseBlkio(t *testing.T) {
	got, err := parseBlkio("8:0 Read 10\n8:0 Write 20\n8:16 5\nTotal 30\n", "f")
	if err != nil {
		t.Fatal(err)
	}
	want := []BlkioEntry{{8, 0, "Read", 10}, {8, 0, "Write", 20}, {8, 16, "", 5}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got, err := parseBlkio("Total 0\n", "f"); err != nil || len(got) != 0 {
		t.Fatalf("only a total: %v %v", got, err)
	}
	if _, err := parseBlkio("8:0 Read x\n", "f"); err == nil || !strings.Contains(err.Error(), "f: bad line") {
		t.Fatalf("bad value: %v", err)
	}
}

func TestParseIOStat(t *testing.T) {
	var b BlkioStats
	err := parseIOStat("254:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6 cost.usage=9\n", "io.stat", &b)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.IoServiceBytesRecursive) != 3 || b.IoServiceBytesRecursive[1] != (BlkioEntry{254, 0, "Write", 2}) {
		t.Fatalf("bytes: %+v", b.IoServiceBytesRecursive)
	}
	if len(b.IoServicedRecursive) != 3 || b.IoServicedRecursive[0] != (BlkioEntry{254, 0, "Read", 3}) {
		t.Fatalf("ios: %+v", b.IoServicedRecursive)
	}
	if err := parseIOStat("254:0 rbytes\n", "io.stat", &b); err == nil {
		t.Fatal("want error for a field without =")
	}
}

func TestParseHelpers(t *testing.T) {
	if l, err := parseCPUList("0-2,5", "f"); err != nil || !reflect.DeepEqual(l, []uint16{0, 1, 2, 5}) {
		t.Fatalf("cpu list: %v %v", l, err)
	}
	for _, bad := range []string{"a", "3-1", "1-", "-"} {
		if _, err := parseCPUList(bad, "f"); err == nil {
			t.Errorf("cpu list %q: want error", bad)
		}
	}
	if v, err := parseStatUint("max", "f"); err != nil || v != math.MaxUint64 {
		t.Fatalf("max: %v %v", v, err)
	}
	if v, err := parseStatUint("-1", "f"); err != nil || v != 0 {
		t.Fatalf("-1: %v %v", v, err)
	}
	if _, err := parseStatUint("x", "f"); err == nil {
		t.Fatal("want error")
	}
	kv, err := parseKeyed("a 1\nb max\n\n", "f")
	if err != nil || kv["a"] != 1 || kv["b"] != math.MaxUint64 {
		t.Fatalf("keyed: %v %v", kv, err)
	}
	if _, err := parseKeyed("a 1 2\n", "f"); err == nil {
		t.Fatal("want error for three fields")
	}
	for kb, want := range map[uint64]string{2048: "2MB", 1048576: "1GB", 64: "64KB", 1536: "1536KB"} {
		if got := hugePageName(kb); got != want {
			t.Errorf("hugePageName(%d) = %s, want %s", kb, got, want)
		}
	}
}

// TestStatsJSONLayout pins the names engines parse.
func TestStatsJSONLayout(t *testing.T) {
	s := &Stats{Hugetlb: map[string]HugetlbStats{}}
	s.Memory.Usage.Usage = 1
	s.Pids.Current = 2
	s.CPU.Usage.Total = 3
	b, _ := json.Marshal(s)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, path := range [][]string{
		{"memory", "usage", "usage"}, {"memory", "usage", "limit"}, {"memory", "swap", "failcnt"},
		{"pids", "current"}, {"cpu", "usage", "total"}, {"cpu", "usage", "kernel"}, {"cpu", "throttling"},
		{"hugetlb"}, {"blkio"}, {"cpuset", "cpu_exclusive"},
	} {
		var cur any = m
		for _, k := range path {
			obj, ok := cur.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object in %s", path, b)
			}
			if cur, ok = obj[k]; !ok {
				t.Fatalf("%v missing in %s", path, b)
			}
		}
	}
}

func TestStatsAndOOM(t *testing.T) {
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
	limit := int64(20 << 20)
	pids := int64(20)
	res := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids}}
	if err := m.Set(res); err != nil {
		t.Fatal(err)
	}
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.Pids.Current != 1 || s.Pids.Limit != 20 {
		t.Errorf("pids: %+v, want current 1 limit 20", s.Pids)
	}
	// Usage may still be 0: v1 does not move a task's old charges.
	if s.Memory.Usage.Limit != uint64(limit) {
		t.Errorf("memory usage: %+v, want limit %d", s.Memory.Usage, limit)
	}
	if len(s.Memory.Raw) == 0 {
		t.Error("memory.raw is empty")
	}

	w, err := m.NotifyOOM()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n, err := w.Wait(0); n != 0 || err != nil {
		t.Fatalf("before any OOM: %d %v", n, err)
	}
	hog := exec.Command("tail", "/dev/zero")
	if err := hog.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hog.Process.Kill(); _ = hog.Wait() }()
	// Move the hog in before it has grown: Apply on a New manager would
	// mkdir again, so reuse the loaded form.
	if err := Load(m.Paths(), nil).Apply(hog.Process.Pid); err != nil {
		t.Fatal(err)
	}
	total := 0
	deadline := time.Now().Add(15 * time.Second)
	for total == 0 && time.Now().Before(deadline) {
		n, err := w.Wait(200 * time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total == 0 {
		t.Fatal("no OOM event within 15s")
	}
	_ = hog.Wait()
	if s, err := m.Stats(); err != nil {
		t.Error(err)
	} else if s.Memory.Usage.Max == 0 && s.Memory.Usage.Failcnt == 0 {
		t.Errorf("after OOM: %+v, want a peak or a failure count", s.Memory.Usage)
	}

	// Removing the cgroup ends the watch.
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		_, err := w.Wait(100 * time.Millisecond)
		if errors.Is(err, ErrCgroupGone) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no end of watch after the cgroup was removed")
		}
	}
}
