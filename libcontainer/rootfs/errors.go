package rootfs

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// mountError names the spec entry so users can find the failing mount:
// "mounts[3] (proc on /proc): mount: operation not permitted".
func mountError(i int, m *specs.Mount, op string, err error) error {
	return fmt.Errorf("mounts[%d] (%s on %s): %s: %w", i, mountType(m), m.Destination, op, err)
}

// mountFieldError names the field of the spec entry that is at fault:
// "mounts[1].destination (sysfs on /sys): a symlink in the rootfs: ...".
func mountFieldError(i int, m *specs.Mount, field string, err error) error {
	return fmt.Errorf("mounts[%d].%s (%s on %s): %w", i, field, mountType(m), m.Destination, err)
}

func mountType(m *specs.Mount) string {
	if m.Type == "" {
		return "bind"
	}
	return m.Type
}
