package state

import (
	"bytes"
	"os"
	"strconv"

	"github.com/hutch-runtime/hutch/libcontainer/kernfile"
)

// ProcStartTime returns field 22 (starttime) and the state letter of
// /proc/PID/stat. The command name may contain spaces and parentheses, so
// the fields are counted from the last ')'.
func ProcStartTime(pid int) (uint64, byte, error) {
	var buf [512]byte // a stat line is about 300 bytes
	data, err := kernfile.ReadRecord("/proc/"+strconv.Itoa(pid)+"/stat", buf[:0])
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return 0, 0, os.ErrInvalid
	}
	// From field 3 (state) on, fields are single-space separated; walk
	// to field 22 (starttime) without splitting them all.
	rest := data[i+2:]
	letter := rest[0]
	for f := 3; f < 22; f++ {
		j := bytes.IndexByte(rest, ' ')
		if j < 0 {
			return 0, 0, os.ErrInvalid
		}
		rest = rest[j+1:]
	}
	if j := bytes.IndexByte(rest, ' '); j >= 0 {
		rest = rest[:j]
	}
	st, err := strconv.ParseUint(string(rest), 10, 64)
	return st, letter, err
}

// Alive reports whether the init recorded in st still runs: same pid, same
// start time, and not a zombie.
func (st *State) Alive() bool {
	if st.Pid <= 0 {
		return false
	}
	start, letter, err := ProcStartTime(st.Pid)
	if err != nil || start != st.StartTime {
		return false
	}
	return letter != 'Z' && letter != 'X'
}

// Status derives the container status: creating while a create is still
// at work on it, stopped once the init is gone (or the create that was
// making it died), paused while its cgroup is frozen, created while the
// exec fifo exists, running otherwise. frozen reports a frozen cgroup; it
// may be nil.
func (e *Entry) Status(st *State, frozen func() bool) string {
	if st.Creating {
		// The create holds the lock until it has saved the finished
		// record; a record still marked creating without it is what a
		// killed create left, for delete to clean.
		if !e.held && e.locked() {
			return Creating
		}
		return Stopped
	}
	if !st.Alive() {
		return Stopped
	}
	if e.Has(FifoFile) {
		// A created container can be paused too, as in runc (resume
		// makes it created again); pause marks it.
		if e.Has(PausedFile) && frozen != nil && frozen() {
			return Paused
		}
		return Created
	}
	if frozen != nil && frozen() {
		return Paused
	}
	return Running
}
