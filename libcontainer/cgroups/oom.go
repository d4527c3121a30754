package cgroups

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// ErrCgroupGone is returned by OOMWatcher.Wait once the memory cgroup has
// been removed: no further events can come.
var ErrCgroupGone = errors.New("cgroups: the memory cgroup was removed")

// OOMWatcher reports OOM events of a container's memory cgroup.
type OOMWatcher interface {
	// Wait blocks up to timeout (0: just check) and returns how many OOM
	// events happened since the last call.
	Wait(timeout time.Duration) (int, error)
	Close() error
}

// NotifyOOM starts watching the memory cgroup: on v1 through an eventfd
// registered for memory.oom_control, on v2 by watching memory.events for a
// rising oom_kill count. Only events after the call are reported.
func (m *manager) NotifyOOM() (OOMWatcher, error) {
	dir, v2, ok := m.dirFor("memory")
	if !ok {
		return nil, errors.New("cgroups: no memory controller: OOM events are not available")
	}
	if v2 {
		return newOOMWatcherV2(dir)
	}
	return newOOMWatcherV1(dir)
}

type oomV1 struct {
	dir     string
	efd     int
	control *os.File
}

func newOOMWatcherV1(dir string) (*oomV1, error) {
	control, err := os.Open(filepath.Join(dir, "memory.oom_control"))
	if err != nil {
		return nil, fmt.Errorf("cgroups: OOM events: open %s: %w", filepath.Join(dir, "memory.oom_control"), unwrapPath(err))
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		control.Close()
		return nil, fmt.Errorf("cgroups: OOM events: eventfd: %w", err)
	}
	reg := strconv.Itoa(efd) + " " + strconv.Itoa(int(control.Fd()))
	if err := writeFile(dir, "cgroup.event_control", reg); err != nil {
		unix.Close(efd)
		control.Close()
		return nil, fmt.Errorf("cgroups: OOM events: register with %s: %w", filepath.Join(dir, "cgroup.event_control"), unwrapPath(err))
	}
	return &oomV1{dir: dir, efd: efd, control: control}, nil
}

func (w *oomV1) Wait(timeout time.Duration) (int, error) {
	if err := pollIn(w.efd, timeout); err != nil {
		return 0, err
	}
	var buf [8]byte
	n, err := unix.Read(w.efd, buf[:])
	if err == unix.EAGAIN {
		return 0, nil
	}
	if err != nil || n != 8 {
		return 0, fmt.Errorf("cgroups: OOM events: read eventfd: %v", err)
	}
	count := int(binary.NativeEndian.Uint64(buf[:]))
	// The kernel also signals the eventfd when the cgroup is removed.
	if _, err := os.Stat(filepath.Join(w.dir, "cgroup.event_control")); err != nil {
		return max(count-1, 0), ErrCgroupGone
	}
	return count, nil
}

func (w *oomV1) Close() error {
	unix.Close(w.efd)
	return w.control.Close()
}

type oomV2 struct {
	dir  string
	ifd  int
	last uint64
}

func newOOMWatcherV2(dir string) (*oomV2, error) {
	ifd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("cgroups: OOM events: inotify: %w", err)
	}
	p := filepath.Join(dir, "memory.events")
	if _, err := unix.InotifyAddWatch(ifd, p, unix.IN_MODIFY); err != nil {
		unix.Close(ifd)
		return nil, fmt.Errorf("cgroups: OOM events: watch %s: %w", p, err)
	}
	w := &oomV2{dir: dir, ifd: ifd}
	if w.last, err = w.count(); err != nil {
		unix.Close(ifd)
		return nil, err
	}
	return w, nil
}

func (w *oomV2) count() (uint64, error) {
	ev, err := statKeyed(w.dir, "memory.events")
	if errors.Is(err, errAbsent) {
		return 0, ErrCgroupGone
	}
	if err != nil {
		return 0, err
	}
	return ev["oom_kill"], nil
}

func (w *oomV2) Wait(timeout time.Duration) (int, error) {
	if err := pollIn(w.ifd, timeout); err != nil {
		return 0, err
	}
	// Drain the notifications; the file itself is the truth.
	buf := make([]byte, 4096)
	for {
		if _, err := unix.Read(w.ifd, buf); err != nil {
			break
		}
	}
	// Read even without a notification, so a missed one costs at most
	// one timeout.
	c, err := w.count()
	if err != nil {
		return 0, err
	}
	// The counter only grows; a smaller value is a torn read, never a reset.
	if c <= w.last {
		return 0, nil
	}
	n := int(c - w.last)
	w.last = c
	return n, nil
}

func (w *oomV2) Close() error { return unix.Close(w.ifd) }

// pollIn waits until fd is readable or timeout passes; EINTR counts as a
// timeout.
func pollIn(fd int, timeout time.Duration) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	_, err := unix.Poll(fds, int(timeout/time.Millisecond))
	if err != nil && err != unix.EINTR {
		return fmt.Errorf("cgroups: OOM events: poll: %w", err)
	}
	return nil
}
