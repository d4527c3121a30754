package capabilities

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// All capability calls here act on the calling thread only: the caller
// must hold runtime.LockOSThread and execve from the same thread.

// DropBounding removes from the bounding set every capability that is not
// listed in c.Bounding. It needs CAP_SETPCAP, so it runs before the uid
// switch. A nil c keeps the bounding set as it is. A listed capability
// that this host's bounding set already lacks is an error, because the
// container would silently run with less than its config asks for.
func DropBounding(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	last := LastCap()
	s, err := parse(c, last)
	if err != nil {
		return err
	}
	for n := 0; n <= last; n++ {
		in, err := inBounding(n)
		if err != nil {
			return fmt.Errorf("process.capabilities.bounding: reading %s: %w", Name(n), err)
		}
		want := s.bounding&(1<<uint(n)) != 0
		switch {
		case want && !in:
			return fmt.Errorf("process.capabilities.bounding: %s is not available on this host", Name(n))
		case !want && in:
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
				return fmt.Errorf("process.capabilities.bounding: dropping %s: %w", Name(n), err)
			}
		}
	}
	return nil
}

// Apply sets the effective, permitted and inheritable sets exactly as
// configured, then replaces the ambient set. It runs after the uid switch
// (with PR_SET_KEEPCAPS set before it, so permitted survived). A nil c
// leaves the thread's capabilities unchanged.
func Apply(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	s, err := parse(c, LastCap())
	if err != nil {
		return err
	}
	cur, err := current()
	if err != nil {
		return fmt.Errorf("process.capabilities: reading current capabilities: %w", err)
	}
	s.ambient &= s.permitted & s.inheritable
	// Check what the host lacks first so the error names the capability
	// instead of a bare EPERM from capset.
	bnd, err := boundingMask()
	if err != nil {
		return fmt.Errorf("process.capabilities: reading bounding set: %w", err)
	}
	for _, f := range []struct {
		field string
		want  uint64
		have  uint64
	}{
		{"process.capabilities.permitted", s.permitted, cur.permitted},
		{"process.capabilities.effective", s.effective, cur.permitted},
		// The kernel allows new inheritable bits that are in the old
		// permitted set (or with CAP_SETPCAP), and always within bounding.
		{"process.capabilities.inheritable", s.inheritable, (cur.permitted | cur.inheritable | capsIf(cur.effective, unix.CAP_SETPCAP)) & bnd},
		{"process.capabilities.ambient", s.ambient, cur.permitted & bnd},
	} {
		if miss := f.want &^ f.have; miss != 0 {
			return fmt.Errorf("%s: %s is not available on this host", f.field, names(miss)[0])
		}
	}

	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{
		{Effective: uint32(s.effective), Permitted: uint32(s.permitted), Inheritable: uint32(s.inheritable)},
		{Effective: uint32(s.effective >> 32), Permitted: uint32(s.permitted >> 32), Inheritable: uint32(s.inheritable >> 32)},
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("process.capabilities: capset(effective=%v permitted=%v inheritable=%v): %w",
			names(s.effective), names(s.permitted), names(s.inheritable), err)
	}

	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("process.capabilities.ambient: clearing: %w", err)
	}
	for n := 0; n < 64; n++ {
		if s.ambient&(1<<uint(n)) == 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(n), 0, 0); err != nil {
			return fmt.Errorf("process.capabilities.ambient: raising %s: %w", Name(n), err)
		}
	}
	return nil
}

// capsIf returns all bits when capability n is in m, else none.
func capsIf(m uint64, n int) uint64 {
	if m&(1<<uint(n)) != 0 {
		return ^uint64(0)
	}
	return 0
}

func current() (sets, error) {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return sets{}, err
	}
	join := func(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }
	return sets{
		effective:   join(data[0].Effective, data[1].Effective),
		permitted:   join(data[0].Permitted, data[1].Permitted),
		inheritable: join(data[0].Inheritable, data[1].Inheritable),
	}, nil
}

func inBounding(n int) (bool, error) {
	r, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
	return r == 1, err
}

func boundingMask() (uint64, error) {
	var m uint64
	for n := 0; n <= LastCap(); n++ {
		in, err := inBounding(n)
		if err != nil {
			return 0, err
		}
		if in {
			m |= 1 << uint(n)
		}
	}
	return m, nil
}
