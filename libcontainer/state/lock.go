package state

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/kernfile"
)

// BusyError is LockWithin's answer when another command kept the lock: it
// names that command, which may be stuck (a `start` waiting for an init
// that never reaches execve, a create waiting for a hook that never ends).
type BusyError struct {
	ID     string
	Waited time.Duration
	// Holder is the process holding the lock as /proc/locks shows it, 0
	// when it could not be told; Cmd its command line, Age how long it
	// has run.
	Holder int
	Cmd    string
	Age    time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("container %s is locked by %s (waited %s)", e.ID, e.HolderString(), e.Waited.Round(time.Millisecond))
}

// HolderString describes the process holding the lock.
func (e *BusyError) HolderString() string {
	if e.Holder <= 0 {
		return "another process"
	}
	s := fmt.Sprintf("pid %d", e.Holder)
	if e.Cmd != "" {
		s += fmt.Sprintf(" (%s)", e.Cmd)
	}
	if e.Age > 0 {
		s += fmt.Sprintf(", running for %s", e.Age.Round(time.Second))
	}
	return s
}

// LockWithin is Lock that gives up after d with a *BusyError.
func (e *Entry) LockWithin(d time.Duration) error {
	start := time.Now()
	for {
		err := unix.Flock(e.fd, unix.LOCK_EX|unix.LOCK_NB)
		switch err {
		case nil:
			e.held = true
			return nil
		case unix.EWOULDBLOCK, unix.EINTR:
		default:
			return fmt.Errorf("lock %s: %w", e.dir, err)
		}
		if waited := time.Since(start); waited >= d {
			b := &BusyError{ID: e.ID, Waited: waited, Holder: e.lockHolder()}
			if b.Holder > 0 {
				b.Cmd, b.Age = describeProcess(b.Holder)
			}
			return b
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Removed reports whether the state directory was removed since it was
// opened (by the command that held the lock meanwhile).
func (e *Entry) Removed() bool {
	var st unix.Stat_t
	return unix.Fstat(e.fd, &st) == nil && st.Nlink == 0
}

// lockHolder finds the pid holding the flock of the state directory in
// /proc/locks ("1: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF"; waiters
// are the lines with "->"); 0 if none is found there.
func (e *Entry) lockHolder() int {
	var st unix.Stat_t
	if unix.Fstat(e.fd, &st) != nil {
		return 0
	}
	want := fmt.Sprintf("%02x:%02x:%d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Ino)
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[5] != want {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}

// describeProcess returns pid's command line (at most 200 bytes) and how
// long it has run, as far as /proc tells.
func describeProcess(pid int) (string, time.Duration) {
	var cmd string
	if b, err := kernfile.ReadRecord("/proc/"+strconv.Itoa(pid)+"/cmdline", make([]byte, 0, 256)); err == nil {
		b = bytes.TrimRight(b, "\x00")
		if len(b) > 200 {
			b = append(b[:200:200], "..."...)
		}
		cmd = string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
	}
	start, _, err := ProcStartTime(pid)
	if err != nil {
		return cmd, 0
	}
	up, err := kernfile.ReadRecord("/proc/uptime", make([]byte, 0, 64))
	if err != nil {
		return cmd, 0
	}
	f := bytes.Fields(up)
	if len(f) == 0 {
		return cmd, 0
	}
	secs, err := strconv.ParseFloat(string(f[0]), 64)
	if err != nil {
		return cmd, 0
	}
	// starttime is in clock ticks since boot; USER_HZ is 100 on Linux.
	age := time.Duration(secs*float64(time.Second)) - time.Duration(start)*(time.Second/100)
	if age < 0 {
		return cmd, 0
	}
	return cmd, age
}
