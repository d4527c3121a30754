package libcontainer

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// Processes lists the host pids of every process of container id: those in
// its cgroup, or, without a cgroup (rootless), the init and its descendants.
func Processes(store state.Store, id string) ([]int, error) {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if c.Status == state.Stopped {
		return nil, fmt.Errorf("container %s is not running (status %s)", id, c.Status)
	}
	if m := c.cgroup(); m != nil {
		pids, err := m.GetPids()
		if err != nil {
			return nil, fmt.Errorf("list processes of %s: %w", id, err)
		}
		return pids, nil
	}
	return descendants(c.State.Pid), nil
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
