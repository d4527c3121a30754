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

func mountType(m *specs.Mount) string {
	if m.Type == "" {
		return "bind"
	}
	return m.Type
}
