// Package exeseal protects the hutch binary from a container that would
// overwrite it through /proc/PID/exe of the init (CVE-2019-5736).
//
// Instead of copying the binary for every container (runc's memfd copy
// costs a copy of several MB per start), the init is executed from a
// detached, read-only bind mount of the binary made with the new mount API:
// /proc/PID/exe then points into a read-only mount, so opening it for
// writing fails with EROFS, and the mount is not attached anywhere a
// container could remount it. open_tree needs CAP_SYS_ADMIN over the
// caller's mount namespace, so an unprivileged caller cannot use it; for
// such a caller the binary is still executed in place when no process it
// can start could write it (see unwritableByCaller). Only otherwise does
// hutch fall back to a sealed memfd copy.
package exeseal

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// Open returns a file for the hutch binary that is safe to execute as the
// container init. The caller executes "/proc/self/fd/<fd>" and closes it
// afterwards.
func Open() (*os.File, error) {
	f, err := roBind()
	if err == nil {
		return f, nil
	}
	if os.Geteuid() != 0 {
		if f, ok := unwritableByCaller(); ok {
			return f, nil
		}
	}
	return memfdCopy()
}

// unwritableByCaller opens the binary when it belongs to root and has no
// write bit for group or others and no ACL. An unprivileged caller's
// containers run as its own uid and its subordinate ids, never as host root,
// and their capabilities (in their user namespace) do not apply to a file
// whose owner is not mapped there: none of them can open it for writing or
// chmod it. Executing it directly is then as safe as a read-only mount.
func unwritableByCaller() (*os.File, bool) {
	f, err := os.OpenFile("/proc/self/exe", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	var st unix.Stat_t
	ok := unix.Fstat(int(f.Fd()), &st) == nil && st.Uid == 0 && st.Mode&0o022 == 0 && st.Mode&unix.S_IFMT == unix.S_IFREG
	if ok {
		// An ACL could grant write access to someone else.
		_, err := unix.Fgetxattr(int(f.Fd()), "system.posix_acl_access", nil)
		ok = err == unix.ENODATA || err == unix.EOPNOTSUPP
	}
	if !ok {
		f.Close()
		return nil, false
	}
	return f, true
}

func roBind() (*os.File, error) {
	tree, err := unix.OpenTree(unix.AT_FDCWD, "/proc/self/exe", unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open_tree /proc/self/exe: %w", err)
	}
	attr := &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, attr); err != nil {
		unix.Close(tree)
		return nil, fmt.Errorf("mount_setattr read-only: %w", err)
	}
	// The tree fd is an O_PATH handle on the binary inside the detached
	// mount; execve through /proc/self/fd/N accepts it.
	return os.NewFile(uintptr(tree), "hutch-sealed"), nil
}

func memfdCopy() (*os.File, error) {
	fd, err := unix.MemfdCreate("hutch-sealed", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	mf := os.NewFile(uintptr(fd), "hutch-sealed")
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		mf.Close()
		return nil, err
	}
	defer self.Close()
	if _, err := io.Copy(mf, self); err != nil {
		mf.Close()
		return nil, fmt.Errorf("copy hutch binary: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(mf.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		mf.Close()
		return nil, fmt.Errorf("seal hutch copy: %w", err)
	}
	return mf, nil
}
