// Package cgroups places a container into its own cgroup and applies
// linux.resources to it on cgroup v1 ("legacy"), hybrid (v1 controllers plus a
// cgroup2 mount at /sys/fs/cgroup/unified) and pure v2 ("unified") hosts.
//
// Placement: linux.cgroupsPath is always resolved from the root of every
// hierarchy, whether it is written as "/a/b" or "a/b". Unlike runc we never
// nest a relative path under our own cgroup: on hosts where hutch itself runs
// inside a machine-managed cgroup, nesting would put containers inside (and
// later make us rmdir into) cgroups we do not own. An empty path means
// "/hutch/<id>".
//
// Ownership: the manager remembers every directory it created (Created) and
// Destroy removes only those. Files are written only inside the container's
// leaf directories and inside intermediate directories this manager created
// (cpuset.cpus/mems copies on v1, cgroup.subtree_control on v2).
package cgroups
