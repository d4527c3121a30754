package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
)

// proc must land on a real directory: a symlink at the destination could
// point procfs anywhere the image author likes.
func (e *entry) proc(opts mountOpts) error {
	dest := e.m.Destination
	target, err := e.openNoFollow(dest)
	if errors.Is(err, unix.ENOENT) {
		var d *os.File
		if d, err = pathsafe.MkdirAllInRootFd(e.root, dest, 0o755); err == nil {
			d.Close()
			target, err = e.openNoFollow(dest)
		}
	}
	if err != nil {
		return e.err("mount point", err)
	}
	defer target.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(target.Fd()), &st); err != nil {
		return e.err("mount point", err)
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
	case unix.S_IFLNK:
		return e.err("destination", errors.New("is a symlink, proc must be mounted on a real directory"))
	default:
		return e.err("destination", errors.New("is not a directory"))
	}
	err = e.mountOn(e.m.Source, "proc", dest, target, opts)
	if errors.Is(err, unix.EPERM) && e.o.InUserNS {
		// procfs belongs to a pid namespace: only its owning user
		// namespace may mount it.
		return fmt.Errorf("%w (in a user namespace, proc can only be mounted with a pid namespace owned by it: add {\"type\": \"pid\"} to linux.namespaces)", err)
	}
	return err
}

func (e *entry) openNoFollow(dest string) (*os.File, error) {
	return pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH|unix.O_NOFOLLOW)
}

// sysfs can only be mounted by the owner of the network namespace; in a
// user namespace without its own netns we fall back to the host's /sys.
func (e *entry) sysfs(opts mountOpts) error {
	rbind := func() error {
		opts.flags |= unix.MS_BIND | unix.MS_REC
		// The host's submounts (cgroupfs, ...) come along: restrict them too,
		// or unmounting what covers them would expose them writable.
		if opts.flags&unix.MS_RDONLY != 0 {
			opts.recAttr = true
			opts.attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
		}
		for _, f := range [...]struct {
			ms   uintptr
			attr uint64
		}{{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID}, {unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC}} {
			if opts.flags&f.ms != 0 {
				opts.recAttr = true
				opts.attr.Attr_set |= f.attr
			}
		}
		return e.bind("/sys", e.m.Destination, opts)
	}
	if e.o.InUserNS && !e.o.NewNetNS {
		return rbind()
	}
	err := e.fsMount(e.m.Source, "sysfs", e.m.Destination, opts)
	if errors.Is(err, unix.EPERM) && e.o.InUserNS {
		return rbind()
	}
	return err
}

// procFileWhitelist are /proc files commonly overlaid (lxcfs and friends).
var procFileWhitelist = map[string]bool{
	"/proc/cpuinfo": true, "/proc/diskstats": true, "/proc/meminfo": true,
	"/proc/stat": true, "/proc/swaps": true, "/proc/uptime": true,
	"/proc/loadavg": true, "/proc/slabinfo": true, "/proc/net/dev": true,
	"/proc/sys/kernel/ns_last_pid": true,
}

// checkProcDest refuses mounts that would cover /proc or its contents with
// something that is not procfs, so an image cannot fake /proc (e.g. the
// files the runtime or LSMs write to) through a volume or symlink.
func (e *entry) checkProcDest(target *os.File, fstype, source string) error {
	host, err := os.Readlink(pathsafe.ProcFdPath(target))
	if err != nil {
		return e.err("resolve destination", err)
	}
	rel := strings.TrimPrefix(host, strings.TrimRight(e.o.Rootfs, "/"))
	if rel == host || !isUnder(rel, "/proc") || rel == "" {
		return nil
	}
	if fstype == "proc" && rel == "/proc" {
		return nil
	}
	if fstype == "bind" {
		var sfs unix.Statfs_t
		if unix.Statfs(source, &sfs) == nil && sfs.Type == unix.PROC_SUPER_MAGIC {
			return nil
		}
		if procFileWhitelist[rel] {
			return nil
		}
	}
	return e.err("destination", fmt.Errorf("resolves to %s: only procfs may be mounted there", rel))
}
