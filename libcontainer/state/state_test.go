package state

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestReserveSaveLoad(t *testing.T) {
	s := Store{Root: t.TempDir()}
	if _, err := s.Reserve("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Reserve("a"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second reserve: got %v, want already exists", err)
	}
	st := &State{ID: "a", Bundle: "/b", Pid: os.Getpid(), Created: time.Now().UTC()}
	start, _, err := ProcStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	st.StartTime = start
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("a")
	if err != nil {
		t.Fatal(err)
	}
	if got.Pid != st.Pid || got.Bundle != "/b" || got.StartTime != start {
		t.Fatalf("loaded %+v, saved %+v", got, st)
	}
	ids, err := s.List()
	if err != nil || len(ids) != 1 || ids[0] != "a" {
		t.Fatalf("List = %v, %v", ids, err)
	}
	// No temp files left next to state.json.
	ents, _ := os.ReadDir(s.Dir("a"))
	if len(ents) != 1 {
		t.Fatalf("state dir holds %d entries, want only state.json", len(ents))
	}
}

func TestLoadMissing(t *testing.T) {
	s := Store{Root: t.TempDir()}
	if _, err := s.Load("nope"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("got %v", err)
	}
}

func TestStatusDerivedFromProcess(t *testing.T) {
	s := Store{Root: t.TempDir()}
	s.Reserve("c")
	start, _, _ := ProcStartTime(os.Getpid())
	st := &State{ID: "c", Pid: os.Getpid(), StartTime: start}
	if got := s.Status(st, nil); got != Running {
		t.Fatalf("live pid without fifo: %s, want running", got)
	}
	os.WriteFile(filepath.Join(s.Dir("c"), FifoFile), nil, 0o600)
	if got := s.Status(st, nil); got != Created {
		t.Fatalf("with fifo: %s, want created", got)
	}
	if got := s.Status(st, func() bool { return true }); got != Created {
		t.Fatalf("created beats frozen: %s", got)
	}
	os.Remove(filepath.Join(s.Dir("c"), FifoFile))
	if got := s.Status(st, func() bool { return true }); got != Paused {
		t.Fatalf("frozen: %s, want paused", got)
	}
	// A reused pid has another start time: the container is gone.
	st.StartTime++
	if got := s.Status(st, nil); got != Stopped {
		t.Fatalf("start time mismatch: %s, want stopped", got)
	}
	st.Pid = 0
	if got := s.Status(st, nil); got != Stopped {
		t.Fatalf("no pid: %s", got)
	}
}

func TestProcStartTimeParsesOddNames(t *testing.T) {
	// The comm field may hold spaces and parentheses; our own stat is a
	// sanity check that parsing from the last ')' works.
	if _, letter, err := ProcStartTime(os.Getpid()); err != nil || letter == 0 {
		t.Fatalf("ProcStartTime: %v %q", err, letter)
	}
	if _, _, err := ProcStartTime(1 << 30); err == nil {
		t.Fatal("want error for a pid that does not exist")
	}
}

// ProcStartTime walks to field 22 itself: check it against a plain split of
// a live process's stat line (this test's own, whose comm has no spaces).
func TestProcStartTimeMatchesFields(t *testing.T) {
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(data))
	start, letter, err := ProcStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if got := strconv.FormatUint(start, 10); got != f[21] || letter != f[2][0] {
		t.Fatalf("ProcStartTime = %s %c, /proc/self/stat has %s %s", got, letter, f[21], f[2])
	}
}
