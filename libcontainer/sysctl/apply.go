package sysctl

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// procSys is where Apply writes; a variable so tests can point it at a
// procfs mounted elsewhere.
var procSys = "/proc/sys"

// Apply writes each value to /proc/sys/<key with '.' -> '/'>, in key
// order. It runs in the container init after /proc is mounted, so the
// files it opens must really be procfs: a rootfs that put a symlink or a
// different filesystem there would otherwise turn the write into one on
// an arbitrary file.
func Apply(m map[string]string) error {
	if len(m) == 0 {
		return nil
	}
	dir, err := unix.Open(procSys, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.sysctl: opening %s: %w", procSys, err)
	}
	defer unix.Close(dir)
	if err := isProc(dir); err != nil {
		return fmt.Errorf("linux.sysctl: %s: %w", procSys, err)
	}
	for _, k := range sortedKeys(m) {
		field := fmt.Sprintf("linux.sysctl[%q]", k)
		if err := checkKey(k); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		rel := strings.ReplaceAll(k, ".", "/")
		if err := write(dir, rel, m[k]); err != nil {
			return fmt.Errorf("%s: writing %s/%s: %w", field, procSys, rel, err)
		}
	}
	return nil
}

func write(dir int, rel, val string) error {
	fd, err := unix.Openat2(dir, rel, &unix.OpenHow{
		Flags:   unix.O_WRONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV,
	})
	if errors.Is(err, unix.ENOSYS) {
		// Kernels before 5.6: the key has no "..", so a plain openat
		// stays beneath dir; the procfs check below catches mounts.
		fd, err = unix.Openat(dir, rel, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := isProc(fd); err != nil {
		return err
	}
	// One write: procfs parses a sysctl value from a single write call.
	n, err := unix.Write(fd, []byte(val))
	if err != nil {
		return err
	}
	if n != len(val) {
		return fmt.Errorf("short write (%d of %d bytes)", n, len(val))
	}
	return nil
}

func isProc(fd int) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(fd, &st); err != nil {
		return err
	}
	if st.Type != unix.PROC_SUPER_MAGIC {
		return fmt.Errorf("not on procfs (filesystem type %#x)", st.Type)
	}
	return nil
}
