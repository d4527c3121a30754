// Package features describes what this hutch build and host support, in the
// runtime-spec features format that `hutch features` prints.
package features

import (
	"os"

	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
)

// MountOptions are the mount options hutch interprets itself (others are
// passed to the filesystem as data).
var MountOptions = []string{
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
	"mand", "noatime", "nodev", "nodiratime", "noexec", "nomand", "norelatime",
	"nostrictatime", "nosuid", "private", "rbind", "relatime", "remount", "ro",
	"rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "slave",
	"strictatime", "suid", "sync", "unbindable",
}

// Get returns the features document.
func Get(version string) *features.Features {
	t := true
	f := &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: "1.3.0",
		Hooks:         hooks.Kinds,
		MountOptions:  MountOptions,
		Linux: &features.Linux{
			Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
			Capabilities: capabilities.List(),
			Cgroup:       &features.Cgroup{V1: &t, V2: &t},
			NetDevices:   &features.NetDevices{Enabled: &t},
		},
		Annotations: map[string]string{"org.hutch.version": version},
	}
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		f.Linux.Namespaces = []string{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}
	}
	return f
}
