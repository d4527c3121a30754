package cgroups

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// freezer picks the v1 freezer when it is mounted, otherwise the cgroup2
// core file cgroup.freeze (present in every non-root v2 cgroup).
func (m *manager) freezer() (dir string, v2 bool, err error) {
	if d, ok := m.paths["freezer"]; ok {
		return d, false, nil
	}
	if d, ok := m.paths[""]; ok {
		return d, true, nil
	}
	return "", false, errors.New("cgroups: no freezer: neither the v1 freezer controller nor cgroup2 is available")
}

func (m *manager) Freeze() error { return m.setFrozen(true) }
func (m *manager) Thaw() error   { return m.setFrozen(false) }

func (m *manager) setFrozen(frozen bool) error {
	dir, v2, err := m.freezer()
	if err != nil {
		return err
	}
	if v2 {
		return freezeV2(dir, frozen)
	}
	return freezeV1(dir, frozen)
}

func freezeV1(dir string, frozen bool) error {
	want := "THAWED"
	if frozen {
		want = "FROZEN"
	}
	// FREEZING can linger while tasks are in uninterruptible sleep; writing
	// FROZEN again nudges the kernel to retry them.
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		if i%10 == 0 {
			if err := writeFile(dir, "freezer.state", want); err != nil {
				return fmt.Errorf("cgroups: write %s: %w", filepath.Join(dir, "freezer.state"), unwrapPath(err))
			}
		}
		state, err := readFile(dir, "freezer.state")
		if err != nil {
			return fmt.Errorf("cgroups: read %s: %w", filepath.Join(dir, "freezer.state"), unwrapPath(err))
		}
		if state == want {
			return nil
		}
		if time.Now().After(deadline) {
			if frozen {
				// Do not leave the container half frozen.
				_ = writeFile(dir, "freezer.state", "THAWED")
			}
			return fmt.Errorf("cgroups: %s stuck in %s, wanted %s", dir, state, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func freezeV2(dir string, frozen bool) error {
	val := "0"
	if frozen {
		val = "1"
	}
	if err := writeFile(dir, "cgroup.freeze", val); err != nil {
		return fmt.Errorf("cgroups: write %s: %w", filepath.Join(dir, "cgroup.freeze"), unwrapPath(err))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ev, err := readFile(dir, "cgroup.events")
		if err != nil {
			return fmt.Errorf("cgroups: read %s: %w", filepath.Join(dir, "cgroup.events"), unwrapPath(err))
		}
		if eventValue(ev, "frozen") == val {
			return nil
		}
		if time.Now().After(deadline) {
			if frozen {
				_ = writeFile(dir, "cgroup.freeze", "0")
			}
			return fmt.Errorf("cgroups: %s did not reach frozen=%s", dir, val)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func eventValue(events, key string) string {
	for _, line := range strings.Split(events, "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			return f[1]
		}
	}
	return ""
}

func (m *manager) IsFrozen() (bool, error) {
	dir, v2, err := m.freezer()
	if err != nil {
		return false, err
	}
	name := "freezer.state"
	if v2 {
		name = "cgroup.freeze"
	}
	s, err := readFile(dir, name)
	if err != nil {
		return false, fmt.Errorf("cgroups: read %s: %w", filepath.Join(dir, name), unwrapPath(err))
	}
	if v2 {
		return s == "1", nil
	}
	// FREEZING counts as frozen: the container was asked to pause and no
	// task will run user code until it is thawed.
	return s == "FROZEN" || s == "FREEZING", nil
}
