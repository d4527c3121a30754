package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// A container whose config lists no mount namespace shares the caller's
// (runtime-spec: an absent namespace type is inherited). Its root is then a
// bind mount of the rootfs made in that shared namespace, with the spec's
// mounts below it, and the init chroots into it: pivot_root or MS_MOVE
// would replace the root of every process in the namespace. Nothing may
// touch the propagation of the namespace's "/"; the bind inherits the
// propagation of the mount it sits on, so its mounts and their removal
// reach the same peers as any mount made there. delete (or a failed
// create) detaches the bind with everything below it, so the host keeps
// no trace of the container.

// MountID identifies the mount path is on (the topmost one, if several are
// stacked on it): the 64-bit never-reused id where the kernel has it
// (6.8), the classic reusable one otherwise.
func MountID(path string) (uint64, error) {
	var stx unix.Statx_t
	err := unix.Statx(unix.AT_FDCWD, path, unix.AT_NO_AUTOMOUNT|unix.AT_SYMLINK_NOFOLLOW, unix.STATX_MNT_ID_UNIQUE, &stx)
	if err != nil {
		return 0, fmt.Errorf("statx %s: %w", path, err)
	}
	// Kernels before 6.8 ignore the request and report the classic id.
	if stx.Mask&(unix.STATX_MNT_ID_UNIQUE|unix.STATX_MNT_ID) == 0 {
		return 0, fmt.Errorf("statx %s: the kernel reports no mount id", path)
	}
	return stx.Mnt_id, nil
}

// DetachHostRoot removes the container's root bind from the shared mount
// namespace, with every mount below it (lazily: a process still inside
// keeps its view until it exits). It acts only while the topmost mount on
// rootfs is still the one with id want, so that it can never remove a
// mount it did not make (the engine's overlay underneath, say). rootfs is
// the symlink-free path recorded at create: a symlink there now is not
// followed.
func DetachHostRoot(rootfs string, want uint64) error {
	got, err := MountID(rootfs)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s: the mount on it is no longer the container's root (mount id %d, recorded %d); left alone", rootfs, got, want)
	}
	if err := unix.Unmount(rootfs, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
		return fmt.Errorf("unmount the container's root %s: %w", rootfs, err)
	}
	return nil
}
