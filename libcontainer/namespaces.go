package libcontainer

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// nsKinds maps each namespace type to its /proc/PID/ns entry and its
// CLONE_NEW* flag (what NS_GET_NSTYPE reports).
var nsKinds = map[specs.LinuxNamespaceType]struct {
	file string
	flag int
}{
	specs.UserNamespace: {"user", unix.CLONE_NEWUSER}, specs.MountNamespace: {"mnt", unix.CLONE_NEWNS},
	specs.PIDNamespace: {"pid", unix.CLONE_NEWPID}, specs.NetworkNamespace: {"net", unix.CLONE_NEWNET},
	specs.IPCNamespace: {"ipc", unix.CLONE_NEWIPC}, specs.UTSNamespace: {"uts", unix.CLONE_NEWUTS},
	specs.CgroupNamespace: {"cgroup", unix.CLONE_NEWCGROUP}, specs.TimeNamespace: {"time", unix.CLONE_NEWTIME},
}

// joinedNS is a namespace to join, opened by the parent.
type joinedNS struct {
	typ  specs.LinuxNamespaceType
	file *os.File
}

// openJoinedNamespaces opens every linux.namespaces path once, here: the
// path must be absolute and free of control characters (errors and logs
// print it on one line), and what it opens must be a namespace file (nsfs) of the
// entry's type; the open does not block, so a fifo put there cannot hang
// create. The init joins through these descriptors, never by the path,
// which could change meanwhile. An entry whose namespace is the runtime's
// own (same device and inode as /proc/self/ns/TYPE) is removed from the
// spec: joining the namespace one is in is sharing it, as leaving it out
// does, and nothing meant for a namespace of the container's own (a net.*
// sysctl, moved devices, the hostname, the root's mounts and pivot_root)
// may be done to the caller's. Unknown types are left to spec.Validate.
func openJoinedNamespaces(s *specs.Spec) (joined []joinedNS, shared []specs.LinuxNamespaceType, err error) {
	if s.Linux == nil {
		return nil, nil, nil
	}
	defer func() {
		if err != nil {
			closeJoined(joined)
			joined = nil
		}
	}()
	kept := s.Linux.Namespaces[:0:0]
	for i, ns := range s.Linux.Namespaces {
		kind, known := nsKinds[ns.Type]
		if ns.Path == "" || !known {
			kept = append(kept, ns)
			continue
		}
		field := "linux.namespaces[" + strconv.Itoa(i) + "].path"
		if !strings.HasPrefix(ns.Path, "/") {
			return joined, nil, fmt.Errorf("%s: must be an absolute path, got %q", field, ns.Path)
		}
		if strings.IndexFunc(ns.Path, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			return joined, nil, fmt.Errorf("%s: %q contains a control character", field, ns.Path)
		}
		fd, err := unix.Open(ns.Path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err != nil {
			return joined, nil, fmt.Errorf("%s: %s: %w", field, ns.Path, err)
		}
		f := os.NewFile(uintptr(fd), ns.Path)
		var sfs unix.Statfs_t
		if err := unix.Fstatfs(fd, &sfs); err != nil || sfs.Type != unix.NSFS_MAGIC {
			f.Close()
			return joined, nil, fmt.Errorf("%s: %s is not a namespace file (such as /proc/PID/ns/%s)", field, ns.Path, kind.file)
		}
		if t, err := unix.IoctlRetInt(fd, unix.NS_GET_NSTYPE); err == nil && t != kind.flag {
			f.Close()
			return joined, nil, fmt.Errorf("%s: %s is not a %s namespace", field, ns.Path, ns.Type)
		}
		var theirs, ours unix.Stat_t
		if err := unix.Fstat(fd, &theirs); err != nil {
			f.Close()
			return joined, nil, fmt.Errorf("%s: %s: %w", field, ns.Path, err)
		}
		if unix.Stat("/proc/self/ns/"+kind.file, &ours) == nil && ours.Dev == theirs.Dev && ours.Ino == theirs.Ino {
			f.Close()
			shared = append(shared, ns.Type)
			continue
		}
		joined = append(joined, joinedNS{typ: ns.Type, file: f})
		kept = append(kept, ns)
	}
	s.Linux.Namespaces = kept
	return joined, shared, nil
}

func closeJoined(j []joinedNS) {
	for _, n := range j {
		n.file.Close()
	}
}
