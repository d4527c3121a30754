#!/usr/bin/env bats
# checkpoint and restore through CRIU. The tests that dump need a CRIU that
# works on this kernel (`criu check` passes): $CRIU, else criu from PATH;
# they skip saying why otherwise. Debian 12's criu 3.17.1 fails on kernels
# from 6.13 on ("Unexpected rt vDSO area bounds"); CRIU 4.1 and later work.

load helpers

RECVTTY=$REPO/tests/.cache/recvtty

setup() {
	hutch_setup
	CRIU_BIN=${CRIU:-$(command -v criu || true)}
	# A counter that says where it is: each restored copy must go on from
	# the number it had at the dump, not start again.
	set_args sh -c 'i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'
}

teardown() {
	[ -z "${OTHER_PID:-}" ] || kill -9 "$OTHER_PID" 2>/dev/null || true
	hutch_teardown
	[ -z "${JOIN_CG:-}" ] || { sleep 0.1; rmdir "$JOIN_CG" 2>/dev/null || true; }
	[ -z "${NETNS:-}" ] || ip netns del "$NETNS" 2>/dev/null || true
}

# requires_criu: skip, saying why, unless CRIU can dump on this machine.
requires_criu() {
	[ -n "$CRIU_BIN" ] || skip "no CRIU: neither \$CRIU nor criu on PATH (CRIU >= 4.1 needed on kernels from 6.13 on)"
	local out
	if ! out=$("$CRIU_BIN" check -v4 --log-file /dev/stderr 2>&1); then
		skip "'$CRIU_BIN check' fails ($("$CRIU_BIN" --version 2>&1 | head -1)): $(echo "$out" | grep -m1 Error | sed "s/^([0-9.]*) //") (CRIU >= 4.1 needed on kernels from 6.13 on)"
	fi
	HUTCH_GLOBAL="--criu $CRIU_BIN"
}

# start_counter ID [OUT]: run -d the counter, its output appended to OUT
# (default $TESTDIR/ID.out; O_APPEND, so CRIU does not check its size).
start_counter() {
	local id=$1 out=${2:-$TESTDIR/$1.out}
	hutch run -d --bundle "$BUNDLE" "$id" </dev/null >>"$out" 2>&1 3>&-
	wait_file_lines "$out" 3
}

# wait_file_lines FILE N: until FILE has at least N lines (5 s).
wait_file_lines() {
	for _ in $(seq 50); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 has fewer than $2 lines: $(tail -3 "$1" 2>/dev/null)"
}

# restore_counter ID IMAGES [flags]: restore -d with the output on
# $TESTDIR/ID.out.
restore_counter() {
	local id=$1 img=$2
	shift 2
	hutch restore -d --bundle "$BUNDLE" --image-path "$img" "$@" "$id" \
		</dev/null >>"$TESTDIR/$id.out" 2>>"$TESTDIR/$id.err" 3>&- || {
		local rc=$?
		cat "$TESTDIR/$id.err"
		return $rc
	}
	echo "$id" >>"$TESTDIR/.ids"
}

# assert_nothing_of ID: no state directory, cgroup or mount of ID (while
# another container of the test runs).
assert_nothing_of() {
	[ ! -e "$ROOT/$1" ] || fail "state dir $ROOT/$1 left behind"
	[ -z "$(cgroup_dirs "$1")" ] || fail "cgroups left: $(cgroup_dirs "$1")"
	[ -z "$(mounts_under "$ROOT")" ] || fail "mounts left: $(mounts_under "$ROOT")"
}

# assert_goes_on FILE N: FILE's first line is N and it keeps counting.
assert_goes_on() {
	wait_file_lines "$1" 5
	run head -5 "$1"
	echo "$output"
	[ "${lines[0]}" = "$2" ]
	[ "${lines[4]}" = "$(($2 + 4))" ]
}

@test "checkpoint: a counter is dumped, removed, and restored under a new id where it left off" {
	requires_criu
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	# Dumped without --leave-running: gone, as after delete.
	run hutch state cp1
	[ "$status" -ne 0 ]
	assert_no_leftovers cp1
	[ -s "$TESTDIR/img/descriptors.json" ]
	last=$(tail -1 "$TESTDIR/cp1.out")

	restore_counter cp2 "$TESTDIR/img"
	[ "$(ct_status cp2)" = running ]
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
	# In the new container's cgroup, and exec works in it.
	pid=$(ct_pid cp2)
	grep -q ":/hutch/cp2$" "/proc/$pid/cgroup"
	run hutch exec cp2 sh -c 'ps -o comm | grep -c "^sh"'
	[ "$status" -eq 0 ]
	hutch delete -f cp2
	assert_no_leftovers cp2 "$pid"
}

@test "checkpoint --leave-running: the container goes on, and a restored copy goes on from the dump" {
	requires_criu
	start_counter cp1
	hutch checkpoint --leave-running --image-path "$TESTDIR/img" cp1
	[ "$(ct_status cp1)" = running ]
	n=$(wc -l <"$TESTDIR/cp1.out")
	wait_file_lines "$TESTDIR/cp1.out" $((n + 3))
	restore_counter cp2 "$TESTDIR/img"
	wait_file_lines "$TESTDIR/cp2.out" 2
	first=$(head -1 "$TESTDIR/cp2.out")
	# The copy starts from where the dump caught the original.
	[ "$first" -ge 3 ]
	[ "$first" -le "$((n + 1))" ]
	assert_goes_on "$TESTDIR/cp2.out" "$first"
	[ "$(ct_status cp1)" = running ]
}

@test "checkpoint --tcp-established: an open connection inside the container survives" {
	requires_criu
	# A listener and a client on the container's loopback, the counter
	# coming through the connection.
	set_args sh -c 'nc -l -p 7777 -e sh -c "i=0; while :; do echo \$i; i=\$((i+1)); sleep 0.1; done" & sleep 0.3; sleep 100000 | nc 127.0.0.1 7777'
	start_counter cp1
	# Without the flag, CRIU refuses, and the container is left running.
	run hutch checkpoint --image-path "$TESTDIR/img0" cp1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu dump failed"* ]]
	[[ "$output" == *tcp-established* ]]
	[ "$(ct_status cp1)" = running ]
	n=$(wc -l <"$TESTDIR/cp1.out")
	wait_file_lines "$TESTDIR/cp1.out" $((n + 3))

	hutch checkpoint --tcp-established --image-path "$TESTDIR/img" cp1
	last=$(tail -1 "$TESTDIR/cp1.out")
	restore_counter cp2 "$TESTDIR/img" --tcp-established
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
}

@test "checkpoint --leave-running --tcp-established: both go on" {
	requires_criu
	set_args sh -c 'nc -l -p 7777 -e sh -c "i=0; while :; do echo \$i; i=\$((i+1)); sleep 0.1; done" & sleep 0.3; sleep 100000 | nc 127.0.0.1 7777'
	start_counter cp1
	hutch checkpoint --leave-running --tcp-established --image-path "$TESTDIR/img" cp1
	[ "$(ct_status cp1)" = running ]
	n=$(wc -l <"$TESTDIR/cp1.out")
	wait_file_lines "$TESTDIR/cp1.out" $((n + 3))
	restore_counter cp2 "$TESTDIR/img" --tcp-established
	wait_file_lines "$TESTDIR/cp2.out" 2
	assert_goes_on "$TESTDIR/cp2.out" "$(head -1 "$TESTDIR/cp2.out")"
	[ "$(ct_status cp1)" = running ]
}

@test "restore into another bundle, with its own bind mount source and no cgroup namespace" {
	requires_criu
	# v1 cgroups without a cgroup namespace are binds of the container's
	# cgroup directories (podman's layout): external to CRIU, mapped to the
	# new container's on restore. The bind mount's source is the bundle's.
	mkdir -p "$TESTDIR/data1" "$TESTDIR/data2"
	echo one >"$TESTDIR/data1/name"
	echo two >"$TESTDIR/data2/name"
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))
		| .mounts += [{destination: "/data", type: "bind", source: $src, options: ["rbind", "ro"]}]' \
		--arg src "$TESTDIR/data1"
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	last=$(tail -1 "$TESTDIR/cp1.out")

	BUNDLE1=$BUNDLE
	setup_bundle "$TESTDIR/bundle2"
	cp "$BUNDLE1/config.json" "$BUNDLE/config.json"
	update_config '(.mounts[] | select(.destination == "/data")).source = $src' --arg src "$TESTDIR/data2"
	restore_counter cp2 "$TESTDIR/img"
	[ "$(hutch state cp2 | jq -r .bundle)" = "$TESTDIR/bundle2" ]
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
	run hutch exec cp2 sh -c 'cat /data/name; cat /proc/self/cgroup | grep -c "/hutch/cp2$"'
	echo "$output"
	[ "${lines[0]}" = two ]
	[ "${lines[1]}" -ge 1 ]
	pid=$(ct_pid cp2)
	grep -q "pids:/hutch/cp2$" "/proc/$pid/cgroup"
	hutch delete -f cp2
	assert_no_leftovers cp2 "$pid"
}

@test "restore of a container with a terminal sends the new pty master to --console-socket" {
	requires_criu
	[ -x "$RECVTTY" ] || fail "no $RECVTTY (make testtools)"
	update_config '.process.terminal = true'
	"$RECVTTY" --ready "$TESTDIR/ready1" "$TESTDIR/c1.sock" >"$TESTDIR/tty1.out" 2>&1 &
	for _ in $(seq 50); do [ -e "$TESTDIR/ready1" ] && break; sleep 0.1; done
	hutch run -d --console-socket "$TESTDIR/c1.sock" --bundle "$BUNDLE" cp1 </dev/null >/dev/null 2>&1 3>&-
	for _ in $(seq 50); do [ "$(tr -d '\r' <"$TESTDIR/tty1.out" | wc -l)" -ge 3 ] && break; sleep 0.1; done
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	last=$(tr -d '\r' <"$TESTDIR/tty1.out" | grep -E '^[0-9]+$' | tail -1)

	"$RECVTTY" --ready "$TESTDIR/ready2" "$TESTDIR/c2.sock" >"$TESTDIR/tty2.out" 2>&1 &
	for _ in $(seq 50); do [ -e "$TESTDIR/ready2" ] && break; sleep 0.1; done
	restore_counter cp2 "$TESTDIR/img" --console-socket "$TESTDIR/c2.sock"
	for _ in $(seq 50); do [ "$(tr -d '\r' <"$TESTDIR/tty2.out" | wc -l)" -ge 3 ] && break; sleep 0.1; done
	run sh -c "tr -d '\r' <'$TESTDIR/tty2.out' | grep -E '^[0-9]+$' | head -3"
	echo "$output"
	[ "${lines[0]}" -gt "$last" ]
	[ "${lines[2]}" -eq "$((lines[0] + 2))" ]
	run hutch exec cp2 readlink /proc/1/fd/1
	[[ "$output" == /dev/pts/* ]]
}

@test "restore: a failed restore leaves no state, cgroup, mount or process" {
	requires_criu
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	# CRIU fails once the tasks exist: their memory is missing.
	rm "$TESTDIR"/img/pages-*.img
	run restore_counter cp2 "$TESTDIR/img"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"criu restore failed"* ]]
	[[ "$output" == *"restore.log"* ]]
	assert_no_leftovers cp2
	[ -z "$(mounts_under "$ROOT")" ]
}

@test "checkpoint: CRIU missing or unusable is an error naming it; the container runs on" {
	start_counter cp1
	run hutch --criu /nonexistent/criu checkpoint --image-path "$TESTDIR/img" cp1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs CRIU (/nonexistent/criu)"* ]]
	[ "$(ct_status cp1)" = running ]
	run hutch --criu /nonexistent/criu restore --bundle "$BUNDLE" --image-path "$TESTDIR/img" cp2
	[ "$status" -ne 0 ]
	[[ "$output" == *"needs CRIU"* ]]
	assert_nothing_of cp2
}

@test "checkpoint: a CRIU too old for this kernel is named with its version and the reason" {
	local old=/usr/sbin/criu
	[ -x "$old" ] || skip "no Debian criu at $old to try"
	ver=$("$old" --version | awk '/^Version/ {print $2}')
	case $ver in 3.* | 4.0*) ;; *) skip "$old is CRIU $ver, not older than 4.1" ;; esac
	kmaj=$(uname -r | cut -d. -f1) kmin=$(uname -r | cut -d. -f2)
	[ "$kmaj" -gt 6 ] || [ "$kmin" -ge 13 ] || skip "kernel $(uname -r) is older than 6.13: CRIU $ver can work on it"
	start_counter cp1
	run hutch --criu "$old" checkpoint --image-path "$TESTDIR/img" cp1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"CRIU $ver"* ]]
	[[ "$output" == *"vvar_vclock"*"4.1"* ]]
	[ "$(ct_status cp1)" = running ]
	[ ! -e "$TESTDIR/img" ]
}

@test "checkpoint of a created or stopped container, and bad flags, are refused" {
	set_args true
	hutch_create cp1
	run hutch checkpoint --image-path "$TESTDIR/img" cp1
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot be checkpointed in created state"* ]]
	run hutch checkpoint --manage-cgroups-mode bogus --image-path "$TESTDIR/img" cp1
	[ "$status" -ne 0 ]
	run hutch checkpoint --parent-path /abs --image-path "$TESTDIR/img" cp1
	[ "$status" -ne 0 ]
	[[ "$output" == *"--parent-path must be relative"* ]]
	run hutch restore --no-pivot --bundle "$BUNDLE" --image-path "$TESTDIR/img" cp2
	[ "$status" -ne 0 ]
	[[ "$output" == *"--no-pivot"* ]]
	assert_nothing_of cp2
	# Host network devices are create's to move; restore refuses them.
	update_config '.linux.netDevices = {"eth9": {}}'
	run hutch restore --bundle "$BUNDLE" --image-path "$TESTDIR/img" cp2
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices: restore cannot move"* ]]
	assert_nothing_of cp2
}

@test "checkpoint and restore --work-path: CRIU's work files and logs go there" {
	requires_criu
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" --work-path "$TESTDIR/work" cp1
	[ -s "$TESTDIR/work/dump.log" ]
	[ ! -e "$TESTDIR/img/dump.log" ]
	last=$(tail -1 "$TESTDIR/cp1.out")
	restore_counter cp2 "$TESTDIR/img" --work-path "$TESTDIR/work"
	[ -s "$TESTDIR/work/restore.log" ]
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
}

@test "checkpoint --pre-dump, then a dump with --parent-path; restore" {
	requires_criu
	"$CRIU_BIN" check --feature mem_dirty_track >/dev/null 2>&1 ||
		skip "this kernel cannot track dirty memory (CRIU's mem_dirty_track check fails): no pre-dump here"
	start_counter cp1
	hutch checkpoint --pre-dump --image-path "$TESTDIR/img/pre" cp1
	# Memory only: the container runs on and has not been removed.
	[ "$(ct_status cp1)" = running ]
	[ ! -e "$TESTDIR/img/pre/descriptors.json" ]
	hutch checkpoint --parent-path ../pre --image-path "$TESTDIR/img/final" cp1
	last=$(tail -1 "$TESTDIR/cp1.out")
	restore_counter cp2 "$TESTDIR/img/final"
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
}

@test "checkpoint --pre-dump where the kernel cannot track memory: CRIU's reason, the container runs on" {
	requires_criu
	"$CRIU_BIN" check --feature mem_dirty_track >/dev/null 2>&1 &&
		skip "this kernel tracks dirty memory: the pre-dump test covers it"
	start_counter cp1
	run hutch checkpoint --pre-dump --image-path "$TESTDIR/img/pre" cp1
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Tracking memory is not available"* ]]
	[ "$(ct_status cp1)" = running ]
}

@test "restore runs the prestart and createRuntime hooks with the restored init's pid" {
	requires_criu
	# Each hook appends the state it gets on stdin.
	update_config '.hooks = {
		prestart: [{path: "/bin/sh", args: ["sh", "-c", "cat >>" + $d + "/prestart.log"]}],
		createRuntime: [{path: "/bin/sh", args: ["sh", "-c", "cat >>" + $d + "/createRuntime.log"]}]
	}' --arg d "$TESTDIR"
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	rm "$TESTDIR/prestart.log" "$TESTDIR/createRuntime.log"
	restore_counter cp2 "$TESTDIR/img"
	pid=$(ct_pid cp2)
	[ "$(jq -r '"\(.id) \(.pid)"' "$TESTDIR/prestart.log")" = "cp2 $pid" ]
	[ "$(jq -r '"\(.id) \(.pid)"' "$TESTDIR/createRuntime.log")" = "cp2 $pid" ]
}

@test "checkpoint and restore of a container in a network namespace joined by path" {
	requires_criu
	local ns=hutch-cp-$$
	ip netns add "$ns"
	NETNS=$ns
	update_config '(.linux.namespaces[] | select(.type == "network")).path = $p' --arg p "/run/netns/$ns"
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	last=$(tail -1 "$TESTDIR/cp1.out")
	restore_counter cp2 "$TESTDIR/img"
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
	# Restored into that namespace, not a copy of it.
	[ "$(readlink "/proc/$(ct_pid cp2)/ns/net")" = "$(ip netns exec "$ns" readlink /proc/self/ns/net)" ]
	hutch delete -f cp2
	ip netns del "$ns"
	NETNS=
}

@test "checkpoint --page-server: the memory goes to a CRIU page server, the rest to --image-path" {
	requires_criu
	local port=$((27000 + RANDOM % 1000))
	mkdir -p "$TESTDIR/pages"
	"$CRIU_BIN" page-server --images-dir "$TESTDIR/pages" --port "$port" -d
	start_counter cp1
	hutch checkpoint --page-server "127.0.0.1:$port" --image-path "$TESTDIR/img" cp1
	last=$(tail -1 "$TESTDIR/cp1.out")
	# The pages are the page server's, not in the image directory.
	ls "$TESTDIR"/pages/pages-*.img
	! ls "$TESTDIR"/img/pages-*.img
	cp "$TESTDIR"/img/* "$TESTDIR/pages/"
	restore_counter cp2 "$TESTDIR/pages"
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
	run hutch checkpoint --page-server nonsense --image-path "$TESTDIR/img2" cp2
	[ "$status" -ne 0 ]
	[[ "$output" == *"--page-server"*"ADDRESS:PORT"* ]]
}

@test "the org.criu.config annotation names CRIU's configuration file for the container" {
	requires_criu
	set_args sh -c 'nc -l -p 7777 -e sh -c "i=0; while :; do echo \$i; i=\$((i+1)); sleep 0.1; done" & sleep 0.3; sleep 100000 | nc 127.0.0.1 7777'
	# The file asks for what the flag would: the open connection dumps
	# without --tcp-established.
	echo tcp-established >"$TESTDIR/criu.conf"
	update_config '.annotations["org.criu.config"] = $f' --arg f "$TESTDIR/criu.conf"
	start_counter cp1
	hutch checkpoint --image-path "$TESTDIR/img" cp1
	# (the test above shows this dump fails without the option)
	last=$(tail -1 "$TESTDIR/cp1.out")
	restore_counter cp2 "$TESTDIR/img"
	assert_goes_on "$TESTDIR/cp2.out" $((last + 1))
}

@test "checkpoint of a container in a joined cgroup with another process: CRIU does not freeze that cgroup" {
	requires_criu
	JOIN_CG=/sys/fs/cgroup/freezer/hutch-join-$MARK
	mkdir "$JOIN_CG"
	sleep 1000 &
	OTHER_PID=$!
	echo "$OTHER_PID" >"$JOIN_CG/cgroup.procs"
	update_config '.linux.cgroupsPath = $p' --arg p "/hutch-join-$MARK"
	start_counter cp1
	hutch checkpoint --leave-running --image-path "$TESTDIR/img" --work-path "$TESTDIR/work" cp1
	# Freezing it would stop OTHER_PID too: CRIU seizes the container's
	# tasks with ptrace instead.
	! grep -i "freezing cgroup.*hutch-join" "$TESTDIR/work/dump.log" || fail "CRIU was told to freeze the joined cgroup"
	grep -q "Seized task $(ct_pid cp1)\|seize.*$(ct_pid cp1)" "$TESTDIR/work/dump.log"
	[ "$(ct_status cp1)" = running ]
	grep -q "^State:.*S (sleeping)" "/proc/$OTHER_PID/status"
	hutch delete -f cp1
	pid_alive "$OTHER_PID" || fail "the cgroup's other process was killed"
}
