package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
)

// Mount prepares the container filesystem under o.Rootfs, before
// pivot_root: root propagation, the rootfs self-bind, every spec mount in
// order. /dev follows in the executor (DevPlan).
func Mount(s *specs.Spec, o Options) error {
	if s == nil {
		return errors.New("rootfs: no spec")
	}
	if !filepath.IsAbs(o.Rootfs) {
		return fmt.Errorf("root.path: %q must be an absolute path", o.Rootfs)
	}
	prop := ""
	if s.Linux != nil {
		prop = s.Linux.RootfsPropagation
	}
	pflags, err := ParsePropagation(prop)
	if err != nil {
		return err
	}
	// In a shared mount namespace, its "/" and the mount holding the
	// rootfs are the host's or another container's: left as they are.
	if !o.SharedMountNS {
		// Nothing we mount from here on may propagate back to the host. An
		// unbindable "/" would refuse the bind of the rootfs below, so it is
		// private until the executor applies the requested mode after
		// pivot_root (plan.Setup.Propagation).
		initial := pflags
		if initial&unix.MS_UNBINDABLE != 0 {
			initial = initial&^unix.MS_UNBINDABLE | unix.MS_PRIVATE
		}
		if err := unix.Mount("", "/", "", initial, ""); err != nil {
			return fmt.Errorf("linux.rootfsPropagation: set propagation of /: %w", err)
		}
		if pflags&unix.MS_SHARED != 0 {
			// pivot_root refuses a new root whose parent mount is shared.
			if err := makeParentPrivate(o.Rootfs); err != nil {
				return fmt.Errorf("linux.rootfsPropagation: %w", err)
			}
		}
	}
	// pivot_root needs the new root to be a mount point; in the host's
	// namespace, the bind is what delete detaches.
	if err := unix.Mount(o.Rootfs, o.Rootfs, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("root.path: bind %s onto itself: %w", o.Rootfs, err)
	}
	root, err := os.OpenFile(o.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("root.path: %w", err)
	}
	defer root.Close()

	for i := range s.Mounts {
		e := &entry{root: root, i: i, m: &s.Mounts[i], o: o}
		if err := e.mount(); err != nil {
			return err
		}
	}
	return nil
}

// entry is one spec mount being processed; it labels errors.
type entry struct {
	root *os.File
	i    int
	m    *specs.Mount
	o    Options
}

func (e *entry) err(op string, err error) error { return mountError(e.i, e.m, op, err) }

func (e *entry) mount() error {
	m := e.m
	if m.Destination == "" {
		return e.err("destination", errors.New("must not be empty"))
	}
	opts, err := parseMountOptions(m.Options)
	if err != nil {
		return e.err("options", err)
	}
	if isBind(m.Type, opts) {
		opts.flags |= unix.MS_BIND
		if fd, ok := e.o.TreeFds[e.i]; ok {
			return e.attachTree(fd, m.Source, m.Destination, opts)
		}
		return e.bind(m.Source, m.Destination, opts)
	}
	switch m.Type {
	case "cgroup":
		return e.cgroup(opts)
	case "proc":
		return e.proc(opts)
	case "sysfs":
		return e.sysfs(opts)
	case "mqueue":
		err := e.fsMount(m.Source, m.Type, m.Destination, opts)
		if errors.Is(err, unix.EPERM) && e.o.InUserNS {
			// An ipc namespace we do not own: share the host's queue fs.
			opts.flags |= unix.MS_BIND | unix.MS_REC
			return e.bind("/dev/mqueue", m.Destination, opts)
		}
		return err
	}
	return e.fsMount(m.Source, m.Type, m.Destination, opts)
}

// fsMount mounts a new filesystem instance on dest inside the rootfs.
func (e *entry) fsMount(source, fstype, dest string, opts mountOpts) error {
	var target *os.File
	var err error
	// A tmpfs without mode= gets the mode of the directory it covers, in
	// its mount options as runc gives it: a fresh tmpfs is 1777, which
	// would open e.g. podman's `--tmpfs /home` to every user. With no
	// directory there yet, the tmpfs default stays.
	if fstype == "tmpfs" && opts.flags&unix.MS_REMOUNT == 0 && !opts.hasData("mode") {
		if c := e.coveredDir(dest); c != nil {
			opts.data = append(append([]string(nil), opts.data...), fmt.Sprintf("mode=%o", c.Mode&0o7777))
		}
	}
	if opts.flags&unix.MS_REMOUNT != 0 {
		// A remount acts on the mount already there, not on the directory under it.
		target, err = pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH)
	} else {
		target, err = pathsafe.MkdirAllInRootFd(e.root, dest, 0o755)
	}
	if err != nil {
		return e.err("mount point", err)
	}
	defer target.Close()
	return e.mountOn(source, fstype, dest, target, opts)
}

func (e *entry) mountOn(source, fstype, dest string, target *os.File, opts mountOpts) error {
	if err := e.checkProcDest(target, fstype, source); err != nil {
		return err
	}
	if source == "" {
		source = fstype
	}
	var tmpDir *os.File
	if opts.tmpcopyup && fstype == "tmpfs" {
		var err error
		if tmpDir, err = pathsafe.Reopen(target, unix.O_RDONLY|unix.O_DIRECTORY); err != nil {
			return e.err("tmpcopyup", err)
		}
		defer tmpDir.Close()
	}
	// A read-only tmpfs is filled first, then made read-only.
	flags := opts.flags
	if tmpDir != nil {
		flags &^= unix.MS_RDONLY
	}
	data := withMountLabel(opts.dataString(), e.o.MountLabel, fstype, e.o.SELinux)
	if err := unix.Mount(source, pathsafe.ProcFdPath(target), fstype, flags, data); err != nil {
		op := "mount " + fstype
		if data != "" {
			op += fmt.Sprintf(" (data %q)", data)
		}
		return e.err(op, err)
	}
	if tmpDir != nil {
		if err := e.copyUp(tmpDir, dest); err != nil {
			return e.err("tmpcopyup", err)
		}
	}
	if flags != opts.flags {
		mnt, err := pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH)
		if err != nil {
			return e.err("reopen mount", err)
		}
		err = unix.Mount("", pathsafe.ProcFdPath(mnt), "", opts.flags|unix.MS_REMOUNT, data)
		mnt.Close()
		if err != nil {
			return e.err("remount read-only", err)
		}
	}
	return e.finish(dest, opts)
}

// coveredDir stats the directory a tmpfs is about to cover, nil if there
// is none yet.
func (e *entry) coveredDir(dest string) *unix.Stat_t {
	f, err := pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH)
	if err != nil {
		return nil
	}
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil
	}
	return &st
}

// bind bind-mounts the host path source on dest, then applies the flags a
// bind mount ignores on creation with a remount.
func (e *entry) bind(source, dest string, opts mountOpts) error {
	var st unix.Stat_t
	if err := unix.Stat(source, &st); err != nil {
		return e.err("bind source "+source, err)
	}
	target, err := e.bindTarget(source, dest, st.Mode)
	if err != nil {
		return err
	}
	err = unix.Mount(source, pathsafe.ProcFdPath(target), "", unix.MS_BIND|(opts.flags&unix.MS_REC), "")
	target.Close()
	if err != nil {
		return e.err("bind "+source, err)
	}
	return e.afterBind(dest, opts)
}

// bindTarget creates (a directory or file like the source) and opens the
// mount point of a bind mount.
func (e *entry) bindTarget(source, dest string, mode uint32) (*os.File, error) {
	var target *os.File
	var err error
	if mode&unix.S_IFMT == unix.S_IFDIR {
		target, err = pathsafe.MkdirAllInRootFd(e.root, dest, 0o755)
	} else {
		target, err = pathsafe.CreateInRootFd(e.root, dest, 0o644)
	}
	if err != nil {
		return nil, e.err("mount point", err)
	}
	if err := e.checkProcDest(target, "bind", source); err != nil {
		target.Close()
		return nil, err
	}
	return target, nil
}

// attachTree moves the detached tree fd (an idmapped clone of source made
// by the parent) onto dest, then treats it like any bind mount.
func (e *entry) attachTree(fd int, source, dest string, opts mountOpts) error {
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return e.err("prepared tree of "+source, err)
	}
	target, err := e.bindTarget(source, dest, st.Mode)
	if err != nil {
		return err
	}
	err = unix.MoveMount(fd, "", int(target.Fd()), "", unix.MOVE_MOUNT_F_EMPTY_PATH|unix.MOVE_MOUNT_T_EMPTY_PATH)
	target.Close()
	if err != nil {
		return e.err("move_mount prepared tree of "+source, err)
	}
	return e.afterBind(dest, opts)
}

// afterBind applies the per-mount flags, propagation and recursive
// attributes of a bind mount now at dest.
func (e *entry) afterBind(dest string, opts mountOpts) error {
	if extra := opts.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT); extra != 0 {
		mnt, err := pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH)
		if err != nil {
			return e.err("reopen mount", err)
		}
		err = remountBind(mnt, extra, opts.clear)
		mnt.Close()
		if err != nil {
			return e.err("remount", err)
		}
	}
	return e.finish(dest, opts)
}

// finish applies propagation and recursive attributes to the new mount.
func (e *entry) finish(dest string, opts mountOpts) error {
	if len(opts.propFlags) == 0 && !opts.recAttr {
		return nil
	}
	mnt, err := pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH)
	if err != nil {
		return e.err("reopen mount", err)
	}
	defer mnt.Close()
	for _, p := range opts.propFlags {
		if err := unix.Mount("", pathsafe.ProcFdPath(mnt), "", p, ""); err != nil {
			return e.err("set propagation", err)
		}
	}
	if opts.recAttr {
		attr := opts.attr
		if err := unix.MountSetattr(int(mnt.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr); err != nil {
			return e.err("mount_setattr (recursive options)", err)
		}
	}
	return nil
}

// keepFlags are per-mount flags a bind remount would silently drop.
const keepFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

// remountBind changes the per-mount flags of mnt (a mount root). Flags the
// mount already has and the user did not clear are kept. In a user
// namespace the kernel refuses (EPERM) to clear flags locked by a more
// privileged namespace; then retry with every flag of the mount kept.
func remountBind(mnt *os.File, want, cleared uintptr) error {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(mnt.Fd()), &sfs); err != nil {
		return fmt.Errorf("statfs: %w", err)
	}
	cur := statfsFlags(sfs.Flags)
	target := pathsafe.ProcFdPath(mnt)
	flags := unix.MS_BIND | unix.MS_REMOUNT | want | (cur & keepFlags &^ cleared)
	err := unix.Mount("", target, "", flags, "")
	if err != unix.EPERM {
		return err
	}
	flags = unix.MS_BIND | unix.MS_REMOUNT | (want &^ (atimeFlags | unix.MS_NODIRATIME)) | cur
	return unix.Mount("", target, "", flags, "")
}

func statfsFlags(f int64) uintptr {
	var out uintptr
	for _, m := range [...]struct {
		st int64
		ms uintptr
	}{
		{unix.ST_RDONLY, unix.MS_RDONLY},
		{unix.ST_NOSUID, unix.MS_NOSUID},
		{unix.ST_NODEV, unix.MS_NODEV},
		{unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME},
		{unix.ST_NODIRATIME, unix.MS_NODIRATIME},
		{unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if f&m.st != 0 {
			out |= m.ms
		}
	}
	return out
}

// makeParentPrivate makes the mount holding path private, so a bind of
// path does not join a shared peer group.
func makeParentPrivate(path string) error {
	mounts, err := mountinfo.Self()
	if err != nil {
		return err
	}
	best := ""
	for _, m := range mounts {
		if isUnder(path, m.Mountpoint) && len(m.Mountpoint) >= len(best) {
			best = m.Mountpoint
		}
	}
	if best == "" {
		return fmt.Errorf("no mount holds %s", path)
	}
	if err := unix.Mount("", best, "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make %s private: %w", best, err)
	}
	return nil
}

// isUnder reports whether p equals dir or lies below it (both clean).
func isUnder(p, dir string) bool {
	if dir == "/" || p == dir {
		return true
	}
	return len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}
