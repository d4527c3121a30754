package timerslack

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary links the constructor, so its own threads are a
// command's runtime threads.
func TestRuntimeThreadsCoarseChildrenTheCallers(t *testing.T) {
	caller := Caller()
	if caller == 0 {
		if s := readSlack(t, "/proc/self/timerslack_ns"); s < RuntimeSlack {
			t.Fatalf("the process's slack is %d ns: the constructor did not set the runtime's %d", s, RuntimeSlack)
		}
		t.Skipf("whoever ran the test has a slack of %d ns or more, which the constructor keeps", RuntimeSlack)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		// /proc/TID, not /proc/self/task/TID: only the former has the file.
		if got := readSlack(t, "/proc/"+task.Name()+"/timerslack_ns"); got != RuntimeSlack {
			t.Errorf("thread %s: slack %d, want the runtime's %d", task.Name(), got, RuntimeSlack)
		}
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var out bytes.Buffer
	cmd := exec.Command("/bin/cat", "/proc/self/timerslack_ns")
	cmd.Stdout = &out
	if err := Start(cmd.Start); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := parseSlack(t, out.String()); got != caller {
		t.Errorf("a child started through Start has slack %d, want the caller's %d", got, caller)
	}
	if got, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0); err != nil || got != RuntimeSlack {
		t.Errorf("the thread that started the child has slack %d (%v) after Start, want %d", got, err, RuntimeSlack)
	}
}

func readSlack(t *testing.T, path string) uint64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseSlack(t, string(b))
}

func parseSlack(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil {
		t.Fatalf("timerslack_ns %q: %v", s, err)
	}
	return n
}
