package rootfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// PivotRoot makes o.Rootfs the root of the mount namespace and detaches
// the old root, leaving the cwd at "/". In a mount namespace that is not
// the container's own, it makes o.Rootfs the root of this process only:
// pivot_root would move the root of every process in the namespace.
func PivotRoot(o Options) error {
	if o.SharedMountNS {
		return chrootRoot(o)
	}
	if o.NoPivot {
		return moveRoot(o)
	}
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open old root: %w", err)
	}
	defer unix.Close(oldRoot)
	newRoot, err := unix.Open(o.Rootfs, unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pivot_root: open %s: %w", o.Rootfs, err)
	}
	defer unix.Close(newRoot)
	if err := unix.Fchdir(newRoot); err != nil {
		return fmt.Errorf("pivot_root: chdir %s: %w", o.Rootfs, err)
	}
	// With new_root == put_old the old root ends up stacked under the new
	// one: no directory inside the container is needed for it.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", o.Rootfs, err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("pivot_root: chdir old root: %w", err)
	}
	// The detach below must not propagate to the host's mounts.
	if err := unix.Mount("", ".", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("pivot_root: make old root rslave: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("pivot_root: detach old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("pivot_root: chdir /: %w", err)
	}
	return nil
}
