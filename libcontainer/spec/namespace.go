package spec

import (
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// HasNamespace reports whether linux.namespaces lists type t, and the path
// to join (empty when a new namespace is to be created).
func HasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) (present bool, path string) {
	if s == nil || s.Linux == nil {
		return false, ""
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true, ns.Path
		}
	}
	return false, ""
}

// nsProcFile names each namespace type's entry under /proc/PID/ns.
var nsProcFile = map[specs.LinuxNamespaceType]string{
	specs.UserNamespace: "user", specs.MountNamespace: "mnt", specs.PIDNamespace: "pid",
	specs.NetworkNamespace: "net", specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts",
	specs.CgroupNamespace: "cgroup", specs.TimeNamespace: "time",
}

// ShareOwnNamespaces removes from linux.namespaces every entry whose path is
// the runtime's own namespace of that type (the same device and inode as
// /proc/self/ns/TYPE). Joining the namespace one is already in is sharing
// it, which is what leaving the entry out means; every later decision then
// sees the container as not having a namespace of its own there, so that
// nothing meant for the container's own namespace (a net.* sysctl, a moved
// network device, the mounts and pivot_root of the root filesystem) is done
// to the caller's. It returns the types it removed, and an error naming the
// entry whose path cannot be looked at.
func ShareOwnNamespaces(s *specs.Spec) ([]specs.LinuxNamespaceType, error) {
	if s == nil || s.Linux == nil {
		return nil, nil
	}
	var shared []specs.LinuxNamespaceType
	kept := s.Linux.Namespaces[:0:0]
	for i, ns := range s.Linux.Namespaces {
		file, known := nsProcFile[ns.Type]
		if ns.Path == "" || !known {
			kept = append(kept, ns)
			continue
		}
		var theirs, ours unix.Stat_t
		if err := unix.Stat(ns.Path, &theirs); err != nil {
			return nil, fmt.Errorf("linux.namespaces[%d].path: %w", i, &os.PathError{Op: "stat", Path: ns.Path, Err: err})
		}
		if err := unix.Stat("/proc/self/ns/"+file, &ours); err == nil && ours.Dev == theirs.Dev && ours.Ino == theirs.Ino {
			shared = append(shared, ns.Type)
			continue
		}
		kept = append(kept, ns)
	}
	s.Linux.Namespaces = kept
	return shared, nil
}
