package rootfs

import "golang.org/x/sys/unix"

// proc must land on a real directory: a symlink at the destination could
// point procfs anywhere the image author likes, and the masked and
// read-only paths under it would follow. The executor refuses anything but
// a directory there, with runc's words.
func (e *entry) proc(opts mountOpts) error {
	e.add('t', "o", e.m.Destination)
	hint := ""
	if e.o.InUserNS {
		// procfs belongs to a pid namespace: only its owning user
		// namespace may mount it.
		hint = `(in a user namespace, proc can only be mounted with a pid namespace owned by it: add {"type": "pid"} to linux.namespaces)`
	}
	return e.mountOn(e.m.Source, "proc", e.m.Destination, opts, false, nil, hint)
}

// sysfs can only be mounted by the owner of the network namespace; in a
// user namespace without its own netns we fall back to the host's /sys.
func (e *entry) sysfs(opts mountOpts) error {
	e.add('t', "o", e.m.Destination)
	rbind := func() error {
		o := opts
		o.flags |= unix.MS_BIND | unix.MS_REC
		// The host's submounts (cgroupfs, ...) come along: restrict them too,
		// or unmounting what covers them would expose them writable.
		if o.flags&unix.MS_RDONLY != 0 {
			o.recAttr = true
			o.attr.Attr_set |= unix.MOUNT_ATTR_RDONLY
		}
		for _, f := range [...]struct {
			ms   uintptr
			attr uint64
		}{{unix.MS_NOSUID, unix.MOUNT_ATTR_NOSUID}, {unix.MS_NODEV, unix.MOUNT_ATTR_NODEV}, {unix.MS_NOEXEC, unix.MOUNT_ATTR_NOEXEC}} {
			if o.flags&f.ms != 0 {
				o.recAttr = true
				o.attr.Attr_set |= f.attr
			}
		}
		return e.bind("/sys", e.m.Destination, o)
	}
	if e.o.InUserNS && !e.o.NewNetNS {
		return rbind()
	}
	var alt steps
	if e.o.InUserNS {
		alt = e.alternative(rbind)
	}
	return e.mountOn(e.m.Source, "sysfs", e.m.Destination, opts, false, alt, "")
}

// procFileWhitelist are /proc files commonly overlaid (lxcfs and friends).
var procFileWhitelist = []string{
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo",
	"/proc/stat", "/proc/swaps", "/proc/uptime",
	"/proc/loadavg", "/proc/slabinfo", "/proc/net/dev",
	"/proc/sys/kernel/ns_last_pid",
}

// checkProcDest has the executor refuse mounts that would cover /proc or
// its contents with something that is not procfs, so an image cannot fake
// /proc (e.g. the files the runtime or LSMs write to) through a volume or
// symlink: where the mount point resolves is known only then. A bind of
// procfs, or onto one of procFileWhitelist, is allowed.
func (e *entry) checkProcDest(fstype, source string) {
	args := []string{fstype, source}
	if fstype == "bind" {
		args = append(args, procFileWhitelist...)
	}
	e.add('c', args...)
}
