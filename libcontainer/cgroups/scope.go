package cgroups

import (
	"fmt"
	"strings"
)

// Scope is linux.cgroupsPath read for --systemd-cgroup ("slice:prefix:name"):
// the transient scope unit <prefix>-<name>.scope in Slice.
type Scope struct {
	Slice string // "system.slice"
	Unit  string // "sdtest-t1.scope"
	User  bool   // in the user's manager (rootless), not the system's
}

// unitNameMax is systemd's limit on a unit name's length.
const unitNameMax = 255

// ParseScope validates linux.cgroupsPath for --systemd-cgroup. Empty, it
// is the scope hutch-<id>.scope; an empty slice is system.slice, or
// user.slice for the user's manager (user). The parts are unit names (or
// pieces of one): ".." and "/" are refused, and so is a name that would
// make a slice (runc makes one; hutch puts containers in scopes only).
func ParseScope(cgroupsPath, id string, user bool) (Scope, error) {
	sc := Scope{Slice: "system.slice", User: user}
	if user {
		sc.Slice = "user.slice"
	}
	slice, prefix, name := "", "hutch", id
	if cgroupsPath != "" {
		parts := strings.Split(cgroupsPath, ":")
		if len(parts) != 3 {
			return Scope{}, fmt.Errorf("linux.cgroupsPath: with --systemd-cgroup it is \"slice:prefix:name\" (e.g. \"system.slice:hutch:web\"), got %q", cgroupsPath)
		}
		slice, prefix, name = parts[0], parts[1], parts[2]
	}
	for _, p := range []struct{ what, v string }{{"slice", slice}, {"prefix", prefix}, {"name", name}} {
		if err := unitPart(p.v); err != nil {
			if cgroupsPath == "" {
				return Scope{}, fmt.Errorf("linux.cgroupsPath: empty, so the scope is named after the container id %q, which %v: set linux.cgroupsPath to \"slice:prefix:name\"", id, err)
			}
			return Scope{}, fmt.Errorf("linux.cgroupsPath: %s %q: %w", p.what, p.v, err)
		}
	}
	if slice != "" {
		if _, err := ExpandSlice(slice); err != nil {
			return Scope{}, fmt.Errorf("linux.cgroupsPath: slice %q: %w", slice, err)
		}
		sc.Slice = slice
	}
	if name == "" {
		return Scope{}, fmt.Errorf("linux.cgroupsPath: name: empty in %q", cgroupsPath)
	}
	if strings.HasSuffix(name, ".slice") {
		return Scope{}, fmt.Errorf("linux.cgroupsPath: name %q: a container gets a scope; hutch does not make slices", name)
	}
	sc.Unit = name + ".scope"
	if prefix != "" {
		sc.Unit = prefix + "-" + sc.Unit
	}
	if len(sc.Unit) > unitNameMax {
		return Scope{}, fmt.Errorf("linux.cgroupsPath: the unit name %s is longer than systemd's %d characters", sc.Unit, unitNameMax)
	}
	return sc, nil
}

// unitPart checks a piece of a unit name: the characters systemd allows
// in one (no escapes, no "@" of template instances), no "..".
func unitPart(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':':
		case c == '/':
			return fmt.Errorf("must not contain \"/\"")
		default:
			return fmt.Errorf("%q is not allowed in a unit name (want [a-zA-Z0-9:_.-])", c)
		}
	}
	if strings.Contains(s, "..") {
		return fmt.Errorf("must not contain \"..\"")
	}
	return nil
}

// ExpandSlice is the cgroup path of a slice, as systemd nests slices by
// their dashes: "a-b-c.slice" lives in "/a.slice/a-b.slice/a-b-c.slice";
// "-.slice" is the root.
func ExpandSlice(slice string) (string, error) {
	name, ok := strings.CutSuffix(slice, ".slice")
	if !ok || name == "" {
		return "", fmt.Errorf("a slice name ends in \".slice\"")
	}
	if name == "-" {
		return "/", nil
	}
	var b strings.Builder
	prefix := ""
	for _, c := range strings.Split(name, "-") {
		if c == "" {
			return "", fmt.Errorf("empty component between dashes (a-b.slice nests in a.slice)")
		}
		b.WriteString("/" + prefix + c + ".slice")
		prefix += c + "-"
	}
	return b.String(), nil
}
