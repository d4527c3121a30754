package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// Processes lists the host pids of every process of container id (see
// processes); for a container that shares its cgroup and pid namespace,
// where that cannot be known, the init and its descendants.
func Processes(store state.Store, id string) ([]int, error) {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	switch c.Status {
	case state.Creating:
		return nil, fmt.Errorf("container %s is not running (status %s)", id, c.Status)
	case state.Stopped:
		// As runc: what is left in the container's own cgroup (processes
		// the init left behind without a pid namespace), often nothing.
		if m := c.cgroup(); m != nil && m.Owned() {
			return m.GetPids()
		}
		return nil, nil
	}
	pids, err := c.processes()
	if errors.Is(err, errIndistinct) {
		return descendants(c.State.Pid), nil
	}
	if err != nil {
		return nil, fmt.Errorf("list processes of %s: %w", id, err)
	}
	return pids, nil
}

// errIndistinct: the container's processes cannot be told apart from
// others' (see processes).
var errIndistinct = errors.New("its processes cannot be told apart from others'")

// processes lists every process of the container, and only those: the
// members of a cgroup hutch created for it; else, when it has a pid
// namespace of its own, the processes in that namespace; else, with no
// cgroup at all (rootless without a delegated cgroup), the init and its
// descendants. A container in a cgroup it did not create (a joined, shared
// one) and in a pid namespace that is not its own has no such set: the
// cgroup holds other processes too, so it is an error wrapping
// errIndistinct rather than a guess.
func (c *Container) processes() ([]int, error) {
	m := c.cgroup()
	switch {
	case m != nil && m.Owned():
		return m.GetPids()
	case c.State.OwnPidNS:
		return pidNamespaceMembers(c.State.Pid)
	case m == nil:
		return descendants(c.State.Pid), nil
	}
	return nil, fmt.Errorf("container %s is in a cgroup that hutch did not create for it and has no pid namespace of its own: %w",
		c.State.ID, errIndistinct)
}

// pidNamespaceMembers lists the processes (host pids) in the pid namespace
// of init, found by comparing /proc/PID/ns/pid of every process.
func pidNamespaceMembers(init int) ([]int, error) {
	var want unix.Stat_t
	if err := unix.Stat("/proc/"+strconv.Itoa(init)+"/ns/pid", &want); err != nil {
		return nil, fmt.Errorf("pid namespace of container init %d: %w", init, err)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+e.Name()+"/ns/pid", &st) == nil && st.Ino == want.Ino && st.Dev == want.Dev {
			out = append(out, pid)
		}
	}
	return out, nil
}

// descendants walks /proc/PID/task/*/children from pid down.
func descendants(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(out[i]) + "/task")
		for _, t := range tasks {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(out[i]) + "/task/" + t.Name() + "/children")
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if p, err := strconv.Atoi(f); err == nil {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// FilterPsTable keeps the header of ps output and the lines whose PID
// column is one of pids.
func FilterPsTable(out string, pids []int) (string, error) {
	lines := strings.Split(out, "\n")
	header := strings.Fields(lines[0])
	col := -1
	for i, h := range header {
		if h == "PID" {
			col = i
			break
		}
	}
	if col < 0 {
		return "", errors.New("ps: couldn't find PID field in ps output (the ps options must print a PID column)")
	}
	want := make(map[int]bool, len(pids))
	for _, p := range pids {
		want[p] = true
	}
	var b strings.Builder
	b.WriteString(lines[0] + "\n")
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) <= col {
			continue
		}
		p, err := strconv.Atoi(f[col])
		if err != nil {
			return "", fmt.Errorf("ps: unexpected PID %q in line %q", f[col], line)
		}
		if want[p] {
			b.WriteString(line + "\n")
		}
	}
	return b.String(), nil
}
