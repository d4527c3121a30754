package spec

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// deviceIFMT is the st_mode file type of each linux.devices type.
var deviceIFMT = map[string]uint32{"c": unix.S_IFCHR, "u": unix.S_IFCHR, "b": unix.S_IFBLK, "p": unix.S_IFIFO}

// knownPropagation lists linux.rootfsPropagation values; runc also accepts
// the recursive spellings, so configs written for it keep working.
var knownPropagation = map[string]bool{
	"": true, "shared": true, "slave": true, "private": true, "unbindable": true,
	"rshared": true, "rslave": true, "rprivate": true, "runbindable": true,
}

func validateLinux(errs *errList, s *specs.Spec) {
	l := s.Linux
	validateNamespaces(errs, l.Namespaces)
	validateIDMappings(errs, s)
	validateTimeOffsets(errs, s)
	validateDevices(errs, l.Devices)
	if !knownPropagation[l.RootfsPropagation] {
		errs.add("linux.rootfsPropagation: unknown value %q (want shared, slave, private or unbindable)", l.RootfsPropagation)
	}
	validatePathList(errs, "linux.maskedPaths", l.MaskedPaths)
	validatePathList(errs, "linux.readonlyPaths", l.ReadonlyPaths)
	for k := range l.Sysctl {
		if strings.TrimSpace(k) == "" {
			errs.add("linux.sysctl: key must not be empty")
		}
	}
	if l.Seccomp != nil {
		validateSeccomp(errs, l.Seccomp)
	}
	if l.MemoryPolicy != nil {
		parseMemoryPolicy(errs, l.MemoryPolicy)
	}
	if l.IntelRdt != nil {
		validateIntelRdt(errs, l.IntelRdt)
	}
	// It goes into mount data as context="LABEL" (rootfs.withMountLabel):
	// a quote or a control character there would end the option early.
	if strings.ContainsFunc(l.MountLabel, func(r rune) bool { return r == '"' || r < 0x20 || r == 0x7f }) {
		errs.add("linux.mountLabel: %q: an SELinux context has no quote or control character", l.MountLabel)
	}
}

// validateIntelRdt checks the fields' form; whether the host can apply
// them is intelrdt.Check's answer, at create.
func validateIntelRdt(errs *errList, r *specs.LinuxIntelRdt) {
	// A sub-directory of the resctrl root, or "/", the spec's name for
	// the root group itself.
	if c := r.ClosID; c != "/" && (c == "." || c == ".." || strings.ContainsAny(c, "/\x00") || len(c) > 255) {
		errs.add(`linux.intelRdt.closID: %q is not a directory name (no "/", not "." or "..", at most 255 bytes; "/" alone is the root group)`, c)
	}
	if r.L3CacheSchema != "" {
		// The spec only says SHOULD NOT for a newline here: CDP schemas
		// come as an L3CODE and an L3DATA line.
		for i, line := range strings.Split(r.L3CacheSchema, "\n") {
			if err := schemataLine(line); err != nil {
				errs.add("linux.intelRdt.l3CacheSchema: line %d: %v", i+1, err)
			}
		}
	}
	if m := r.MemBwSchema; m != "" {
		if err := schemataLine(m); err != nil {
			errs.add("linux.intelRdt.memBwSchema: %v", err)
		} else if !strings.HasPrefix(m, "MB:") {
			errs.add(`linux.intelRdt.memBwSchema: %q must start with "MB:"`, m)
		}
	}
	for i, line := range r.Schemata {
		if err := schemataLine(line); err != nil {
			errs.add("linux.intelRdt.schemata[%d]: %v", i, err)
		}
	}
}

// schemataLine checks one line of a resctrl schemata file, in the form
// RESOURCE:ID=VALUE;ID=VALUE...; the values are the kernel's to judge.
func schemataLine(line string) error {
	switch name, rest, ok := strings.Cut(line, ":"); {
	case strings.TrimSpace(line) == "":
		return errors.New("empty line")
	case strings.Contains(line, "\n"):
		return fmt.Errorf("%q must not contain a newline", line)
	case !ok || strings.TrimSpace(name) == "" || !strings.Contains(rest, "="):
		return fmt.Errorf("%q is not a schemata line (RESOURCE:ID=VALUE;...)", line)
	}
	return nil
}

// knownNamespaces are the namespace types of runtime-spec 1.0 to 1.3.
var knownNamespaces = map[specs.LinuxNamespaceType]bool{
	specs.PIDNamespace: true, specs.NetworkNamespace: true, specs.MountNamespace: true,
	specs.IPCNamespace: true, specs.UTSNamespace: true, specs.UserNamespace: true,
	specs.CgroupNamespace: true, specs.TimeNamespace: true,
}

// validateNamespaces checks types; a path is opened and checked by the code
// that joins it (libcontainer's openJoinedNamespaces).
func validateNamespaces(errs *errList, nss []specs.LinuxNamespace) {
	seen := make(map[specs.LinuxNamespaceType]int, len(nss))
	for i, ns := range nss {
		if !knownNamespaces[ns.Type] {
			errs.add("linux.namespaces[%d].type: unknown namespace type %q", i, ns.Type)
			continue
		}
		if j, dup := seen[ns.Type]; dup {
			errs.add("linux.namespaces[%d].type: %q is already listed at linux.namespaces[%d]", i, ns.Type, j)
		} else {
			seen[ns.Type] = i
		}
	}
}

// maxIDExtents is the kernel's limit on lines in uid_map/gid_map (4.15+).
const maxIDExtents = 340

// validateIDMappings: a new user namespace needs maps to be useful (an
// unmapped root is nobody); a joined one already has them; without a user
// namespace maps have nothing to apply to.
func validateIDMappings(errs *errList, s *specs.Spec) {
	l := s.Linux
	hasUser, userPath := HasNamespace(s, specs.UserNamespace)
	if !hasUser {
		if len(l.UIDMappings) > 0 {
			errs.add("linux.uidMappings: set but there is no user namespace")
		}
		if len(l.GIDMappings) > 0 {
			errs.add("linux.gidMappings: set but there is no user namespace")
		}
		return
	}
	if userPath == "" {
		if len(l.UIDMappings) == 0 {
			errs.add("linux.uidMappings: required for a new user namespace")
		}
		if len(l.GIDMappings) == 0 {
			errs.add("linux.gidMappings: required for a new user namespace")
		}
	}
	validateIDMap(errs, "linux.uidMappings", l.UIDMappings)
	validateIDMap(errs, "linux.gidMappings", l.GIDMappings)
}

// validateIDMap applies the kernel's rules for uid_map/gid_map: non-empty
// ranges that do not wrap and do not overlap on either side.
func validateIDMap(errs *errList, field string, m []specs.LinuxIDMapping) {
	if len(m) > maxIDExtents {
		errs.add("%s: %d ranges, the kernel allows at most %d", field, len(m), maxIDExtents)
	}
	for i, r := range m {
		if r.Size == 0 {
			errs.add("%s[%d].size: must be greater than 0", field, i)
			continue
		}
		// The last id, 4294967295, is (uid_t)-1: no range may hold it.
		if uint64(r.ContainerID)+uint64(r.Size) >= 1<<32 {
			errs.add("%s[%d]: containerID %d + size %d exceeds the 32-bit id space (4294967295 is not an id)", field, i, r.ContainerID, r.Size)
		}
		if uint64(r.HostID)+uint64(r.Size) >= 1<<32 {
			errs.add("%s[%d]: hostID %d + size %d exceeds the 32-bit id space (4294967295 is not an id)", field, i, r.HostID, r.Size)
		}
		for j := 0; j < i; j++ {
			o := m[j]
			if o.Size == 0 {
				continue
			}
			if overlaps(r.ContainerID, r.Size, o.ContainerID, o.Size) {
				errs.add("%s[%d]: container ids overlap with %s[%d]", field, i, field, j)
			}
			if overlaps(r.HostID, r.Size, o.HostID, o.Size) {
				errs.add("%s[%d]: host ids overlap with %s[%d]", field, i, field, j)
			}
		}
	}
}

func overlaps(a, asz, b, bsz uint32) bool {
	return uint64(a) < uint64(b)+uint64(bsz) && uint64(b) < uint64(a)+uint64(asz)
}

// validateTimeOffsets: offsets can only be written into a time namespace
// the runtime creates, before any process enters it.
func validateTimeOffsets(errs *errList, s *specs.Spec) {
	offsets := s.Linux.TimeOffsets
	if len(offsets) == 0 {
		return
	}
	hasTime, path := HasNamespace(s, specs.TimeNamespace)
	switch {
	case !hasTime:
		errs.add("linux.timeOffsets: set but there is no time namespace")
	case path != "":
		errs.add("linux.timeOffsets: cannot be applied to a joined time namespace (linux.namespaces time has a path)")
	}
	for clock, off := range offsets {
		if clock != "monotonic" && clock != "boottime" {
			errs.add("linux.timeOffsets: unknown clock %q (want monotonic or boottime)", clock)
		}
		if off.Nanosecs >= 1e9 {
			errs.add("linux.timeOffsets.%s.nanosecs: %d must be below 1000000000", clock, off.Nanosecs)
		}
	}
}

func validateDevices(errs *errList, devs []specs.LinuxDevice) {
	seen := make(map[string]int, len(devs))
	for i, d := range devs {
		clean := filepath.Clean(d.Path)
		switch {
		case !isAbs(d.Path):
			errs.add("linux.devices[%d].path: must be an absolute path, got %q", i, d.Path)
		case !strings.HasPrefix(clean, "/dev/"):
			errs.add("linux.devices[%d].path: %q is not under /dev", i, d.Path)
		}
		if j, dup := seen[clean]; dup {
			errs.add("linux.devices[%d].path: %q is already listed at linux.devices[%d]", i, d.Path, j)
		} else {
			seen[clean] = i
		}
		switch d.Type {
		case "c", "b", "u":
			// Major 0 is reserved (unnamed devices), so 0 here means "missing".
			if d.Major <= 0 {
				errs.add("linux.devices[%d].major: required for type %q, got %d", i, d.Type, d.Major)
			}
			if d.Minor < 0 {
				errs.add("linux.devices[%d].minor: must not be negative, got %d", i, d.Minor)
			}
		case "p":
		default:
			errs.add("linux.devices[%d].type: unknown device type %q (want c, b, u or p)", i, d.Type)
		}
		// (uid_t)-1 would be "leave unchanged" to fchown.
		if d.UID != nil && *d.UID == math.MaxUint32 {
			errs.add("linux.devices[%d].uid: %d is not a valid id", i, *d.UID)
		}
		if d.GID != nil && *d.GID == math.MaxUint32 {
			errs.add("linux.devices[%d].gid: %d is not a valid id", i, *d.GID)
		}
		if d.FileMode != nil {
			// Engines copy a host device's whole st_mode (podman --device
			// sends 020666): its file type bits are accepted when they name
			// the device's own type, as runc does.
			m := uint32(*d.FileMode)
			if t := m & unix.S_IFMT; t != 0 && t != deviceIFMT[d.Type] {
				errs.add("linux.devices[%d].fileMode: %#o has file type bits %#o that do not match type %q", i, m, t, d.Type)
			} else if m&^(unix.S_IFMT|0o777) != 0 {
				errs.add("linux.devices[%d].fileMode: %#o has bits outside 0777", i, m)
			}
		}
	}
}

func validatePathList(errs *errList, field string, paths []string) {
	for i, p := range paths {
		if !isAbs(p) {
			errs.add("%s[%d]: must be an absolute path, got %q", field, i, p)
		}
	}
}
