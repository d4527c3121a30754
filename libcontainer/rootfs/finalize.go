package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
)

// Finalize runs after PivotRoot: readonlyPaths, maskedPaths, root.readonly
// and the final rootfsPropagation of "/". All paths are resolved inside
// the new root.
func Finalize(s *specs.Spec, o Options) error {
	if s == nil {
		return errors.New("rootfs: no spec")
	}
	if s.Linux != nil {
		for i, p := range s.Linux.ReadonlyPaths {
			if err := readonlyPath(p); err != nil {
				return fmt.Errorf("linux.readonlyPaths[%d] (%s): %w", i, p, err)
			}
		}
		// The read-only tmpfs over a masked directory gets the mount
		// label too, as in runc.
		maskData := withMountLabel("", o.MountLabel, "tmpfs", o.SELinux)
		// One read-only tmpfs for every masked directory (bind mounts of
		// the first), and each path once, as runc masks them.
		var dirMask *os.File
		defer func() {
			if dirMask != nil {
				dirMask.Close()
			}
		}()
		seen := make(map[string]bool, len(s.Linux.MaskedPaths))
		for i, p := range s.Linux.MaskedPaths {
			clean := path.Clean("/" + p)
			if seen[clean] {
				continue
			}
			seen[clean] = true
			if err := maskPath(p, maskData, &dirMask); err != nil {
				return fmt.Errorf("linux.maskedPaths[%d] (%s): %w", i, p, err)
			}
		}
	}
	if s.Root != nil && s.Root.Readonly {
		root, err := os.OpenFile("/", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("root.readonly: %w", err)
		}
		err = remountBind(root, unix.MS_RDONLY, 0)
		root.Close()
		if err != nil {
			return fmt.Errorf("root.readonly: remount / read-only: %w", err)
		}
	}
	if s.Linux != nil && s.Linux.RootfsPropagation != "" {
		flags, err := parsePropagation(s.Linux.RootfsPropagation)
		if err != nil {
			return err
		}
		if err := unix.Mount("", "/", "", flags, ""); err != nil {
			return fmt.Errorf("linux.rootfsPropagation: %s on /: %w", s.Linux.RootfsPropagation, err)
		}
	}
	return nil
}

// openExisting resolves p inside "/"; a missing path is (nil, nil).
func openExisting(p string) (*os.File, error) {
	f, err := pathsafe.OpenInRoot("/", p, unix.O_PATH)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	return f, err
}

const roPathFlags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC

func readonlyPath(p string) error {
	f, err := openExisting(p)
	if err != nil || f == nil {
		return err
	}
	fd := pathsafe.ProcFdPath(f)
	err = unix.Mount(fd, fd, "", unix.MS_BIND|unix.MS_REC, "")
	f.Close()
	if err != nil {
		return fmt.Errorf("bind onto itself: %w", err)
	}
	mnt, err := pathsafe.OpenInRoot("/", p, unix.O_PATH)
	if err != nil {
		return err
	}
	defer mnt.Close()
	// Setting (never clearing) attributes is allowed on locked mounts, and
	// AT_RECURSIVE also covers anything mounted below.
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC}
	err = unix.MountSetattr(int(mnt.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_RECURSIVE, &attr)
	if err == unix.ENOSYS {
		err = remountBind(mnt, roPathFlags, 0)
	}
	if err != nil {
		return fmt.Errorf("remount read-only: %w", err)
	}
	return nil
}

// maskPath covers p: a directory with an empty read-only tmpfs (with
// tmpfsData; the one in *dirMask once there is one), anything else with
// /dev/null.
func maskPath(p, tmpfsData string, dirMask **os.File) error {
	f, err := openExisting(p)
	if err != nil || f == nil {
		return err
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("fstat: %w", err)
	}
	target := pathsafe.ProcFdPath(f)
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		if *dirMask != nil {
			// A bind mount of a read-only tmpfs stays read-only: its
			// superblock is.
			if err := unix.Mount(pathsafe.ProcFdPath(*dirMask), target, "", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind the masking tmpfs: %w", err)
			}
			return nil
		}
		if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_RDONLY, tmpfsData); err != nil {
			return fmt.Errorf("mount read-only tmpfs: %w", err)
		}
		m, err := pathsafe.OpenInRoot("/", p, unix.O_PATH|unix.O_DIRECTORY)
		if err != nil {
			return fmt.Errorf("open the masking tmpfs: %w", err)
		}
		*dirMask = m
		return nil
	}
	null, err := openDevNull()
	if err != nil {
		return err
	}
	defer null.Close()
	if err := unix.Mount(pathsafe.ProcFdPath(null), target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind /dev/null: %w", err)
	}
	return nil
}

// openDevNull opens the container's /dev/null and checks it really is the
// null device: masking with anything else would leak or expose data.
func openDevNull() (*os.File, error) {
	f, err := pathsafe.OpenInRoot("/", "/dev/null", unix.O_PATH)
	if err != nil {
		return nil, fmt.Errorf("open /dev/null: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("fstat /dev/null: %w", err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 1 || unix.Minor(st.Rdev) != 3 {
		f.Close()
		return nil, errors.New("/dev/null is not the null device (char 1:3)")
	}
	return f, nil
}
