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
// point procfs anywhere the image author likes, and the masked and
// read-only paths under it would follow.
func (e *entry) proc(opts mountOpts) error {
	target, err := e.ordinaryDir()
	if err != nil {
		return err
	}
	defer target.Close()
	err = e.mountOn(e.m.Source, "proc", e.m.Destination, target, opts)
	if errors.Is(err, unix.EPERM) && e.o.InUserNS {
		// procfs belongs to a pid namespace: only its owning user
		// namespace may mount it.
		return fmt.Errorf("%w (in a user namespace, proc can only be mounted with a pid namespace owned by it: add {\"type\": \"pid\"} to linux.namespaces)", err)
	}
	return err
}

// ordinaryDir opens the destination of a proc or sysfs mount, made if
// missing, and refuses it unless it is a directory: the last component is
// not followed (the ones before resolve inside the rootfs). runc refuses
// the same with the same words.
func (e *entry) ordinaryDir() (*os.File, error) {
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
		return nil, e.err("mount point", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(target.Fd()), &st); err != nil {
		target.Close()
		return nil, e.err("mount point", err)
	}
	what := ""
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return target, nil
	case unix.S_IFLNK:
		what = "a symlink"
	default:
		what = "not a directory"
	}
	target.Close()
	return nil, mountFieldError(e.i, e.m, "destination", fmt.Errorf("%s in the rootfs: filesystem %q must be mounted on ordinary directory", what, e.m.Type))
}

func (e *entry) openNoFollow(dest string) (*os.File, error) {
	return pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH|unix.O_NOFOLLOW)
}

// sysfs can only be mounted by the owner of the network namespace; in a
// user namespace without its own netns we fall back to the host's /sys.
func (e *entry) sysfs(opts mountOpts) error {
	target, err := e.ordinaryDir()
	if err != nil {
		return err
	}
	defer target.Close()
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
	err = e.mountOn(e.m.Source, "sysfs", e.m.Destination, target, opts)
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
