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

func devDefault(p string, major, minor int64) specs.LinuxDevice {
	mode := os.FileMode(0o666)
	return specs.LinuxDevice{Path: p, Type: "c", Major: major, Minor: minor, FileMode: &mode}
}

// defaultDevices are present in every container (runtime-spec config-linux.md).
var defaultDevices = []specs.LinuxDevice{
	devDefault("/dev/null", 1, 3),
	devDefault("/dev/zero", 1, 5),
	devDefault("/dev/full", 1, 7),
	devDefault("/dev/random", 1, 8),
	devDefault("/dev/urandom", 1, 9),
	devDefault("/dev/tty", 5, 0),
}

// needsDevSetup is false when the user bind-mounts their own /dev.
func needsDevSetup(s *specs.Spec) bool {
	for _, m := range s.Mounts {
		if path.Clean("/"+m.Destination) != "/dev" {
			continue
		}
		if o, err := parseMountOptions(m.Options); err == nil && isBind(m.Type, o) {
			return false
		}
	}
	return true
}

func setupDev(root *os.File, s *specs.Spec, o Options) error {
	// Device modes must be exactly as configured.
	old := unix.Umask(0)
	defer unix.Umask(old)

	var devs []specs.LinuxDevice
	if s.Linux != nil {
		devs = s.Linux.Devices
	}
	configured := map[string]bool{}
	for _, d := range devs {
		configured[path.Clean("/"+d.Path)] = true
	}
	for _, d := range defaultDevices {
		if configured[d.Path] {
			continue
		}
		if err := createDevice(root, d, o); err != nil {
			return fmt.Errorf("default device %s: %w", d.Path, err)
		}
	}
	for i, d := range devs {
		if err := createDevice(root, d, o); err != nil {
			return fmt.Errorf("linux.devices[%d] (%s): %w", i, d.Path, err)
		}
	}
	return devLinks(root, s)
}

func createDevice(root *os.File, d specs.LinuxDevice, o Options) error {
	if d.Path == "" {
		return errors.New("path: must not be empty")
	}
	var typ uint32
	switch d.Type {
	case "c", "u":
		typ = unix.S_IFCHR
	case "b":
		typ = unix.S_IFBLK
	case "p":
		typ = unix.S_IFIFO
	default:
		return fmt.Errorf("type: unknown device type %q", d.Type)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	if o.InUserNS && typ != unix.S_IFIFO {
		return bindDevice(root, d)
	}
	dir, name, err := pathsafe.OpenParentInRootFd(root, d.Path, 0o755)
	if err != nil {
		return err
	}
	defer dir.Close()
	dfd := int(dir.Fd())
	// Whatever the image has there (possibly a regular file or a symlink
	// planted in place of /dev/null) is replaced.
	if err := unix.Unlinkat(dfd, name, 0); err != nil && err != unix.ENOENT {
		return fmt.Errorf("remove existing %s: %w", d.Path, err)
	}
	if err := unix.Mknodat(dfd, name, typ|perm, int(unix.Mkdev(uint32(d.Major), uint32(d.Minor)))); err != nil {
		return fmt.Errorf("mknod: %w", err)
	}
	if d.UID != nil || d.GID != nil {
		uid, gid := -1, -1
		if d.UID != nil {
			uid = int(*d.UID)
		}
		if d.GID != nil {
			gid = int(*d.GID)
		}
		if err := unix.Fchownat(dfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chown: %w", err)
		}
	}
	return nil
}

// bindDevice is the user-namespace substitute for mknod: the host's node
// at the same path is bind-mounted onto an empty file.
func bindDevice(root *os.File, d specs.LinuxDevice) error {
	var st unix.Stat_t
	if err := unix.Stat(d.Path, &st); err != nil {
		return fmt.Errorf("host node for bind mount: %w", err)
	}
	target, err := pathsafe.CreateInRootFd(root, d.Path, 0)
	if err != nil {
		return err
	}
	defer target.Close()
	if err := unix.Mount(d.Path, pathsafe.ProcFdPath(target), "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind %s: %w", d.Path, err)
	}
	return nil
}

// devLinks creates the conventional /dev symlinks, /dev/ptmx and /dev/shm.
func devLinks(root *os.File, s *specs.Spec) error {
	links := [][2]string{
		{"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	hasProc, hasPts := false, false
	for _, m := range s.Mounts {
		switch {
		case m.Type == "proc" && path.Clean("/"+m.Destination) == "/proc":
			hasProc = true
		case m.Type == "devpts" && path.Clean("/"+m.Destination) == "/dev/pts":
			hasPts = true
		}
	}
	// /proc/kcore exists only on kernels built with CONFIG_PROC_KCORE (not
	// this CI's): elsewhere /dev/core would dangle. Every procfs of the
	// kernel has it or not, so the runtime's own /proc tells.
	if hasProc {
		if _, err := os.Stat("/proc/kcore"); err == nil {
			links = append(links, [2]string{"/proc/kcore", "core"})
		}
	}
	dev, err := pathsafe.MkdirAllInRootFd(root, "/dev", 0o755)
	if err != nil {
		return fmt.Errorf("/dev: %w", err)
	}
	defer dev.Close()
	dfd := int(dev.Fd())
	for _, l := range links {
		if err := unix.Symlinkat(l[0], dfd, l[1]); err != nil && err != unix.EEXIST {
			return fmt.Errorf("symlink /dev/%s -> %s: %w", l[1], l[0], err)
		}
	}
	if hasPts {
		// The devpts instance's own ptmx must be used, not a host-wide node.
		if err := unix.Unlinkat(dfd, "ptmx", 0); err != nil && err != unix.ENOENT {
			return fmt.Errorf("remove /dev/ptmx: %w", err)
		}
		if err := unix.Symlinkat("pts/ptmx", dfd, "ptmx"); err != nil {
			return fmt.Errorf("symlink /dev/ptmx -> pts/ptmx: %w", err)
		}
	}
	if err := unix.Mkdirat(dfd, "shm", 0o1777); err != nil && err != unix.EEXIST {
		return fmt.Errorf("mkdir /dev/shm: %w", err)
	}
	return nil
}
