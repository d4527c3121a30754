package capabilities

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// sets is the parsed form of a specs.LinuxCapabilities.
type sets struct {
	bounding, effective, permitted, inheritable, ambient uint64
}

// Validate checks every name of every set against the spec and the
// running kernel, and the cross-set rules the kernel enforces at capset
// and PR_CAP_AMBIENT_RAISE time, so a bad config fails at create rather
// than inside the init. A nil c is valid (no capability changes).
func Validate(c *specs.LinuxCapabilities) error {
	_, err := parse(c, LastCap())
	return err
}

// Masks are the five sets of a validated process.capabilities as bit
// masks (bit n is capability n), for the C exec path.
type Masks struct{ Bounding, Effective, Permitted, Inheritable, Ambient uint64 }

// ParseMasks returns c's sets as masks; see Validate for the errors.
func ParseMasks(c *specs.LinuxCapabilities) (Masks, error) {
	s, err := parse(c, LastCap())
	return Masks{s.bounding, s.effective, s.permitted, s.inheritable, s.ambient}, err
}

func parse(c *specs.LinuxCapabilities, last int) (sets, error) {
	var s sets
	if c == nil {
		return s, nil
	}
	var err error
	for _, f := range []struct {
		field string
		names []string
		dst   *uint64
	}{
		{"process.capabilities.bounding", c.Bounding, &s.bounding},
		{"process.capabilities.effective", c.Effective, &s.effective},
		{"process.capabilities.permitted", c.Permitted, &s.permitted},
		{"process.capabilities.inheritable", c.Inheritable, &s.inheritable},
		{"process.capabilities.ambient", c.Ambient, &s.ambient},
	} {
		if *f.dst, err = parseSet(f.field, f.names, last); err != nil {
			return s, err
		}
	}
	// capset(2) refuses an effective set that is not a subset of the new
	// permitted set.
	if extra := s.effective &^ s.permitted; extra != 0 {
		return s, fmt.Errorf("process.capabilities.effective: %s not in process.capabilities.permitted (the kernel requires effective to be a subset of permitted)", names(extra)[0])
	}
	// capset(2) refuses inheritable capabilities outside the bounding set,
	// whatever else the thread holds.
	if extra := s.inheritable &^ s.bounding; extra != 0 {
		return s, fmt.Errorf("process.capabilities.inheritable: %s not in process.capabilities.bounding (the kernel refuses inheritable capabilities outside the bounding set)", names(extra)[0])
	}
	// PR_CAP_AMBIENT_RAISE needs the capability in both permitted and
	// inheritable. `runc spec` writes ambient caps without inheritable ones
	// and engines pass such configs on, so (like runc) they are not an
	// error: the executor leaves them out and create warns
	// (UnraisableAmbient).
	return s, nil
}

// UnraisableAmbient lists the ambient capabilities the kernel cannot raise
// because they are not in both the permitted and the inheritable set.
func UnraisableAmbient(c *specs.LinuxCapabilities) []string {
	if c == nil {
		return nil
	}
	s, err := parse(c, LastCap())
	if err != nil {
		return nil
	}
	return names(s.ambient &^ (s.permitted & s.inheritable))
}

// CheckHost refuses capabilities that the caller's bounding set lacks: no
// process hutch starts can gain them (a new user namespace does not widen
// the bounding set), so the container would fail at start, after create
// had reported success. Called by the parent before anything is created.
func CheckHost(c *specs.LinuxCapabilities) error {
	if c == nil {
		return nil
	}
	s, err := parse(c, LastCap())
	if err != nil {
		return err
	}
	bnd, err := boundingMask()
	if err != nil {
		return fmt.Errorf("process.capabilities: reading the bounding set: %w", err)
	}
	for _, f := range []struct {
		field string
		set   uint64
	}{
		{"process.capabilities.bounding", s.bounding}, {"process.capabilities.effective", s.effective},
		{"process.capabilities.permitted", s.permitted}, {"process.capabilities.inheritable", s.inheritable},
		{"process.capabilities.ambient", s.ambient},
	} {
		if miss := f.set &^ bnd; miss != 0 {
			return fmt.Errorf("%s: %s is not available on this host (not in hutch's bounding set)", f.field, names(miss)[0])
		}
	}
	return nil
}

// boundingMask reads this process's bounding set, which every container
// process inherits: the C executor drops from it, and can only drop.
func boundingMask() (uint64, error) {
	var m uint64
	for n := 0; n <= LastCap(); n++ {
		r, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0)
		if err != nil {
			return 0, err
		}
		if r == 1 {
			m |= 1 << uint(n)
		}
	}
	return m, nil
}
