#!/usr/bin/env bats
# Idmapped bind mounts (mounts[].uidMappings/gidMappings, runtime-spec 1.2)
# as root, on the filesystems the host has: ext4 (the test dir), tmpfs and
# overlay. The rootless case is in rootless.bats (refused: the kernel wants
# CAP_SYS_ADMIN in the user namespace owning the source's filesystem).

load helpers

setup() {
	hutch_setup
	DATA=$TESTDIR/data
	mkdir "$DATA"
}

teardown() {
	hutch_teardown
}

# idmap_mount SRC [extra options]: bind SRC on /d, on-disk 0 shown as 1000
# and on-disk 5 as 1005.
idmap_mount() {
	update_config '.mounts += [{"destination":"/d","type":"bind","source":$src,"options":(["bind"] + $o),
		"uidMappings":[{"containerID":0,"hostID":1000,"size":10}],
		"gidMappings":[{"containerID":0,"hostID":2000,"size":10}]}]' --arg src "$1" --argjson o "$(json_array "${@:2}")"
}

check_mapped() {
	echo 0 >"$1/root-owned"
	echo 5 >"$1/five"
	chown 5:5 "$1/five"
	set_args sh -c 'stat -c "%n %u %g" /d/root-owned /d/five'
	idmap_mount "$1"
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "/d/root-owned 1000 2000" ]
	[ "${lines[1]}" = "/d/five 1005 2005" ]
	# The host view is unchanged.
	[ "$(stat -c '%u %g' "$1/root-owned")" = "0 0" ]
	assert_no_leftovers ct
}

@test "idmap: ext4 bind source shows mapped ownership" {
	[ "$(stat -f -c %T "$DATA")" = ext2/ext3 ] || skip "$DATA is not on ext4"
	check_mapped "$DATA"
}

@test "idmap: tmpfs bind source shows mapped ownership" {
	mount -t tmpfs tmpfs "$DATA"
	check_mapped "$DATA"
	umount "$DATA"
}

# overlayfs supports idmapped layers, not an idmapped overlay mount: the
# kernel (6.18 here) refuses MOUNT_ATTR_IDMAP on it with EINVAL, and the
# error must name the mount.
@test "idmap: an overlay source is refused by the kernel, the error names the mount" {
	mkdir "$TESTDIR/lower" "$TESTDIR/upper" "$TESTDIR/work"
	mount -t overlay overlay -o "lowerdir=$TESTDIR/lower,upperdir=$TESTDIR/upper,workdir=$TESTDIR/work" "$DATA"
	set_args true
	idmap_mount "$DATA"
	run hutch run --bundle "$BUNDLE" ct
	umount "$DATA"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"(idmapped bind $DATA on /d)"*"refused the idmap"*"invalid argument"* ]]
	assert_no_leftovers ct
}

@test "idmap: writes through the mount are stored unmapped; ro is honoured" {
	chown 5:5 "$DATA"
	set_args sh -c 'touch /d/new-by-1005 && stat -c "%u" /d/new-by-1005'
	update_config '.process.user = {"uid":1005,"gid":2005}'
	idmap_mount "$DATA"
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = 1005 ]
	# On disk: 1005 -> 5.
	[ "$(stat -c '%u %g' "$DATA/new-by-1005")" = "5 5" ]
	setup_bundle "$TESTDIR/bundle2"
	set_args sh -c 'touch /d/x'
	update_config '.process.user = {"uid":1005,"gid":2005}'
	idmap_mount "$DATA" ro
	run hutch run --bundle "$BUNDLE" ct2
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
}

@test "idmap: the option idmap uses the container's user namespace maps" {
	echo hi >"$DATA/f"
	set_args sh -c 'stat -c "%u %g" /d/f'
	mkdir "$ROOTFS/d"
	update_config '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .mounts += [{"destination":"/d","type":"bind","source":$src,"options":["bind","idmap"]}]' --arg src "$DATA"
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ "$status" -eq 0 ]
	# On-disk root is container root through the idmap (nobody without it).
	[ "$output" = "0 0" ]
	assert_no_leftovers ct
}

@test "idmap: a filesystem that refuses idmapping is named in the error" {
	set_args true
	idmap_mount /sys/kernel
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"(idmapped bind /sys/kernel on /d)"*"refused the idmap"* ]]
	assert_no_leftovers ct
}
