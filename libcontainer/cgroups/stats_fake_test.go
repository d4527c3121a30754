package cgroups

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeDir writes control files into a temporary directory, so the v1 and
// v2 parsers run on any host.
func fakeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	d := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(d, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestStatsV2Fake(t *testing.T) {
	d := fakeDir(t, map[string]string{
		"cpu.stat":              "usage_usec 100\nuser_usec 60\nsystem_usec 40\nnr_periods 5\nnr_throttled 2\nthrottled_usec 7\n",
		"memory.current":        "1000\n",
		"memory.max":            "4096\n",
		"memory.peak":           "2000\n",
		"memory.events":         "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n",
		"memory.swap.current":   "10\n",
		"memory.swap.max":       "max\n",
		"memory.stat":           "anon 500\nfile 300\n",
		"pids.current":          "4\n",
		"pids.max":              "max\n",
		"io.stat":               "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n",
		"cpuset.cpus.effective": "0-1\n",
		"cpuset.mems.effective": "0\n",
		"hugetlb.2MB.current":   "2097152\n",
		"hugetlb.2MB.events":    "max 1\n",
	})
	s, err := Load(map[string]string{"": d}, nil).Stats()
	if err != nil {
		t.Fatal(err)
	}
	if u := s.CPU.Usage; u.Total != 100000 || u.User != 60000 || u.Kernel != 40000 {
		t.Errorf("cpu usage: %+v", u)
	}
	if th := s.CPU.Throttling; th != (Throttling{5, 2, 7000}) {
		t.Errorf("throttling: %+v", th)
	}
	if u := s.Memory.Usage; u != (MemoryEntry{Limit: 4096, Usage: 1000, Max: 2000, Failcnt: 3}) {
		t.Errorf("memory usage: %+v", u)
	}
	// Swap is reported as memory+swap, unlimited stays unlimited.
	if sw := s.Memory.Swap; sw.Usage != 1010 || sw.Limit != math.MaxUint64 {
		t.Errorf("swap: %+v", sw)
	}
	if s.Memory.Cache != 300 || s.Memory.Raw["anon"] != 500 {
		t.Errorf("raw: %+v cache %d", s.Memory.Raw, s.Memory.Cache)
	}
	if s.Pids != (PidsStats{Current: 4}) {
		t.Errorf("pids: %+v", s.Pids)
	}
	if len(s.Blkio.IoServiceBytesRecursive) != 3 || len(s.Blkio.IoServicedRecursive) != 3 {
		t.Errorf("blkio: %+v", s.Blkio)
	}
	if len(s.CPUSet.CPUs) != 2 || len(s.CPUSet.Mems) != 1 {
		t.Errorf("cpuset: %+v", s.CPUSet)
	}
	if _, err := os.Stat("/sys/kernel/mm/hugepages/hugepages-2048kB"); err == nil {
		if h := s.Hugetlb["2MB"]; h.Usage != 2097152 || h.Failcnt != 1 {
			t.Errorf("hugetlb: %+v", s.Hugetlb)
		}
	}
}

func TestStatsV1Fake(t *testing.T) {
	d := fakeDir(t, map[string]string{
		"cpuacct.usage":                             "5000\n",
		"cpuacct.usage_percpu":                      "3000 2000 \n",
		"cpuacct.stat":                              "user 3\nsystem 2\n",
		"cpu.stat":                                  "nr_periods 1\nnr_throttled 1\nthrottled_time 9\n",
		"memory.usage_in_bytes":                     "100\n",
		"memory.max_usage_in_bytes":                 "200\n",
		"memory.failcnt":                            "1\n",
		"memory.limit_in_bytes":                     "9223372036854771712\n",
		"memory.kmem.usage_in_bytes":                "7\n",
		"memory.stat":                               "cache 40\nrss 60\n",
		"pids.current":                              "2\n",
		"pids.max":                                  "9\n",
		"blkio.bfq.io_service_bytes_recursive":      "Total 0\n",
		"blkio.throttle.io_service_bytes_recursive": "8:0 Read 5\n8:0 Write 6\nTotal 11\n",
		"blkio.throttle.io_serviced_recursive":      "8:0 Read 1\nTotal 1\n",
		"cpuset.cpus":                               "0\n",
		"cpuset.sched_relax_domain_level":           "-1\n",
	})
	paths := map[string]string{}
	for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "blkio", "cpuset", "hugetlb"} {
		paths[c] = d
	}
	s, err := Load(paths, nil).Stats()
	if err != nil {
		t.Fatal(err)
	}
	u := s.CPU.Usage
	if u.Total != 5000 || len(u.Percpu) != 2 || u.User != 30_000_000 || u.Kernel != 20_000_000 {
		t.Errorf("cpu: %+v", u)
	}
	if s.CPU.Throttling.ThrottledTime != 9 {
		t.Errorf("throttling: %+v", s.CPU.Throttling)
	}
	if m := s.Memory.Usage; m.Usage != 100 || m.Max != 200 || m.Failcnt != 1 || m.Limit != 9223372036854771712 {
		t.Errorf("memory: %+v", m)
	}
	if s.Memory.Kernel.Usage != 7 || s.Memory.Swap != (MemoryEntry{}) || s.Memory.Cache != 40 {
		t.Errorf("memory families: %+v", s.Memory)
	}
	if s.Pids != (PidsStats{Current: 2, Limit: 9}) {
		t.Errorf("pids: %+v", s.Pids)
	}
	// BFQ has only a total: the throttle counters are used.
	if b := s.Blkio; len(b.IoServiceBytesRecursive) != 2 || len(b.IoServicedRecursive) != 1 {
		t.Errorf("blkio: %+v", b)
	}
	if s.CPUSet.SchedRelaxDomainLevel != -1 || len(s.CPUSet.CPUs) != 1 {
		t.Errorf("cpuset: %+v", s.CPUSet)
	}
	if len(s.Hugetlb) != 0 {
		t.Errorf("hugetlb without files: %+v", s.Hugetlb)
	}
}

func TestStatsBadFile(t *testing.T) {
	d := fakeDir(t, map[string]string{"pids.current": "lots\n"})
	_, err := Load(map[string]string{"pids": d}, nil).Stats()
	if err == nil || !strings.Contains(err.Error(), filepath.Join(d, "pids.current")) {
		t.Fatalf("want an error naming the file, got %v", err)
	}
}

func TestOOMWatcherV2Fake(t *testing.T) {
	d := fakeDir(t, map[string]string{"memory.events": "oom 0\noom_kill 2\n"})
	w, err := newOOMWatcherV2(d)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n, err := w.Wait(0); n != 0 || err != nil {
		t.Fatalf("old kills must not count: %d %v", n, err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		// One write without truncation, as the kernel updates the file.
		f, err := os.OpenFile(filepath.Join(d, "memory.events"), os.O_WRONLY, 0)
		if err == nil {
			f.WriteAt([]byte("oom 1\noom_kill 4\n"), 0)
			f.Close()
		}
	}()
	start := time.Now()
	n, err := w.Wait(5 * time.Second)
	if err != nil || n != 2 {
		t.Fatalf("after two kills: %d %v", n, err)
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the inotify wakeup did not work")
	}
	os.Remove(filepath.Join(d, "memory.events"))
	if _, err := w.Wait(0); !errors.Is(err, ErrCgroupGone) {
		t.Fatalf("removed: %v", err)
	}
}
