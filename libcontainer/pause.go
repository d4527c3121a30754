package libcontainer

import (
	"errors"
	"fmt"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// Pause freezes every process of a running container. A created one is
// refused (runc allows it): its status would still read "created", start
// would wait forever on the frozen init, and delete could not kill it.
func Pause(store state.Store, id string) error {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return err
	}
	defer unlock()
	switch c.Status {
	case state.Running:
	case state.Created:
		return fmt.Errorf("container not running: %s is created but not started; start it before pausing", id)
	default:
		return errors.New("container not running")
	}
	m := c.cgroup()
	if m == nil {
		return fmt.Errorf("cannot pause %s: it has no cgroup (rootless without a delegated cgroup)", id)
	}
	if err := m.Freeze(); err != nil {
		return fmt.Errorf("pause %s: %w", id, err)
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
	// A created container that was paused still reports "created" (the
	// exec fifo decides first), so ask the freezer too.
	if c.Status != state.Paused && !(c.Status == state.Created && c.frozen()) {
		return errors.New("container not paused")
	}
	m := c.cgroup()
	if m == nil {
		return errors.New("container not paused")
	}
	if err := m.Thaw(); err != nil {
		return fmt.Errorf("resume %s: %w", id, err)
	}
	return nil
}
