#!/usr/bin/env bats
# Hostile and careless input: container ids, state directories and their
# files, exec users, namespaces joined by path, cgroups hutch did not make,
# the notify socket, a create killed half-way. Each case is one that hutch
# once got wrong; nothing outside the container may be touched.

load helpers

setup() {
	hutch_setup
	set_args /bin/sleep 1000
}

teardown() {
	touch "$TESTDIR/hook.go" # releases a waiting hook, whatever the test's outcome
	[ -n "${NOTIFY_LISTENER:-}" ] && kill "$NOTIFY_LISTENER" 2>/dev/null # left waiting
	[ -n "${VICTIM_PID:-}" ] && kill -9 "$VICTIM_PID" 2>/dev/null
	[ -n "${HOOK_PIDS:-}" ] && kill -9 $HOOK_PIDS 2>/dev/null
	if [ -n "${VICTIM_CG:-}" ]; then
		sleep 0.1
		rmdir "$VICTIM_CG" 2>/dev/null || true
	fi
	hutch_teardown
}

# create_in_hook: `create ct` in the background (CREATE_PID), held in a
# createRuntime hook until $TESTDIR/hook.go exists; returns once the hook
# runs (its pid in $TESTDIR/hook.pids).
create_in_hook() {
	cat >"$TESTDIR/hook.sh" <<-EOF
		#!/bin/sh
		echo \$\$ >>"$TESTDIR/hook.pids"
		touch "$TESTDIR/hook.ran"
		while [ ! -e "$TESTDIR/hook.go" ]; do sleep 0.05; done
	EOF
	chmod +x "$TESTDIR/hook.sh"
	update_config '.hooks = {"createRuntime": [{"path": $h}]}' --arg h "$TESTDIR/hook.sh"
	"$HUTCH" --root "$ROOT" create --bundle "$BUNDLE" ct </dev/null >/dev/null 2>&1 &
	CREATE_PID=$!
	echo ct >>"$TESTDIR/.ids"
	for _ in $(seq 100); do [ -e "$TESTDIR/hook.ran" ] && break; sleep 0.05; done
}

# A memory bound for the commands that once read without one: a regression
# fails the test instead of exhausting the machine.
bounded() { prlimit --as=$((2 << 30)) timeout -k 2 20 "$HUTCH" --root "$ROOT" "$@"; }

@test "every command refuses an id that create refuses, before touching anything" {
	mkdir "$TESTDIR/v"
	touch "$TESTDIR/v/precious"
	local cmd
	for cmd in "delete" "delete --force" "state" "kill" "kill --all" "pause" "resume" "ps" \
		"events --stats" "update --pids-limit 10" "start"; do
		# shellcheck disable=SC2086
		run hutch $cmd ../v
		echo "$cmd: $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *'invalid container ID format: \"../v\"'* ]]
	done
	run hutch exec ../v /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *'invalid container ID format: \"../v\"'* ]]
	[ -f "$TESTDIR/v/precious" ]
	assert_root_empty
}

@test "a state entry that is a symlink is refused, and what it points to is left alone" {
	mkdir -p "$TESTDIR/elsewhere"
	echo '{"id":"x","pid":1}' >"$TESTDIR/elsewhere/state.json"
	echo '{}' >"$TESTDIR/elsewhere/config.json"
	ln -s "$TESTDIR/elsewhere" "$ROOT/x"
	for cmd in "delete --force" "delete" "state" "kill" "exec"; do
		# shellcheck disable=SC2086
		run hutch $cmd x $([ "$cmd" = exec ] && echo /bin/true)
		echo "$cmd: $status: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"not a directory (a symlink or a file); refusing it"* ]]
	done
	[ -f "$TESTDIR/elsewhere/state.json" ]
	[ -f "$TESTDIR/elsewhere/config.json" ]
	[ -L "$ROOT/x" ]
	# list skips it.
	run hutch list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "a state directory of another user is refused" {
	mkdir -m 0700 "$ROOT/theirs"
	echo '{"id":"theirs","pid":1}' >"$ROOT/theirs/state.json"
	chown -R 65534:65534 "$ROOT/theirs"
	run hutch delete --force theirs
	[ "$status" -ne 0 ]
	[[ "$output" == *"belongs to uid 65534"* ]]
	[ -f "$ROOT/theirs/state.json" ]
}

@test "state.json as a symlink to /dev/zero, a fifo or a huge file: a clear error, no endless read" {
	hutch_create ct
	local sj=$ROOT/ct/state.json
	mv "$sj" "$TESTDIR/state.json.saved"
	ln -s /dev/zero "$sj"
	run bounded state ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"$sj: is a symlink; refusing to follow it"* ]]
	run bounded list
	[ "$status" -eq 0 ]
	[[ "$output" == *"$sj: is a symlink"* ]]
	rm "$sj"
	mkfifo "$sj"
	run bounded state ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"$sj: not a regular file (a fifo)"* ]]
	rm "$sj"
	truncate -s 17M "$sj"
	run bounded state ct
	[ "$status" -eq 1 ]
	[[ "$output" == *"$sj: larger than 16 MiB"* ]]
	# The saved config is read the same way (exec takes the process from it).
	mv "$TESTDIR/state.json.saved" "$sj"
	ln -sf /dev/zero "$ROOT/ct/config.json.new"
	mv "$ROOT/ct/config.json.new" "$ROOT/ct/config.json"
	run bounded exec ct /bin/true
	[ "$status" -ne 0 ]
	[[ "$output" == *"config.json: is a symlink"* ]]
	# With --process the config is still read, for the container's seccomp
	# filter: an exec without it fails instead of running unfiltered.
	echo '{"args": ["/bin/true"], "cwd": "/", "user": {"uid": 0, "gid": 0}}' >"$TESTDIR/p.json"
	run bounded exec --process "$TESTDIR/p.json" ct
	[ "$status" -eq 255 ]
	[[ "$output" == *"saved config.json"*"config.json: is a symlink"* ]]
	pid=$(ct_pid ct)
	hutch delete --force ct
	assert_no_leftovers ct "$pid"
}

@test "exec with uid or gid 4294967295 ((uid_t)-1) is refused, not run as root" {
	hutch_start_bg ct
	run hutch exec --user 4294967295 ct id -u
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.uid: 4294967295 is not a valid id"* ]]
	run hutch exec --user 1000:4294967295 ct id -g
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.gid: 4294967295 is not a valid id"* ]]
	run hutch exec --user 1000:1000 --additional-gids 4294967295 ct id -G
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.additionalGids[0]: 4294967295 is not a valid id"* ]]
	# A negative or too large gid does not wrap into another (0 is root's).
	run hutch exec --user 1000:1000 --additional-gids 4294967296 ct id -G
	[ "$status" -ne 0 ]
	[[ "$output" == *"--additional-gids: 4294967296 is not a group id"* ]]
	echo '{"args":["id","-u"],"cwd":"/","user":{"uid":4294967295,"gid":0}}' >"$TESTDIR/p.json"
	run hutch exec --process "$TESTDIR/p.json" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.uid: 4294967295 is not a valid id"* ]]
	# No process was started by any of them: only the init is left.
	run hutch ps --format json ct
	[ "$(echo "$output" | jq length)" -eq 1 ]
}

@test "exec --process: a /dev/zero process file is bounded" {
	hutch_start_bg ct
	run bounded exec --process /dev/zero ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"--process: /dev/zero: larger than 16 MiB"* ]]
}

@test "a net.* sysctl in a network namespace joined by path that is the runtime's own is refused" {
	local before
	before=$(cat /proc/sys/net/core/somaxconn)
	for path in "/proc/$$/ns/net" "/proc/self/ns/net"; do
		update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)
			| .linux.sysctl = {"net.core.somaxconn": "1234"}' --arg p "$path"
		try_create ct
		[ "$status" -ne 0 ]
		[[ "$output" == *'net.core.somaxconn\"]: belongs to the network namespace but the container does not have its own'* ]]
		[ "$(cat /proc/sys/net/core/somaxconn)" = "$before" ]
		assert_no_leftovers ct
		assert_root_empty
	done
}

@test "a namespace joined by path that is the runtime's own is shared, not the container's" {
	# Joining this shell's uts namespace is sharing it: the hostname is
	# refused as for a config without a uts namespace, not set on the host.
	update_config '.linux.namespaces |= map(if .type == "uts" then .path = $p else . end)
		| .hostname = "not-the-host"' --arg p "/proc/$$/ns/uts"
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"hostname: requires a uts namespace"* ]]
	[ "$(hostname)" != not-the-host ]
	assert_root_empty
	# Without the hostname it runs, in this shell's uts namespace.
	update_config 'del(.hostname)'
	hutch_start_bg ct
	[ "$(ns_inode "$(ct_pid ct)" uts)" = "$(ns_inode $$ uts)" ]
}

@test "a create that fails in an existing cgroup kills nothing in it" {
	VICTIM_CG=/sys/fs/cgroup/pids/hutch-victim-$MARK
	mkdir "$VICTIM_CG"
	sleep 1000 &
	VICTIM_PID=$!
	echo "$VICTIM_PID" >"$VICTIM_CG/cgroup.procs"
	# The existing cgroup is joined (as runc joins it); the create then
	# fails after its init is in it, and its clean-up must end only that.
	update_config '.linux.cgroupsPath = $p | .hooks = {createRuntime: [{path: "/bin/false"}]}' --arg p "/hutch-victim-$MARK"
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *createRuntime* ]]
	sleep 0.2
	pid_alive "$VICTIM_PID" || fail "the process in the existing cgroup was killed"
	[ -d "$VICTIM_CG" ]
	grep -qx "$VICTIM_PID" "$VICTIM_CG/cgroup.procs"
	assert_only_cgroup "hutch-victim-$MARK" "$VICTIM_CG"
	assert_root_empty
}

@test "kill --all reaches every process of a pid namespace of its own without a cgroup of its own" {
	# A rootless container without a delegated cgroup: no cgroup to list.
	# Its pid namespace is its own, so every process in it is its.
	id -u nobody >/dev/null || skip "no user nobody"
	HUTCH_GLOBAL="--rootless true"
	set_args /bin/sh -c 'sleep 1000 & exec sleep 1001'
	hutch_start_bg ct
	local init child
	init=$(ct_pid ct)
	for _ in $(seq 50); do
		child=$(pgrep -P "$init" sleep) && break
		sleep 0.1
	done
	[ -n "$child" ]
	# TERM: the pid namespace's init (no handler) ignores it, so only a
	# kill --all that signals every process reaches the child.
	run hutch kill --all ct TERM
	[ "$status" -eq 0 ]
	wait_pid_gone "$child" || fail "kill --all missed $child, a process of the container"
	pid_alive "$init"
}

@test "NOTIFY_SOCKET: the notify directory is read-only in the container, the socket 0777" {
	notify_listener
	set_args /bin/sh -c 'ls -ld /run/notify /run/notify/notify.sock >/tmp/modes
		touch /run/notify/x 2>/tmp/touch; echo $? >>/tmp/touch
		ln -s / /run/notify/evil 2>>/tmp/touch; echo $? >>/tmp/touch
		sdnotify send READY=1 && exec sleep 1000'
	NOTIFY_SOCKET=$TESTDIR/host.sock hutch create --bundle "$BUNDLE" ct </dev/null >/dev/null 2>&1
	NOTIFY_SOCKET=$TESTDIR/host.sock hutch start ct
	wait "$NOTIFY_LISTENER"
	cat "$ROOTFS/tmp/modes" "$ROOTFS/tmp/touch"
	grep -q '^drwxr-xr-x .* /run/notify$' "$ROOTFS/tmp/modes"
	grep -q '^srwxrwxrwx .* /run/notify/notify.sock$' "$ROOTFS/tmp/modes"
	grep -q 'Read-only file system' "$ROOTFS/tmp/touch"
	[ "$(grep -cx 1 "$ROOTFS/tmp/touch")" -eq 2 ]
	[ "$(ls -A "$ROOT/ct/notify")" = notify.sock ]
	[ "$(head -1 "$TESTDIR/notified")" = READY=1 ]
}

@test "a create killed while a createRuntime hook runs: delete --force removes every cgroup" {
	create_in_hook
	[ -e "$TESTDIR/hook.ran" ]
	[ -n "$(cgroup_dirs ct)" ]
	kill -9 "$CREATE_PID"
	wait "$CREATE_PID" || true
	HOOK_PIDS=$(cat "$TESTDIR/hook.pids")
	# What the killed create left is a stopped container, not a running one.
	[ "$(ct_status ct)" = stopped ]
	run hutch delete --force ct
	[ "$status" -eq 0 ]
	left=$(cgroup_dirs ct)
	[ -z "$left" ] || fail "cgroups left: $left"
	assert_no_leftovers ct
}

# delete --force kills the container's processes, never the command that
# holds the lock: a create waiting for a hook it runs on the host is named.
@test "delete --force while create waits for a host hook: names the create, kills only the container's init" {
	create_in_hook
	[ -e "$TESTDIR/hook.ran" ]
	pid=$(ct_pid ct)
	[ "$pid" -gt 1 ]
	run hutch delete --force ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"killed its init $pid, but after "*"s the container's lock is still held by pid $CREATE_PID ("*"create --bundle"*"), running for "* ]]
	wait_pid_gone "$pid"
	# The create and its hook are the caller's, left running.
	pid_alive "$CREATE_PID"
	pid_alive "$(head -1 "$TESTDIR/hook.pids")"
	# Once the hook returns, the create finds its init gone and undoes
	# everything.
	touch "$TESTDIR/hook.go"
	local rc=0
	wait "$CREATE_PID" || rc=$?
	[ "$rc" -ne 0 ]
	run hutch delete --force ct
	[ "$status" -eq 0 ]
	assert_no_leftovers ct
}

@test "a create in progress is listed as creating" {
	create_in_hook
	[ "$(ct_status ct)" = creating ]
	run hutch list
	[[ "${lines[1]}" =~ ^ct\ +[0-9]+\ +creating\  ]]
	touch "$TESTDIR/hook.go"
	wait "$CREATE_PID"
	[ "$(ct_status ct)" = created ]
}

@test "a bundle's config.json or update's --resources that never ends is bounded" {
	rm "$BUNDLE/config.json"
	ln -s /dev/zero "$BUNDLE/config.json"
	run bounded create --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"$BUNDLE/config.json: not a regular file (a character device)"* ]]
	assert_root_empty
	rm "$BUNDLE/config.json"
	truncate -s 17M "$BUNDLE/config.json"
	run bounded create --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"$BUNDLE/config.json: larger than 16 MiB"* ]]
	assert_root_empty
	rm "$BUNDLE/config.json"
	setup_bundle
	set_args /bin/sleep 1000
	hutch_start_bg ct
	run bounded update --resources /dev/zero ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"--resources: /dev/zero: larger than 16 MiB"* ]]
}

@test "a namespace path is opened once, by the parent, and must be a namespace file of its type" {
	mkfifo "$TESTDIR/fifo"
	local p
	for p in "$TESTDIR/fifo" "$BUNDLE/config.json" "/proc/$$/ns/uts" "/proc/$$/ns/net
join net /proc/1/ns/net"; do
		update_config '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' --arg p "$p"
		status=0
		output=$(bounded create --bundle "$BUNDLE" ct </dev/null 2>&1) || status=$?
		echo "$p: $status: $output"
		[ "$status" -eq 1 ]
		[[ "$output" == *"linux.namespaces["*"].path: "* ]]
		assert_no_leftovers ct
		assert_root_empty
	done
	[[ "$output" == *"contains a control character"* ]]
}

@test "--preserve-fds hands on only fds the caller passed" {
	run hutch run -d --preserve-fds 2 --bundle "$BUNDLE" ct 3</dev/null 4>&-
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds 2: fd 4 is not open in hutch's caller"* ]]
	run hutch run -d --preserve-fds -1 --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds: -1 is negative"* ]]
	assert_no_leftovers ct
	assert_root_empty
	hutch_start_bg ct
	run hutch exec --preserve-fds 1 ct /bin/true 3>&-
	[ "$status" -ne 0 ]
	[[ "$output" == *"--preserve-fds 1: fd 3 is not open in hutch's caller"* ]]
}

# The spec places the container in the namespace and mounts its root and
# mounts there (runtime-tools linux_ns_path); pivot_root would move the
# root of every process of that namespace, so the init chroots instead.
@test "a mount namespace joined by path gets the container's mounts, never a new root for the others in it" {
	unshare --mount --propagation private sleep 1000 &
	upid=$!
	VICTIM_PID=$upid
	for _ in $(seq 50); do
		[ "$(ns_inode "$upid" mnt)" != "$(ns_inode $$ mnt)" ] && break
		sleep 0.1
	done
	update_config '.linux.namespaces |= map(select(.type != "mount"))
		| .linux.namespaces += [{type: "mount", path: ("/proc/" + $p + "/ns/mnt")}]' --arg p "$upid"
	set_args /bin/sleep 1000
	hutch_start_bg j
	jpid=$(ct_pid j)
	[ "$(ns_inode "$jpid" mnt)" = "$(ns_inode "$upid" mnt)" ]
	run hutch exec j /bin/sh -c 'ls /bin/busybox; grep -c " /proc .* - proc " /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /bin/busybox ]
	[ "${lines[1]}" -ge 1 ]
	# The other process of that namespace keeps the host's root.
	[ "$(readlink "/proc/$upid/root")" = / ]
	[ -e "/proc/$upid/root/etc/debian_version" ]
	# Nothing reached the caller's namespace.
	[ -z "$(mounts_under "$BUNDLE")" ]
	hutch delete --force j
	kill "$upid"

	# A root.path that is not there in the joined namespace (another
	# container's) cannot hold mounts: refused, naming the field.
	setup_bundle "$TESTDIR/bundle-a"
	set_args /bin/sleep 1000
	hutch_start_bg a
	apid=$(ct_pid a)
	setup_bundle "$TESTDIR/bundle-j"
	update_config '.linux.namespaces = [
			{type: "mount", path: ("/proc/" + $p + "/ns/mnt")},
			{type: "pid", path: ("/proc/" + $p + "/ns/pid")}]
		| del(.hostname)' --arg p "$apid"
	try_create j2
	[ "$status" -ne 0 ]
	[[ "$output" == *"root.path: $ROOTFS is not a directory in the mount namespace joined by path"* ]]
	[ ! -e "$ROOT/j2" ]
	[ -z "$(cgroup_dirs j2)" ]
	[ "$(readlink "/proc/$apid/root")" = / ]
	pid_alive "$apid"
}

@test "a cgroupsPath under a running container's cgroup is refused" {
	update_config '.linux.cgroupsPath = $p' --arg p "/hutch-nest-$MARK"
	hutch_start_bg a
	update_config '.linux.cgroupsPath = $p' --arg p "/hutch-nest-$MARK/b"
	try_create b
	[ "$status" -ne 0 ]
	[[ "$output" == *"hutch-nest-$MARK holds processes"* ]]
	[ ! -e "/sys/fs/cgroup/pids/hutch-nest-$MARK/b" ]
	[ "$(ct_status a)" = running ]
	hutch delete --force a
	[ ! -e "/sys/fs/cgroup/pids/hutch-nest-$MARK" ]
}

@test "the exec fifo is out of other users' reach: start cannot be held up" {
	hutch_create ct
	run setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "exec 3>'$ROOT/ct/exec.fifo'"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	timeout 10 "$HUTCH" --root "$ROOT" start ct
	[ "$(ct_status ct)" = running ]
}

@test "NOTIFY_SOCKET with a user namespace: the directory reaches the container by its handle" {
	notify_listener
	chown -R 100000:100000 "$ROOTFS"
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_args /bin/sh -c 'sdnotify send READY=1 && exec sleep 1000'
	NOTIFY_SOCKET=$TESTDIR/host.sock hutch create --bundle "$BUNDLE" ct </dev/null >/dev/null 2>"$TESTDIR/err" || { cat "$TESTDIR/err"; false; }
	[ "$(stat -c %a "$ROOT/ct")" = 700 ]
	NOTIFY_SOCKET=$TESTDIR/host.sock timeout 20 "$HUTCH" --root "$ROOT" start ct
	wait "$NOTIFY_LISTENER"
	[ "$(head -1 "$TESTDIR/notified")" = READY=1 ]
}

@test "linux.devices uid or gid 4294967295 is refused" {
	update_config '.linux.devices = [{path: "/dev/hx", type: "c", major: 1, minor: 3, uid: 4294967295}]'
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.devices[0].uid: 4294967295 is not a valid id"* ]]
	assert_root_empty
}
