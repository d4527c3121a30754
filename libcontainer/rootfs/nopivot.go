package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
)

// --no-pivot is for roots pivot_root cannot leave (an initramfs): the
// rootfs is moved (MS_MOVE) over the old root and entered with chroot. The
// old root stays the namespace's root underneath, and with it every mount
// the namespace was copied with: out of reach by path, but not out of the
// kernel's sight. The kernel lets a user namespace mount a fresh proc or
// sysfs when a "fully visible" one (its whole tree, nothing locked over a
// non-empty directory) is in the mount namespace already: the host's /proc
// there would let a process of the container mount a proc without the
// masked and read-only paths (runc 1.5's no_pivot.bats). So everything but
// the old root and the new one is detached; a mount that cannot be (locked
// in a user namespace) is, when it is a full proc or sysfs, covered by an
// empty tmpfs, which stops it counting as fully visible. A full proc or
// sysfs that can be neither is an error.

// moveRoot is --no-pivot: it makes o.Rootfs the root by MS_MOVE + chroot
// and leaves nothing of the old root's mounts in the namespace.
func moveRoot(o Options) error {
	root, err := os.OpenFile(o.Rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("no-pivot: open %s: %w", o.Rootfs, err)
	}
	defer root.Close()
	// The mounts are found through a handle of this proc: detaching it
	// (it is one of the old root's mounts) leaves the handle working.
	proc, err := os.OpenFile("/proc", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("no-pivot: open /proc: %w", err)
	}
	defer proc.Close()
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(int(proc.Fd()), &sfs); err != nil || sfs.Type != unix.PROC_SUPER_MAGIC {
		return errors.New("no-pivot: /proc is not a proc filesystem: the old root's mounts cannot be listed")
	}
	oldRoot, err := mountIDAt(unix.AT_FDCWD, "/")
	if err != nil {
		return fmt.Errorf("no-pivot: %w", err)
	}
	newRoot, err := mountIDAt(int(root.Fd()), "")
	if err != nil {
		return fmt.Errorf("no-pivot: %w", err)
	}
	// Neither the move nor the detaches below may propagate to the
	// old root's peers (the host's "/" with rootfsPropagation shared).
	if err := unix.Mount("", "/", "", unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("no-pivot: make the old root private: %w", err)
	}
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return fmt.Errorf("no-pivot: chdir %s: %w", o.Rootfs, err)
	}
	if err := unix.Mount(o.Rootfs, "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("no-pivot: move %s to /: %w", o.Rootfs, err)
	}
	// Until the chroot, "/" still resolves in the old root: its mounts
	// are reachable by their paths.
	if err := unix.Fchdir(int(proc.Fd())); err != nil {
		return fmt.Errorf("no-pivot: chdir /proc: %w", err)
	}
	if err := clearOldRoot(oldRoot, newRoot); err != nil {
		return fmt.Errorf("no-pivot: %w", err)
	}
	if err := unix.Fchdir(int(root.Fd())); err != nil {
		return fmt.Errorf("no-pivot: chdir %s: %w", o.Rootfs, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("no-pivot: chroot: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("no-pivot: chdir /: %w", err)
	}
	return nil
}

// clearOldRoot detaches the old root's mounts, all but the new root, and
// covers the full proc and sysfs mounts that could not be detached. The
// cwd is the proc handle: a mount is acted on as "self/fd/N" of a handle
// checked to be that mount's root, never by a path that could meanwhile
// name another.
func clearOldRoot(oldRoot, newRoot int) error {
	// A detach can reveal a mount that was hidden under the detached
	// one: list again until a round detaches nothing.
	for {
		mounts, err := readMounts()
		if err != nil {
			return err
		}
		detached := false
		for _, m := range oldRootMounts(mounts, oldRoot, newRoot) {
			ok, err := detachMount(m)
			if err != nil {
				return err
			}
			detached = detached || ok
		}
		if !detached {
			break
		}
	}
	mounts, err := readMounts()
	if err != nil {
		return err
	}
	for _, m := range fullProcSysfs(mounts, oldRoot, newRoot) {
		if err := coverMount(m); err != nil {
			return err
		}
	}
	return nil
}

// readMounts lists this process's mounts through the proc handle (cwd).
func readMounts() ([]mountinfo.Mount, error) {
	f, err := os.Open("self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("list the old root's mounts: %w", err)
	}
	defer f.Close()
	mounts, err := mountinfo.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("list the old root's mounts: %w", err)
	}
	return mounts, nil
}

// oldRootMounts returns the mounts directly on the old root other than the
// new root: detaching them removes everything but the new root's tree.
func oldRootMounts(mounts []mountinfo.Mount, oldRoot, newRoot int) []mountinfo.Mount {
	var out []mountinfo.Mount
	for _, m := range mounts {
		if m.Parent == oldRoot && m.ID != newRoot && m.ID != oldRoot {
			out = append(out, m)
		}
	}
	return out
}

// fullProcSysfs returns the proc and sysfs mounts of their filesystem's
// whole tree that are outside the new root's tree: those the kernel could
// take as fully visible.
func fullProcSysfs(mounts []mountinfo.Mount, oldRoot, newRoot int) []mountinfo.Mount {
	parent := make(map[int]int, len(mounts))
	for _, m := range mounts {
		parent[m.ID] = m.Parent
	}
	inNewRoot := func(id int) bool {
		for seen := 0; seen <= len(mounts); seen++ {
			if id == newRoot {
				return true
			}
			p, ok := parent[id]
			if !ok || id == oldRoot || p == id {
				return false
			}
			id = p
		}
		return false
	}
	var out []mountinfo.Mount
	for _, m := range mounts {
		if (m.FSType == "proc" || m.FSType == "sysfs") && m.Root == "/" && !inNewRoot(m.ID) {
			out = append(out, m)
		}
	}
	return out
}

// openMount opens m's mount point without following a last symlink and
// returns the handle only if it is m's root: a path hidden under another
// mount, or changed since it was listed, gives -1.
func openMount(m mountinfo.Mount) (int, error) {
	fd, err := unix.Open(m.Mountpoint, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return -1, nil
		}
		return -1, fmt.Errorf("open the old root's mount %s: %w", m.Mountpoint, err)
	}
	id, err := mountIDAt(fd, "")
	if err != nil || id != m.ID {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// detachMount detaches m with everything below it, made slaves first so
// that their removal reaches no peer. It reports whether m went; a mount
// that is locked (a user namespace's copy of its owner's) stays.
func detachMount(m mountinfo.Mount) (bool, error) {
	fd, err := openMount(m)
	if err != nil || fd < 0 {
		return false, err
	}
	defer unix.Close(fd)
	p := "self/fd/" + strconv.Itoa(fd)
	if err := unix.Mount("", p, "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return false, fmt.Errorf("make the old root's mount %s a slave: %w", m.Mountpoint, err)
	}
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EPERM) {
			return false, nil
		}
		return false, fmt.Errorf("detach the old root's mount %s: %w", m.Mountpoint, err)
	}
	return true, nil
}

// coverMount mounts an empty read-only tmpfs over m, a full proc or sysfs
// that could not be detached.
func coverMount(m mountinfo.Mount) error {
	fd, err := openMount(m)
	if err != nil {
		return err
	}
	if fd < 0 {
		return fmt.Errorf("the old root's %s mount on %s can be neither detached nor covered: a user namespace in the container could mount a %s without the masked paths", m.FSType, m.Mountpoint, m.FSType)
	}
	defer unix.Close(fd)
	p := "self/fd/" + strconv.Itoa(fd)
	if err := unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0"); err != nil {
		return fmt.Errorf("cover the old root's %s mount on %s: %w", m.FSType, m.Mountpoint, err)
	}
	return nil
}

// mountIDAt is the classic mount id (the one mountinfo lists) of path at
// dirfd, or of dirfd itself with path "".
func mountIDAt(dirfd int, path string) (int, error) {
	flags := unix.AT_NO_AUTOMOUNT | unix.AT_SYMLINK_NOFOLLOW
	if path == "" {
		flags |= unix.AT_EMPTY_PATH
	}
	var stx unix.Statx_t
	if err := unix.Statx(dirfd, path, flags, unix.STATX_MNT_ID, &stx); err != nil {
		return 0, fmt.Errorf("statx %q: %w", path, err)
	}
	if stx.Mask&unix.STATX_MNT_ID == 0 {
		return 0, errors.New("statx: the kernel reports no mount id")
	}
	return int(stx.Mnt_id), nil
}
