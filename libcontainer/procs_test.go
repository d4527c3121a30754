package libcontainer

import (
	"errors"
	"os"
	"testing"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// A container in a cgroup hutch did not create, without a pid namespace
// of its own, has no set of processes that is its alone: kill --all must
// refuse instead of signalling the cgroup's other members.
func TestProcessesOfSharedCgroupWithoutPidNS(t *testing.T) {
	c := &Container{State: &state.State{ID: "c", Pid: os.Getpid(),
		CgroupPaths: map[string]string{"pids": "/sys/fs/cgroup/pids/shared"}}}
	if _, err := c.processes(); !errors.Is(err, errIndistinct) {
		t.Fatalf("processes() = %v, want errIndistinct", err)
	}
	if err := sendSignal(c, 0, true); !errors.Is(err, errIndistinct) {
		t.Fatalf("kill --all: %v, want a refusal", err)
	}
	// The same cgroup, created by hutch: its members are the container's.
	c.State.CgroupCreated = []string{"/sys/fs/cgroup/pids/shared"}
	if _, err := c.processes(); errors.Is(err, errIndistinct) {
		t.Fatalf("owned cgroup: %v", err)
	}
	// Without any cgroup: the init's process tree.
	c.State.CgroupPaths, c.State.CgroupCreated = nil, nil
	pids, err := c.processes()
	if err != nil || len(pids) == 0 || pids[0] != os.Getpid() {
		t.Fatalf("no cgroup: %v, %v", pids, err)
	}
}

// With a pid namespace of its own, the processes are those in it: here,
// the test's own namespace, which holds this process.
func TestProcessesOfOwnPidNS(t *testing.T) {
	c := &Container{State: &state.State{ID: "c", Pid: os.Getpid(), OwnPidNS: true,
		CgroupPaths: map[string]string{"pids": "/sys/fs/cgroup/pids/shared"}}}
	pids, err := c.processes()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pids {
		found = found || p == os.Getpid()
	}
	if !found {
		t.Fatalf("own pid %d not among %v", os.Getpid(), pids)
	}
}
