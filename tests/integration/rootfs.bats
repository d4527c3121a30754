#!/usr/bin/env bats
# Root filesystem: mounts, devices, masked and read-only paths, pivot.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

# mount_line PATH: the line of /proc/self/mountinfo (inside) for PATH, printed
# by the container.
mountinfo_of() {
	echo "awk '\$5 == \"$1\"' /proc/self/mountinfo | tail -n 1"
}

@test "bind mount rw: host file visible inside, container writes visible outside" {
	mkdir "$TESTDIR/vol"
	echo from-host >"$TESTDIR/vol/hostfile"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["bind"]}]' --arg s "$TESTDIR/vol"
	set_args /bin/sh -c 'cat /vol/hostfile && echo from-ct > /vol/ctfile'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
	[ "$(cat "$TESTDIR/vol/ctfile")" = from-ct ]
	assert_no_leftovers ct
}

@test "bind mount ro: readable, writes refused" {
	mkdir "$TESTDIR/vol"
	echo from-host >"$TESTDIR/vol/hostfile"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: $s, options: ["bind", "ro"]}]' --arg s "$TESTDIR/vol"
	set_args /bin/sh -c 'cat /vol/hostfile; touch /vol/new'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$TESTDIR/vol/new" ]
}

@test "bind mount of a single file, to a destination that does not exist yet" {
	echo single >"$TESTDIR/onefile"
	update_config '.mounts += [{destination: "/deep/er/file", type: "bind", source: $s, options: ["rbind", "ro"]}]' --arg s "$TESTDIR/onefile"
	set_args /bin/cat /deep/er/file
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = single ]
}

@test "tmpfs with size and mode; nosuid, nodev, noexec in mountinfo" {
	update_config '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m", "mode=750", "nosuid", "nodev", "noexec"]}]'
	set_args /bin/sh -c "stat -c %a /scratch; $(mountinfo_of /scratch)"
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 750 ]
	local line=${lines[1]} opts super
	opts=$(echo "$line" | awk '{print $6}')
	super=$(echo "$line" | awk '{for (i = 7; i <= NF; i++) if ($i == "-") {print $(i + 1), $(i + 3)}}')
	[[ ",$opts," == *,nosuid,* ]]
	[[ ",$opts," == *,nodev,* ]]
	[[ ",$opts," == *,noexec,* ]]
	[[ "$super" == "tmpfs "* ]]
	[[ "$super" == *size=1024k* ]]
	[[ "$super" == *mode=750* ]]
}

@test "noexec mount: executing from it fails" {
	update_config '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["noexec"]}]'
	set_args /bin/sh -c 'cp /bin/busybox /scratch/bb && /scratch/bb true'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"ermission denied"* ]]
}

@test "tmpfs tmpcopyup: the covered content is copied in, with the directory's mode" {
	mkdir -p "$ROOTFS/data/sub"
	echo kept >"$ROOTFS/data/sub/file"
	ln -s sub/file "$ROOTFS/data/link"
	chown -R 1000:1000 "$ROOTFS/data/sub"
	chmod 0750 "$ROOTFS/data"
	update_config '.mounts += [{destination: "/data", type: "tmpfs", source: "tmpfs", options: ["tmpcopyup", "nosuid"]}]'
	set_args /bin/sh -c 'awk "\$2 == \"/data\" {print \$3}" /proc/mounts; cat /data/link; stat -c "%a %u:%g" /data /data/sub/file; echo new >/data/new && echo writable'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = tmpfs ]
	[ "${lines[1]}" = kept ]
	[ "${lines[2]}" = "750 0:0" ]
	[ "${lines[3]}" = "644 1000:1000" ]
	[ "${lines[4]}" = writable ]
	# Only the tmpfs was written to.
	[ ! -e "$ROOTFS/data/new" ]
}

@test "tmpfs without mode= keeps the mode of the directory it covers; mode= wins" {
	mkdir -p "$ROOTFS/keep" "$ROOTFS/given"
	chmod 0710 "$ROOTFS/keep" "$ROOTFS/given"
	update_config '.mounts += [
		{destination: "/keep", type: "tmpfs", source: "tmpfs", options: ["ro"]},
		{destination: "/given", type: "tmpfs", source: "tmpfs", options: ["mode=1777"]},
		{destination: "/fresh", type: "tmpfs", source: "tmpfs"}]'
	set_args /bin/sh -c 'stat -c %a /keep /given /fresh; touch /keep/x'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = 710 ]
	[ "${lines[1]}" = 1777 ]
	[ "${lines[2]}" = 1777 ] # a directory made for the mount: tmpfs's default
	[[ "$output" == *"Read-only file system"* ]]
	# The kept mode is a mount option, as runc gives it; none on /fresh.
	set_args /bin/cat /proc/self/mounts
	rmdir "$ROOTFS/fresh" # made by the first run
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	grep -Eq '^tmpfs /keep tmpfs ro,.*\bmode=710\b' <<<"$output"
	! grep -Eq '^tmpfs /fresh tmpfs .*\bmode=' <<<"$output"
}

@test "default devices: char devices with the right numbers" {
	set_args /bin/sh -c 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "null character special file 1:3" ]
	[ "${lines[1]}" = "zero character special file 1:5" ]
	[ "${lines[2]}" = "full character special file 1:7" ]
	[ "${lines[3]}" = "random character special file 1:8" ]
	[ "${lines[4]}" = "urandom character special file 1:9" ]
	[ "${lines[5]}" = "tty character special file 5:0" ]
}

@test "default devices work (read zero, write null, full is full)" {
	set_args /bin/sh -c 'head -c 4 /dev/zero | od -An -tx1 | tr -d " "; echo x > /dev/null && echo null-ok; echo x > /dev/full'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = 00000000 ]
	[ "${lines[1]}" = null-ok ]
	[[ "$output" == *"No space left"* ]]
}

@test "linux.devices: an extra device node with mode and owner" {
	# Owned by 1000 with mode 0660: writable by that user only (root has no
	# CAP_DAC_OVERRIDE in the default capability set).
	update_config '.process.user = {uid: 1000, gid: 1000}
		| .linux.devices = [{path: "/dev/hutchnull", type: "c", major: 1, minor: 3, fileMode: 432, uid: 1000, gid: 1000}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
	set_args /bin/sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/hutchnull; echo x > /dev/hutchnull && echo write-ok'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 660 1000:1000" ]
	[ "${lines[1]}" = write-ok ]
}

@test "linux.devices: a fileMode with the file type bits (a host st_mode, as podman sends)" {
	# 8630 = 020666: S_IFCHR | 0666.
	update_config '.linux.devices = [{path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 8630}]
		| .linux.resources.devices += [{allow: true, type: "c", major: 1, minor: 3, access: "rwm"}]'
	set_args /bin/sh -c 'stat -c "%F %t:%T %a" /dev/mynull; echo x > /dev/mynull && echo write-ok'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:3 666" ]
	[ "${lines[1]}" = write-ok ]
}

@test "linux.devices: a listed node grants no access the device rules deny" {
	# /dev/kmsg listed with no rule for it: the node is made, the deny-all
	# of linux.resources.devices still refuses opening it (as runc).
	update_config '.linux.devices = [{path: "/dev/kmsg", type: "c", major: 1, minor: 11, fileMode: 438}]
		| .linux.resources.devices = [{allow: false, access: "rwm"}]'
	set_args /bin/sh -c 'stat -c "%F %t:%T" /dev/kmsg; (exec 3>/dev/kmsg) && echo open-ok || echo open-refused'
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "character special file 1:b" ]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *open-refused* ]]
}

@test "/dev/pts, /dev/ptmx, /dev/shm and the /dev/fd links" {
	set_args /bin/sh -c 'awk '"'"'$5 == "/dev/pts" {for (i = 7; i <= NF; i++) if ($i == "-") print $(i + 1)}'"'"' /proc/self/mountinfo
		readlink /dev/ptmx
		awk '"'"'$5 == "/dev/shm" {for (i = 7; i <= NF; i++) if ($i == "-") print $(i + 1)}'"'"' /proc/self/mountinfo
		readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = devpts ]
	[ "${lines[1]}" = pts/ptmx ] || [ "${lines[1]}" = /dev/pts/ptmx ]
	[ "${lines[2]}" = tmpfs ]
	[ "${lines[3]}" = /proc/self/fd ]
	[ "${lines[4]}" = /proc/self/fd/0 ]
	[ "${lines[5]}" = /proc/self/fd/1 ]
	[ "${lines[6]}" = /proc/self/fd/2 ]
}

@test "maskedPaths: directories share one read-only tmpfs, a path given twice is masked once, as runc" {
	mkdir -p "$ROOTFS/m1" "$ROOTFS/m2"
	update_config '.linux.maskedPaths = ["/m1", "/m2", "/m1/", "/proc/cpuinfo", "/proc/cpuinfo"]'
	set_args /bin/sh -c 'stat -c %d /m1 /m2
		grep -c " /m1 " /proc/self/mountinfo; grep -c " /proc/cpuinfo " /proc/self/mountinfo
		touch /m2/x'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "${lines[2]}" = 1 ]
	[ "${lines[3]}" = 1 ]
	[[ "${lines[4]}" == *"Read-only file system"* ]]
}

@test "maskedPaths: a masked file reads empty, a masked dir is empty" {
	mkdir -p "$ROOTFS/masked-dir"
	echo secret >"$ROOTFS/masked-dir/secret"
	# /proc/cpuinfo: present on every kernel, and not empty unless masked.
	update_config '.linux.maskedPaths = ["/proc/cpuinfo", "/masked-dir", "/does/not/exist"]'
	# A masked file is /dev/null bound over it (or any empty mount), a masked
	# dir an empty read-only mount: both are mount points inside.
	set_args /bin/sh -c 'echo "cpuinfo:$(wc -c </proc/cpuinfo)"; echo "dir:$(ls -A /masked-dir)"
		awk '"'"'$5 == "/proc/cpuinfo" || $5 == "/masked-dir" {print $5}'"'"' /proc/self/mountinfo | sort -u | tr "\n" " "; echo
		cat /masked-dir/secret; echo x > /masked-dir/new'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = cpuinfo:0 ]
	[ "${lines[1]}" = dir: ]
	[ "${lines[2]}" = "/masked-dir /proc/cpuinfo " ]
	[[ "$output" != *"secret"$'\n'* ]]
	[ ! -e "$ROOTFS/masked-dir/new" ]
	# The rootfs itself is not modified.
	[ "$(cat "$ROOTFS/masked-dir/secret")" = secret ]
}

@test "readonlyPaths: writes give EROFS" {
	mkdir -p "$ROOTFS/rodir"
	update_config '.linux.readonlyPaths = ["/rodir", "/proc/sys"]'
	set_args /bin/sh -c "touch /rodir/x; $(mountinfo_of /proc/sys); touch /tmp/ok && echo tmp-ok"
	run hutch run --bundle "$BUNDLE" ct
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	[[ ",$(echo "${lines[1]}" | awk '{print $6}')," == *,ro,* ]]
	[ "${lines[2]}" = tmp-ok ]
	[ ! -e "$ROOTFS/rodir/x" ]
}

@test "root.readonly: writing / fails, mounts on top stay writable" {
	update_config '.root.readonly = true
		| .mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_args /bin/sh -c 'touch /newfile; touch /scratch/f && echo scratch-ok'
	run hutch run --bundle "$BUNDLE" ct
	[[ "${lines[0]}" == *"Read-only file system"* ]]
	[ "${lines[1]}" = scratch-ok ]
	[ ! -e "$ROOTFS/newfile" ]
}

@test "rootfs is writable by default and writes land in the bundle" {
	set_args /bin/sh -c 'echo hi > /newfile'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$(cat "$ROOTFS/newfile")" = hi ]
}

@test "the old root is gone: no host paths inside" {
	echo HOSTSECRET42 >"$TESTDIR/host-marker"
	set_args /bin/sh -c "cat $TESTDIR/host-marker; ls -d /work /usr/local/go /.oldroot /oldroot 2>/dev/null; echo end"
	run hutch run --bundle "$BUNDLE" ct
	[[ "$output" != *HOSTSECRET42* ]]
	[ "${lines[-1]}" = end ]
	[ "${#lines[@]}" -le 2 ]
}

@test "--no-pivot works" {
	set_args /bin/sh -c 'echo no-pivot-ok; ls /bin/busybox'
	run hutch run --no-pivot --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = no-pivot-ok ]
	[ "${lines[1]}" = /bin/busybox ]
	assert_no_leftovers ct
}

# With --no-pivot the host's mounts stayed in the container's mount
# namespace under the moved root: a fully visible proc (or sysfs) there
# lets a user namespace mount a fresh one, with none of the masked and
# read-only paths (runc 1.5's no_pivot.bats). CAP_SETFCAP: to map uid 0.
@test "--no-pivot: no bare proc or sysfs can be mounted from a user namespace" {
	update_config '.process.capabilities.bounding += ["CAP_SETFCAP"]
		| .process.capabilities.permitted += ["CAP_SETFCAP"]'
	set_args unshare -mrpf sh -euxc 'mount -t proc none /proc && echo h > /proc/sysrq-trigger'
	run hutch run --no-pivot --bundle "$BUNDLE" nopivot
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mount: permission denied"* ]]
	[[ "$output" != *"+ echo h"* ]]
	assert_no_leftovers nopivot
	# sysfs needs a network namespace of the user namespace's own.
	set_args unshare -mrpfn sh -euxc 'mount -t sysfs none /sys && ls /sys/firmware'
	run hutch run --no-pivot --bundle "$BUNDLE" nopivot
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mount: permission denied"* ]]
	[[ "$output" != *"+ ls"* ]]
	assert_no_leftovers nopivot
	# The same unshare can still mount what it may: a tmpfs.
	set_args unshare -mrpf sh -euxc 'mount -t tmpfs none /tmp && echo tmpfs-ok'
	run hutch run --no-pivot --bundle "$BUNDLE" nopivot
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *tmpfs-ok* ]]
}

# In a user namespace the old root's mounts are locked, so they cannot be
# detached: the full proc and sysfs among them are covered instead.
@test "--no-pivot in a user namespace: no bare proc or sysfs either" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .process.capabilities.bounding += ["CAP_SETFCAP"]
		| .process.capabilities.permitted += ["CAP_SETFCAP"]'
	set_args unshare -mrpf sh -euxc 'mount -t proc none /proc && echo proc-mounted'
	run hutch run --no-pivot --bundle "$BUNDLE" nopivot
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mount: permission denied"* ]]
	[[ "$output" != *proc-mounted* ]]
	set_args unshare -mrpfn sh -euxc 'mount -t sysfs none /sys && echo sysfs-mounted'
	run hutch run --no-pivot --bundle "$BUNDLE" nopivot
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"mount: permission denied"* ]]
	[[ "$output" != *sysfs-mounted* ]]
	assert_no_leftovers nopivot
}

@test "rootfsPropagation shared: / inside is a shared mount" {
	update_config '.linux.rootfsPropagation = "shared"'
	set_args /bin/sh -c "$(mountinfo_of /)"
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[[ "$output" == *" shared:"* ]]
}

@test "rootfsPropagation private: / inside has no propagation" {
	update_config '.linux.rootfsPropagation = "private"'
	set_args /bin/sh -c "$(mountinfo_of /)"
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ -n "$output" ]
	[[ "$output" != *" shared:"* ]]
	[[ "$output" != *" master:"* ]]
}

@test "mount propagation: a host mount appears in a slave bind, not in a private one" {
	mkdir -p "$TESTDIR/src" "$TESTDIR/src/sub"
	mount --bind "$TESTDIR/src" "$TESTDIR/src"
	mount --make-shared "$TESTDIR/src"
	update_config '.mounts += [
		{destination: "/slave", type: "bind", source: $s, options: ["rbind", "rslave"]},
		{destination: "/private", type: "bind", source: $s, options: ["rbind", "rprivate"]}]' --arg s "$TESTDIR/src"
	set_args /bin/sh -c 'echo ready; while [ ! -e /slave/sub/flag ]; do sleep 0.1; done; echo seen; ls /private/sub; echo done'
	hutch_start_bg ct
	wait_file_contains "$TESTDIR/ct.out" ready
	mount -t tmpfs tmpfs "$TESTDIR/src/sub"
	touch "$TESTDIR/src/sub/flag"
	wait_file_contains "$TESTDIR/ct.out" done
	run cat "$TESTDIR/ct.out"
	[ "${lines[1]}" = seen ]
	[ "${lines[2]}" = done ]
}
