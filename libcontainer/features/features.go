// Package features describes what this hutch build and host support, in the
// runtime-spec features format that `hutch features` prints. Engines act on
// it (containerd gives user-namespaced pods idmapped mounts only when
// linux.mountExtensions.idmap.enabled is true, and reports rro support
// from mountOptions): every entry is taken from the code that does the
// work, or probed on this host.
package features

import (
	"os"

	"github.com/opencontainers/runtime-spec/specs-go/features"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
	"github.com/hutch-runtime/hutch/libcontainer/lsm"
	"github.com/hutch-runtime/hutch/libcontainer/rootfs"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
	"github.com/hutch-runtime/hutch/libcontainer/spec"
)

// Document is the features JSON. potentiallyUnsafeConfigAnnotations is
// always printed, empty when hutch acts on no annotation (the upstream
// type omits an empty list).
type Document struct {
	features.Features
	PotentiallyUnsafeConfigAnnotations []string `json:"potentiallyUnsafeConfigAnnotations"`
}

// UnsafeAnnotations are the config annotations (or prefixes, ending in a
// dot) that change what hutch does; engines must not pass them from
// untrusted users. With --systemd-cgroup, org.systemd.property.* become
// properties of the container's scope (as in runc); org.criu.config names
// the CRIU configuration file checkpoint and restore use.
var UnsafeAnnotations = []string{"org.systemd.property.", "org.criu.config"}

// Get returns the features document.
func Get(version string) *Document {
	t, f := true, false
	apparmor, selinux := lsm.AppArmorEnabled(), lsm.SELinuxEnabled()
	d := &Document{Features: features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: "1.3.0",
		Hooks:         hooks.Kinds,
		MountOptions:  rootfs.KnownOptions(),
		Linux: &features.Linux{
			Namespaces:   []string{"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"},
			Capabilities: capabilities.List(),
			Cgroup:       &features.Cgroup{V1: &t, V2: &t, Systemd: &t, SystemdUser: &t, Rdma: &t},
			Seccomp:      seccomp.Features(),
			Apparmor:     &features.Apparmor{Enabled: &apparmor},
			Selinux:      &features.Selinux{Enabled: &selinux},
			// hutch does not write resctrl groups: a config with intelRdt
			// is refused at create, mounted resctrl or not (intelrdt.Check).
			IntelRdt:        &features.IntelRdt{Enabled: &f},
			MemoryPolicy:    &features.MemoryPolicy{Modes: spec.MemoryPolicyModes(), Flags: spec.MemoryPolicyFlags()},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &t}},
			NetDevices:      &features.NetDevices{Enabled: &t},
		},
		Annotations: map[string]string{
			"org.hutch.version": version,
			// checkpoint and restore are built in; whether CRIU is
			// installed is theirs to check (as runc's key means).
			"org.opencontainers.runc.checkpoint.enabled": "true",
		},
	}, PotentiallyUnsafeConfigAnnotations: UnsafeAnnotations}
	if _, err := os.Stat("/proc/self/ns/time"); err != nil {
		d.Linux.Namespaces = []string{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}
	}
	return d
}
