package libcontainer

import (
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// Event is one line of `hutch events`, as runc prints it.
type Event struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Data any    `json:"data,omitempty"`
}

// StatsData is the "data" of a stats event: the cgroup counters plus the
// two members runc always prints (hutch has no Intel RDT or network stats).
type StatsData struct {
	*cgroups.Stats
	IntelRdt          struct{} `json:"intel_rdt"`
	NetworkInterfaces []any    `json:"network_interfaces"`
}

// aliveCheck bounds how long a stopped container keeps `events` waiting.
const aliveCheck = 100 * time.Millisecond

// loadLive loads a container that events can watch: not stopped, with a
// cgroup. The lock is held only for the load; events may run for hours.
func loadLive(store state.Store, id string) (*Container, cgroups.Manager, error) {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	if c.Status == state.Stopped {
		return nil, nil, fmt.Errorf("container with id %s is not running", id)
	}
	m := c.cgroup()
	if m == nil {
		return nil, nil, fmt.Errorf("container %s has no cgroup (rootless without a delegated cgroup): no stats or events", id)
	}
	return c, m, nil
}

// Stats returns one stats event of container id.
func Stats(store state.Store, id string) (*Event, error) {
	_, m, err := loadLive(store, id)
	if err != nil {
		return nil, err
	}
	s, err := m.Stats()
	if err != nil {
		return nil, fmt.Errorf("stats of %s: %w", id, err)
	}
	return &Event{Type: "stats", ID: id, Data: &StatsData{Stats: s}}, nil
}

// Events calls emit with a stats event every interval and an oom event for
// every OOM in the container's memory cgroup, until the container stops
// or emit fails. An OOM that killed the init is still reported.
func Events(store state.Store, id string, interval time.Duration, emit func(*Event) error) error {
	if interval <= 0 {
		return fmt.Errorf("--interval: must be positive, got %s", interval)
	}
	c, m, err := loadLive(store, id)
	if err != nil {
		return err
	}
	oom, err := m.NotifyOOM()
	if err != nil {
		logrus.Warnf("events: no OOM events for %s: %v", id, err)
	}
	if oom != nil {
		defer oom.Close()
	}
	// checkOOM reports new OOMs; a removed cgroup ends the watch.
	checkOOM := func(wait time.Duration) error {
		if oom == nil {
			time.Sleep(wait)
			return nil
		}
		n, err := oom.Wait(wait)
		for ; n > 0; n-- {
			if err := emit(&Event{Type: "oom", ID: id}); err != nil {
				return err
			}
		}
		if errors.Is(err, cgroups.ErrCgroupGone) {
			oom.Close()
			oom = nil
			return nil
		}
		if err != nil {
			logrus.Warnf("events: OOM watch of %s: %v", id, err)
		}
		return nil
	}
	next := time.Now().Add(interval)
	for {
		if err := checkOOM(min(max(time.Until(next), 0), aliveCheck)); err != nil {
			return err
		}
		if !c.State.Alive() {
			// The kernel signals an OOM before the killed task is gone.
			return checkOOM(0)
		}
		if time.Now().Before(next) {
			continue
		}
		next = next.Add(interval)
		if now := time.Now(); next.Before(now) {
			next = now.Add(interval) // a slow emit must not cause a burst
		}
		s, err := m.Stats()
		if err != nil {
			logrus.Errorf("events: stats of %s: %v", id, err)
			continue
		}
		if err := emit(&Event{Type: "stats", ID: id, Data: &StatsData{Stats: s}}); err != nil {
			return err
		}
	}
}
