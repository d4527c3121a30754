package cgroups

import (
	"errors"
	"os"
)

// NewSystemd is the entry point for --systemd-cgroup. The systemd driver
// (transient scopes over D-Bus) is not implemented; the error says whether
// systemd would even be usable here, so the user knows what to change.
func NewSystemd(cgroupsPath, id string) (Manager, error) {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return nil, errors.New("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); run without --systemd-cgroup")
	}
	return nil, errors.New("--systemd-cgroup: the systemd cgroup driver is not implemented yet; run without --systemd-cgroup")
}
