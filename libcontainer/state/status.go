package state

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// ProcStartTime returns field 22 (starttime) and the state letter of
// /proc/PID/stat. The command name may contain spaces and parentheses, so
// the fields are counted from the last ')'.
func ProcStartTime(pid int) (uint64, byte, error) {
	data, err := readFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, err
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+2 >= len(data) {
		return 0, 0, os.ErrInvalid
	}
	fields := bytes.Fields(data[i+2:])
	// fields[0] is field 3 (state); starttime is field 22.
	if len(fields) < 20 {
		return 0, 0, os.ErrInvalid
	}
	st, err := strconv.ParseUint(string(fields[19]), 10, 64)
	return st, fields[0][0], err
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

// Status derives the container status: stopped once the init is gone,
// created while the exec fifo exists, running otherwise. frozen reports a
// frozen cgroup (paused); it may be nil.
func (s Store) Status(st *State, frozen func() bool) string {
	if !st.Alive() {
		return Stopped
	}
	if _, err := os.Lstat(filepath.Join(s.Dir(st.ID), FifoFile)); err == nil {
		return Created
	}
	if frozen != nil && frozen() {
		return Paused
	}
	return Running
}
