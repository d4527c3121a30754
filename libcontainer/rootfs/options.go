// Package rootfs builds the container's filesystem view: from inside the
// container init it mounts the OCI spec's mounts under the rootfs (Mount),
// and it decides /dev, which the process executor makes (DevPlan). The
// executor also enters the root and applies the read-only and masked
// paths (libcontainer/plan.Setup).
package rootfs

// Options describe the init's situation; they are not part of the spec.
type Options struct {
	Rootfs      string // absolute, symlink-free host path of the bundle's root filesystem
	InUserNS    bool   // in a user namespace: mknod is impossible, bind-mount host device nodes instead
	NewNetNS    bool   // own network namespace (sysfs can be mounted); if false and InUserNS, rbind /sys instead
	NewCgroupNS bool   // own cgroup namespace
	// SharedMountNS: the mount namespace is not the container's own: the
	// caller's (no mount namespace in the config) or one joined by path,
	// which is another's. The mounts are made in it without touching its
	// "/", and the root is entered with chroot (see hostns.go).
	SharedMountNS bool
	// TreeFds maps the index of a bind mount in spec.Mounts to the fd of
	// its source as a detached tree the parent made in the host's
	// namespaces, where the privilege for it is (an idmapped bind), or
	// where the source can be reached (the notify directory, in a state
	// directory only its owner may enter).
	TreeFds map[int]int
	// MountLabel is linux.mountLabel, added as context= to the data of
	// the filesystems hutch mounts when SELinux is set (the host runs it).
	MountLabel string
	SELinux    bool
	// Cgroups is the init's view of the host's cgroups, for cgroup
	// mounts (ReadCgroupView).
	Cgroups *CgroupView
}
