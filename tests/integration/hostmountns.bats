#!/usr/bin/env bats
# A config without a mount namespace: the container shares the caller's
# (runtime-spec: an absent namespace type is inherited). Its root is a bind
# of the rootfs made in that namespace and entered with chroot; delete, or a
# failed create, takes every such mount away again, and the namespace's "/"
# is never touched.

load helpers

setup() {
	hutch_setup
	update_config '.linux.namespaces |= map(select(.type != "mount"))'
	touch "$ROOTFS/IN_ROOTFS"
}

teardown() {
	hutch_teardown
}

# mount_fields DIR: mount id, options and propagation of the mount on DIR.
mount_fields() {
	awk -v d="$1" '$5 == d {s = $1; for (i = 6; i <= NF && $i != "-"; i++) s = s " " $i; print s}' /proc/self/mountinfo
}

# root_mount_fields: those of the caller's "/".
root_mount_fields() { mount_fields /; }

@test "no mount namespace: the container shares ours, sees only its rootfs, and delete removes its mounts" {
	local before pid shared
	# The bundle on a shared mount (as on systemd hosts): hutch must not
	# change its propagation, nor that of "/" (private on this machine).
	mount --bind "$TESTDIR" "$TESTDIR"
	mount --make-shared "$TESTDIR"
	shared=$(mount_fields "$TESTDIR")
	[[ "$shared" == *shared:* ]]
	before=$(root_mount_fields)
	set_args /bin/sh -c 'readlink /proc/self/ns/mnt; ls /IN_ROOTFS; echo ready; exec sleep 1000'
	hutch_start_bg ct
	wait_file_contains "$TESTDIR/ct.out" ready
	cat "$TESTDIR/ct.out"
	[ "$(sed -n 1p "$TESTDIR/ct.out")" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(sed -n 2p "$TESTDIR/ct.out")" = /IN_ROOTFS ]
	pid=$(ct_pid ct)
	# Its root is the rootfs, with the spec's mounts made in our namespace.
	[ -e "/proc/$pid/root/IN_ROOTFS" ]
	mounts_under "$ROOTFS" | grep -qx "$ROOTFS"
	mounts_under "$ROOTFS" | grep -qx "$ROOTFS/proc"
	[ "$(root_mount_fields)" = "$before" ]
	[ "$(mount_fields "$TESTDIR")" = "$shared" ]
	hutch delete --force ct
	[ -z "$(mounts_under "$ROOTFS")" ]
	assert_no_leftovers ct "$pid"
	[ "$(root_mount_fields)" = "$before" ]
	[ "$(mount_fields "$TESTDIR")" = "$shared" ]
}

@test "no mount namespace: root.readonly, masked paths and a tmpfs apply; run leaves nothing" {
	local before
	before=$(root_mount_fields)
	update_config '.root.readonly = true
		| .mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_args /bin/sh -c 'touch /x 2>/dev/null && echo root-writable; echo hi > /scratch/f && cat /scratch/f; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; grep -c " /scratch " /proc/self/mountinfo'
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	# masked: /proc/timer_list reads empty, /sys/firmware is an empty tmpfs
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 1 ]
	[ "${#lines[@]}" -eq 4 ]
	assert_no_leftovers ct
	[ "$(root_mount_fields)" = "$before" ]
}

@test "no mount namespace: exec runs inside the container's root, not ours" {
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	hutch_start_bg ct
	wait_file_contains "$TESTDIR/ct.out" ready
	run hutch exec ct ls /IN_ROOTFS
	[ "$status" -eq 0 ]
	[ "$output" = /IN_ROOTFS ]
	# TESTDIR exists in our root only.
	run hutch exec ct ls -d "$TESTDIR"
	echo "$output"
	[ "$status" -ne 0 ]
	run hutch exec ct readlink /proc/self/ns/mnt
	[ "$output" = "$(readlink /proc/self/ns/mnt)" ]
	# The same through the Go exec init (an I/O priority sends it there).
	jq '.process | .args = ["ls", "/IN_ROOTFS"] | .ioPriority = {class: "IOPRIO_CLASS_BE", priority: 4}' "$BUNDLE/config.json" >"$TESTDIR/go.json"
	run hutch exec --process "$TESTDIR/go.json" ct
	[ "$status" -eq 0 ]
	[ "$output" = /IN_ROOTFS ]
	hutch delete --force ct
	assert_no_leftovers ct
}

@test "no mount namespace: a create that fails after mounting leaves no mount behind" {
	update_config '.mounts += [{destination: "/broken", type: "nosuchfs", source: "none"}]'
	set_args /bin/true
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"/broken"* ]]
	assert_no_leftovers ct
	assert_root_empty
}

@test "no mount namespace with a user namespace is refused, naming linux.namespaces" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.namespaces: a user namespace needs a mount namespace too"* ]]
	assert_no_leftovers ct
	assert_root_empty
}

@test "no mount namespace: the host's / as root.path is refused before anything is mounted" {
	local before
	before=$(grep -c . /proc/self/mountinfo)
	update_config '.root.path = "/"'
	set_args /bin/true
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"root.path: / cannot be the root of a container without a mount namespace"* ]]
	[ "$(grep -c . /proc/self/mountinfo)" = "$before" ]
	assert_no_leftovers ct
	assert_root_empty
}
