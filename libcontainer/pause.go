package libcontainer

import (
	"errors"
	"fmt"
	"os"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// Pause freezes every process of a running or created container (as runc:
// a paused created container reads "paused", start refuses it, resume makes
// it created again).
func Pause(store state.Store, id string) error {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return err
	}
	defer unlock()
	switch c.Status {
	case state.Running, state.Created:
	default:
		return errors.New("container not running")
	}
	m := c.cgroup()
	if m == nil {
		return fmt.Errorf("cannot pause %s: it has no cgroup (rootless without a delegated cgroup)", id)
	}
	if !m.Owned() {
		if err := c.soleMember(m); err != nil {
			return fmt.Errorf("cannot pause %s: %w", id, err)
		}
	}
	if err := m.Freeze(); err != nil {
		return fmt.Errorf("pause %s: %w", id, err)
	}
	if c.Status == state.Created {
		if err := c.entry.WriteFile(state.PausedFile, nil, 0o600); err != nil {
			m.Thaw()
			return fmt.Errorf("pause %s: %w", id, err)
		}
	}
	return nil
}

// soleMember checks that every process in the freezer cgroup of a cgroup
// hutch did not create (an existing one the container joined) is the
// container's: freezing it would otherwise stop processes the container
// does not own. Without a pid namespace of its own, the container's processes are its init's
// descendants (one that left that tree is taken as foreign: a refusal).
func (c *Container) soleMember(m cgroups.Manager) error {
	pids, err := m.FreezerPids()
	if err != nil {
		return err
	}
	own, err := c.processes()
	if err != nil {
		own = descendants(c.State.Pid)
	}
	mine := make(map[int]bool, len(own))
	for _, p := range own {
		mine[p] = true
	}
	for _, p := range pids {
		if !mine[p] {
			return fmt.Errorf("its cgroup was not created by hutch and also holds pid %d, which is not the container's: freezing the cgroup would stop that process too", p)
		}
	}
	return nil
}

// Resume thaws a paused container.
func Resume(store state.Store, id string) error {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return err
	}
	defer unlock()
	if c.Status != state.Paused {
		return errors.New("container not paused")
	}
	m := c.cgroup()
	if m == nil {
		return errors.New("container not paused")
	}
	if err := m.Thaw(); err != nil {
		return fmt.Errorf("resume %s: %w", id, err)
	}
	if err := c.entry.Remove(state.PausedFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("resume %s: %w", id, err)
	}
	return nil
}
