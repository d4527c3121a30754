package rootfs

import (
	"fmt"
	"os"
	"path"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/plan"
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

// DevPlan decides /dev of a created container, which the executor makes
// once the mounts are (nsenter/devices.c): nothing when the config
// bind-mounts its own /dev. inUserNS: mknod is impossible, the host's
// nodes are bound instead (fifos are still made).
func DevPlan(s *specs.Spec, inUserNS bool, u *plan.Setup) error {
	if !needsDevSetup(s) {
		return nil
	}
	var devs []specs.LinuxDevice
	if s.Linux != nil {
		devs = s.Linux.Devices
	}
	configured := map[string]bool{}
	for _, d := range devs {
		configured[path.Clean("/"+d.Path)] = true
	}
	u.Dev = true
	for _, d := range defaultDevices {
		if configured[d.Path] {
			continue
		}
		pd, err := device(d, "default device "+d.Path, inUserNS)
		if err != nil {
			return err
		}
		u.Devices = append(u.Devices, pd)
	}
	for i, d := range devs {
		pd, err := device(d, fmt.Sprintf("linux.devices[%d] (%s)", i, d.Path), inUserNS)
		if err != nil {
			return err
		}
		u.Devices = append(u.Devices, pd)
	}
	u.DevLinks = [][2]string{
		{"/proc/self/fd", "fd"},
		{"/proc/self/fd/0", "stdin"},
		{"/proc/self/fd/1", "stdout"},
		{"/proc/self/fd/2", "stderr"},
	}
	hasProc := false
	for _, m := range s.Mounts {
		switch {
		case m.Type == "proc" && path.Clean("/"+m.Destination) == "/proc":
			hasProc = true
		case m.Type == "devpts" && path.Clean("/"+m.Destination) == "/dev/pts":
			// The devpts instance's own ptmx must be used.
			u.Ptmx = true
		}
	}
	// /proc/kcore exists only on kernels built with CONFIG_PROC_KCORE (not
	// this CI's): elsewhere /dev/core would dangle. Every procfs of the
	// kernel has it or not, so the runtime's own /proc tells.
	if hasProc {
		if _, err := os.Stat("/proc/kcore"); err == nil {
			u.DevLinks = append(u.DevLinks, [2]string{"/proc/kcore", "core"})
		}
	}
	return nil
}

func device(d specs.LinuxDevice, label string, inUserNS bool) (plan.Device, error) {
	if d.Path == "" {
		return plan.Device{}, fmt.Errorf("%s: path: must not be empty", label)
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
		return plan.Device{}, fmt.Errorf("%s: type: unknown device type %q", label, d.Type)
	}
	perm := uint32(0o666)
	if d.FileMode != nil {
		perm = uint32(d.FileMode.Perm())
	}
	pd := plan.Device{Label: label, Path: d.Path, Mode: typ | perm, Major: uint32(d.Major), Minor: uint32(d.Minor),
		UID: -1, GID: -1, Bind: inUserNS && typ != unix.S_IFIFO}
	if d.UID != nil {
		pd.UID = int64(*d.UID)
	}
	if d.GID != nil {
		pd.GID = int64(*d.GID)
	}
	return pd, nil
}
