package state

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/readlimit"
)

func TestReserveSaveLoad(t *testing.T) {
	s := Store{Root: t.TempDir()}
	e, err := s.Reserve("a")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := s.Reserve("a"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second reserve: got %v, want already exists", err)
	}
	st := &State{ID: "a", Bundle: "/b", Pid: os.Getpid(), Created: time.Now().UTC()}
	start, _, err := ProcStartTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	st.StartTime = start
	if err := e.Save(st); err != nil {
		t.Fatal(err)
	}
	e2, err := s.Open("a")
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	got, err := e2.Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Pid != st.Pid || got.Bundle != "/b" || got.StartTime != start {
		t.Fatalf("loaded %+v, saved %+v", got, st)
	}
	ids, err := s.Candidates()
	if err != nil || len(ids) != 1 || ids[0] != "a" {
		t.Fatalf("Candidates = %v, %v", ids, err)
	}
	// No temp files left next to state.json.
	ents, _ := os.ReadDir(e.Dir())
	if len(ents) != 1 {
		t.Fatalf("state dir holds %d entries, want only state.json", len(ents))
	}
	if err := e.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "a")); !os.IsNotExist(err) {
		t.Fatalf("after Destroy: %v", err)
	}
}

func TestOpenMissing(t *testing.T) {
	s := Store{Root: t.TempDir()}
	if _, err := s.Open("nope"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("got %v", err)
	}
	// Nor a root that does not exist yet.
	s = Store{Root: filepath.Join(t.TempDir(), "absent")}
	if _, err := s.Open("nope"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("absent root: got %v", err)
	}
}

// Ids that create refuses are refused by every entry point, before the
// filesystem is looked at: ../v must never name a sibling of the root.
func TestInvalidIDRefusedEverywhere(t *testing.T) {
	base := t.TempDir()
	s := Store{Root: filepath.Join(base, "root")}
	if err := os.Mkdir(s.Root, 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "v"), 0o711); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../v", "..", ".", "", "a/b", "/abs"} {
		if _, err := s.Open(id); err == nil || !strings.Contains(err.Error(), "invalid container ID format") {
			t.Errorf("Open(%q) = %v, want invalid container ID format", id, err)
		}
		if _, err := s.Reserve(id); err == nil || !strings.Contains(err.Error(), "invalid container ID format") {
			t.Errorf("Reserve(%q) = %v, want invalid container ID format", id, err)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "v")); err != nil {
		t.Fatal(err)
	}
}

// An entry that is a symlink (to a directory elsewhere), a file, or a
// directory of someone else is refused; nothing is read through it.
func TestEntryMustBeOwnPlainDirectory(t *testing.T) {
	base := t.TempDir()
	s := Store{Root: filepath.Join(base, "root")}
	os.Mkdir(s.Root, 0o711)
	elsewhere := filepath.Join(base, "elsewhere")
	os.Mkdir(elsewhere, 0o700)
	os.WriteFile(filepath.Join(elsewhere, StateFile), []byte(`{"id":"x"}`), 0o600)
	os.Symlink(elsewhere, filepath.Join(s.Root, "x"))
	if _, err := s.Open("x"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("symlinked entry: %v", err)
	}
	os.WriteFile(filepath.Join(s.Root, "f"), nil, 0o600)
	if _, err := s.Open("f"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("file entry: %v", err)
	}
	os.Mkdir(filepath.Join(s.Root, "w"), 0o700)
	os.Chmod(filepath.Join(s.Root, "w"), 0o777)
	if _, err := s.Open("w"); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Fatalf("world-writable entry: %v", err)
	}
	if os.Geteuid() == 0 {
		os.Mkdir(filepath.Join(s.Root, "o"), 0o700)
		os.Chown(filepath.Join(s.Root, "o"), 1000, 1000)
		if _, err := s.Open("o"); err == nil || !strings.Contains(err.Error(), "belongs to uid 1000") {
			t.Fatalf("foreign entry: %v", err)
		}
	}
	ids, _ := s.Candidates()
	for _, id := range ids {
		if id == "x" || id == "f" {
			t.Errorf("Candidates lists %q, not a directory", id)
		}
	}
	if _, err := os.Stat(filepath.Join(elsewhere, StateFile)); err != nil {
		t.Fatalf("the symlink's target was touched: %v", err)
	}
}

func TestRootSymlinkRefused(t *testing.T) {
	base := t.TempDir()
	os.Mkdir(filepath.Join(base, "real"), 0o711)
	os.Symlink(filepath.Join(base, "real"), filepath.Join(base, "link"))
	s := Store{Root: filepath.Join(base, "link")}
	if _, err := s.Reserve("a"); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Fatalf("Reserve under a symlinked root: %v", err)
	}
	if _, err := s.Open("a"); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Fatalf("Open under a symlinked root: %v", err)
	}
}

// state.json and config.json are read only as regular files, not through
// a symlink, and never beyond the bound (a symlink to /dev/zero would
// otherwise be read until memory runs out).
func TestStateFilesBounded(t *testing.T) {
	s := Store{Root: t.TempDir()}
	e, err := s.Reserve("a")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dir := e.Dir()
	os.Symlink("/dev/zero", filepath.Join(dir, StateFile))
	if _, err := e.Load(); err == nil || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("state.json -> /dev/zero: %v", err)
	}
	os.Remove(filepath.Join(dir, StateFile))
	if err := unix.Mkfifo(filepath.Join(dir, StateFile), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Load(); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("state.json a fifo: %v", err)
	}
	os.Remove(filepath.Join(dir, StateFile))
	f, _ := os.Create(filepath.Join(dir, ConfigFile))
	f.Truncate(readlimit.ConfigMax + 1)
	f.Close()
	if _, err := e.ReadFile(ConfigFile); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("huge config.json: %v", err)
	}
}

// Destroy removes the directory without following a symlink inside it.
func TestDestroyFollowsNoSymlink(t *testing.T) {
	base := t.TempDir()
	s := Store{Root: filepath.Join(base, "root")}
	e, err := s.Reserve("a")
	if err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(base, "victim")
	os.Mkdir(victim, 0o700)
	os.WriteFile(filepath.Join(victim, "keep"), nil, 0o600)
	os.Symlink(victim, filepath.Join(e.Dir(), "link"))
	os.MkdirAll(filepath.Join(e.Dir(), "notify", "sub"), 0o700)
	os.Symlink(victim, filepath.Join(e.Dir(), "notify", "sub", "link"))
	if err := e.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(victim, "keep")); err != nil {
		t.Fatalf("symlink target emptied: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(s.Root, "a")); !os.IsNotExist(err) {
		t.Fatalf("entry left: %v", err)
	}
}

func TestStatusDerivedFromProcess(t *testing.T) {
	s := Store{Root: t.TempDir()}
	e, _ := s.Reserve("c")
	defer e.Close()
	start, _, _ := ProcStartTime(os.Getpid())
	st := &State{ID: "c", Pid: os.Getpid(), StartTime: start}
	if got := e.Status(st, nil); got != Running {
		t.Fatalf("live pid without fifo: %s, want running", got)
	}
	os.WriteFile(filepath.Join(e.Dir(), FifoFile), nil, 0o600)
	if got := e.Status(st, nil); got != Created {
		t.Fatalf("with fifo: %s, want created", got)
	}
	if got := e.Status(st, func() bool { return true }); got != Created {
		t.Fatalf("a created container frozen but not by pause: %s, want created", got)
	}
	os.WriteFile(filepath.Join(e.Dir(), PausedFile), nil, 0o600)
	if got := e.Status(st, func() bool { return true }); got != Paused {
		t.Fatalf("a created container that pause froze: %s, want paused (as runc)", got)
	}
	if got := e.Status(st, func() bool { return false }); got != Created {
		t.Fatalf("marked but thawed: %s, want created", got)
	}
	os.Remove(filepath.Join(e.Dir(), PausedFile))
	os.Remove(filepath.Join(e.Dir(), FifoFile))
	if got := e.Status(st, func() bool { return true }); got != Paused {
		t.Fatalf("frozen: %s, want paused", got)
	}
	// A reused pid has another start time: the container is gone.
	st.StartTime++
	if got := e.Status(st, nil); got != Stopped {
		t.Fatalf("start time mismatch: %s, want stopped", got)
	}
	st.Pid = 0
	if got := e.Status(st, nil); got != Stopped {
		t.Fatalf("no pid: %s", got)
	}
}

// A record still marked creating reads "creating" while the create holds
// the lock, and "stopped" once it is gone (killed half-way).
func TestStatusCreating(t *testing.T) {
	s := Store{Root: t.TempDir()}
	creator, _ := s.Reserve("c") // locked, as create holds it
	st := &State{ID: "c", Creating: true}
	reader, err := s.Open("c")
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if got := reader.Status(st, nil); got != Creating {
		t.Fatalf("while the create holds the lock: %s, want creating", got)
	}
	creator.Close()
	if got := reader.Status(st, nil); got != Stopped {
		t.Fatalf("after the create is gone: %s, want stopped", got)
	}
	// Under one's own lock (delete), a creating record is an interrupted one.
	reader.Lock()
	if got := reader.Status(st, nil); got != Stopped {
		t.Fatalf("under the caller's own lock: %s, want stopped", got)
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
	// The state letter is not compared: it is the main thread's, which
	// may run or sleep between the two reads (this goroutine can move to
	// another thread), as CI saw (R, then S).
	if got := strconv.FormatUint(start, 10); got != f[21] || !strings.ContainsRune("RSDTtZXIWP", rune(letter)) {
		t.Fatalf("ProcStartTime = %s %c, /proc/self/stat has %s %s", got, letter, f[21], f[2])
	}
}
