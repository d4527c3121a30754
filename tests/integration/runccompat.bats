#!/usr/bin/env bats
# runc's command line and behaviours that scripts and engines rely on.

load helpers

setup() {
	hutch_setup
	set_args /bin/sleep 1000
}

teardown() {
	[ -n "${OTHER_PID:-}" ] && kill -9 "$OTHER_PID" 2>/dev/null
	[ -n "${RECV_PIDS:-}" ] && kill -9 $RECV_PIDS 2>/dev/null
	hutch_teardown
	local d
	for d in ${JOIN_CGS:-}; do
		[ -d "$d" ] && { echo THAWED >"$d/freezer.state" 2>/dev/null; sleep 0.1; rmdir "$d"; }
	done
	true
}

# existing_cgroup CONTROLLER: makes CG=/hutch-join-$MARK in that v1
# hierarchy (as an engine or a delegating parent would) and points the
# config at it.
existing_cgroup() {
	CG=/sys/fs/cgroup/$1/hutch-join-$MARK
	mkdir "$CG"
	JOIN_CGS="${JOIN_CGS:-} $CG"
	update_config '.linux.cgroupsPath = $p' --arg p "/hutch-join-$MARK"
}

@test "flags after the container id are accepted, as runc 1.5 accepts them" {
	# The id is not the last argument: teardown learns it here.
	echo ct >>"$TESTDIR/.ids"
	hutch run --bundle "$BUNDLE" ct -d </dev/null >"$TESTDIR/ct.out" 2>"$TESTDIR/ct.err" 3>&- ||
		fail "run ct -d: $(cat "$TESTDIR/ct.err")"
	[ "$(ct_status ct)" = running ]
	run hutch update ct --pids-limit 42
	[ "$status" -eq 0 ]
	[ "$(cat /sys/fs/cgroup/pids/hutch/ct/pids.max)" = 42 ]
	run hutch kill ct KILL --all
	[ "$status" -eq 0 ]
	wait_status ct stopped
	run hutch delete ct --force
	[ "$status" -eq 0 ]
	assert_no_leftovers ct
}

@test "features: the keys engines read, each mount option hutch parses" {
	run hutch features
	[ "$status" -eq 0 ]
	local f=$output k
	for k in .linux.seccomp.enabled .linux.seccomp.actions .linux.seccomp.operators .linux.seccomp.archs \
		.linux.seccomp.knownFlags .linux.seccomp.supportedFlags .linux.apparmor.enabled .linux.selinux.enabled \
		.linux.mountExtensions.idmap.enabled .linux.cgroup.systemd .linux.cgroup.systemdUser .linux.cgroup.rdma \
		.linux.intelRdt.enabled .potentiallyUnsafeConfigAnnotations; do
		[ "$(jq "$k | type" <<<"$f")" != '"null"' ] || fail "features lacks $k"
	done
	for k in rro rrw rnoatime ratime rnodiratime rdiratime rnorelatime rrelatime rnostrictatime rstrictatime \
		rnosuid rsuid rnodev rdev rnoexec rexec rnosymfollow rsymfollow nosymfollow symfollow lazytime \
		nolazytime iversion noiversion silent loud tmpcopyup; do
		jq -e --arg k "$k" '.mountOptions | index($k)' <<<"$f" >/dev/null || fail "mountOptions lacks $k"
	done
	[ "$(jq -r .linux.mountExtensions.idmap.enabled <<<"$f")" = true ]
}

# resctrl_mounted: the host has the resctrl filesystem mounted somewhere.
resctrl_mounted() { awk '{for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "resctrl") f = 1; break }} END {exit !f}' /proc/self/mountinfo; }

@test "linux.intelRdt without resctrl mounted: create fails, naming the field, and leaves nothing" {
	resctrl_mounted && skip "this host has resctrl mounted"
	update_config '.linux.intelRdt = {closID: "rdt-clos", l3CacheSchema: "L3:0=f"}'
	try_create rdt-nomount
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.intelRdt: the resctrl filesystem is not mounted on this host"* ]]
	assert_no_leftovers rdt-nomount
	assert_root_empty
}

@test "linux.intelRdt.closID must be a directory name" {
	update_config '.linux.intelRdt = {closID: "../x", memBwSchema: "MB:0=50"}'
	try_create rdt-badclos
	[ "$status" -ne 0 ]
	[[ "$output" == *linux.intelRdt.closID:*../x*"is not a directory name"* ]]
	assert_no_leftovers rdt-badclos
	assert_root_empty
}

@test "update --l3-cache-schema and --mem-bw-schema are refused, not ignored; the container runs on" {
	resctrl_mounted && skip "this host has resctrl mounted"
	update_config '.linux.resources.pids = {limit: 42}'
	hutch_start_bg rdt-up
	local pid cg=/sys/fs/cgroup/pids/hutch/rdt-up/pids.max
	[ -e "$cg" ] || cg=/sys/fs/cgroup/hutch/rdt-up/pids.max
	pid=$(ct_pid rdt-up)
	run hutch update --l3-cache-schema "L3:0=f" rdt-up
	[ "$status" -ne 0 ]
	[[ "$output" == *"--l3-cache-schema: Intel RDT/CAT: l3 cache schema is not enabled (the resctrl filesystem is not mounted on this host)"* ]]
	# Refused as a whole: the pids limit given with it is not applied.
	run hutch update --pids-limit 50 --mem-bw-schema "MB:0=50" rdt-up
	[ "$status" -ne 0 ]
	[[ "$output" == *"--mem-bw-schema: Intel RDT/MBA: memory bandwidth schema is not enabled (the resctrl filesystem is not mounted on this host)"* ]]
	[ "$(cat "$cg")" = 42 ]
	[ "$(jq .linux.resources.pids.limit "$ROOT/rdt-up/config.json")" = 42 ]
	[ "$(ct_status rdt-up)" = running ]
	[ "$(ct_pid rdt-up)" = "$pid" ]
	run hutch update --pids-limit 50 rdt-up
	[ "$status" -eq 0 ]
	[ "$(cat "$cg")" = 50 ]
}

@test "an existing empty cgroup is joined, its limits set, and left in place by delete" {
	existing_cgroup pids
	local cg=$CG
	update_config '.linux.resources.pids = {limit: 42}'
	hutch_start_bg ct
	grep -qx "$(ct_pid ct)" "$cg/cgroup.procs"
	[ "$(cat "$cg/pids.max")" = 42 ]
	run hutch pause ct
	[ "$status" -eq 0 ]
	[ "$(ct_status ct)" = paused ]
	hutch resume ct
	run hutch delete --force ct
	[ "$status" -eq 0 ]
	# Not hutch's: left; what hutch created in the other hierarchies: gone.
	[ -d "$cg" ]
	[ -z "$(cat "$cg/cgroup.procs")" ]
	assert_only_cgroup "hutch-join-$MARK" "$cg"
	assert_root_empty
}

@test "an existing cgroup with other processes: a warning; kill --all, pause and delete leave them alone" {
	existing_cgroup pids
	local cg=$CG
	sleep 1000 &
	OTHER_PID=$!
	echo "$OTHER_PID" >"$cg/cgroup.procs"
	set_args /bin/sh -c 'sleep 1000 & exec sleep 1001'
	hutch_start_bg ct
	grep -q "holds processes that are not the container's (pid $OTHER_PID)" "$TESTDIR/ct.err"
	grep -qx "$(ct_pid ct)" "$cg/cgroup.procs"
	# The freezer cgroup is hutch's and holds only the container: pause
	# freezes it, not OTHER_PID (the next test has a shared freezer).
	hutch pause ct
	[ "$(ct_status ct)" = paused ]
	[ "$(cat "/sys/fs/cgroup/freezer/hutch-join-$MARK/freezer.state")" = FROZEN ]
	grep -qx "$OTHER_PID" /sys/fs/cgroup/freezer/cgroup.procs
	hutch resume ct
	run hutch kill --all ct KILL
	[ "$status" -eq 0 ]
	wait_status ct stopped
	run hutch delete ct
	[ "$status" -eq 0 ]
	pid_alive "$OTHER_PID" || fail "a process of the shared cgroup, not the container's, was killed"
	[ "$(cat "$cg/cgroup.procs")" = "$OTHER_PID" ]
	assert_root_empty
}

@test "a joined freezer cgroup with another process (the other hierarchies hutch's): pause is refused" {
	existing_cgroup freezer
	local cg=$CG
	sleep 1000 &
	OTHER_PID=$!
	echo "$OTHER_PID" >"$cg/cgroup.procs"
	hutch_start_bg ct
	run hutch pause ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"also holds pid $OTHER_PID, which is not the container's"* ]]
	[ "$(cat "$cg/freezer.state")" = THAWED ]
	[ "$(ct_status ct)" = running ]
}

@test "an existing frozen cgroup is refused, and nothing is left" {
	existing_cgroup freezer
	local cg=$CG
	echo FROZEN >"$cg/freezer.state"
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"$cg exists and is frozen (freezer.state FROZEN)"* ]]
	assert_only_cgroup "hutch-join-$MARK" "$cg"
	assert_no_leftovers ct
}

@test "/dev/core is a link to /proc/kcore only where the kernel has it" {
	set_args /bin/sh -c 'if [ -L /dev/core ]; then echo link; else echo none; fi
		if [ -e /proc/kcore ]; then echo kcore; else echo no-kcore; fi'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	# The host's kernel decides for the container's /proc as well.
	if [ -e /proc/kcore ]; then
		[ "${lines[0]}" = link ] && [ "${lines[1]}" = kcore ]
	else
		[ "${lines[0]}" = none ] && [ "${lines[1]}" = no-kcore ]
	fi
}

@test "exec --apparmor and --process-label are refused where the LSM is off, never dropped" {
	grep -qs '^Y' /sys/module/apparmor/parameters/enabled && skip "AppArmor is enabled here: this test covers hosts without it"
	[ -e /sys/fs/selinux/enforce ] && skip "SELinux is enabled here: this test covers hosts without it"
	hutch_start_bg ct
	run hutch exec --apparmor hutch-test ct true
	[ "$status" -ne 0 ]
	[[ "$output" == *'hutch-test\" requested but AppArmor is not enabled'* ]]
	run hutch exec --process-label system_u:system_r:container_t:s0 ct true
	[ "$status" -ne 0 ]
	[[ "$output" == *'requested but SELinux is not enabled'* ]]
	# Without them, exec works.
	run hutch exec ct true
	[ "$status" -eq 0 ]
}

# recv_pidfd NAME: a --pidfd-socket at $TESTDIR/NAME.sock (recvtty --pidfd);
# what it receives goes to $TESTDIR/NAME.out.
recv_pidfd() {
	local r=$REPO/tests/.cache/recvtty
	[ -x "$r" ] || fail "no $r (make testtools)"
	"$r" --pidfd --ready "$TESTDIR/$1.ready" "$TESTDIR/$1.sock" >"$TESTDIR/$1.out" 2>&1 3>&- &
	RECV_PIDS="${RECV_PIDS:-} $!"
	for _ in $(seq 50); do [ -e "$TESTDIR/$1.ready" ] && return 0; sleep 0.1; done
	fail "recvtty did not start"
}

@test "--pidfd-socket: create and exec hand over a pidfd of the init and of the process" {
	recv_pidfd init
	hutch_create ct --pidfd-socket "$TESTDIR/init.sock"
	local init
	init=$(ct_pid ct)
	for _ in $(seq 50); do [ -s "$TESTDIR/init.out" ] && break; sleep 0.1; done
	[ "$(head -1 "$TESTDIR/init.out")" = "pid $init" ]
	hutch start ct
	recv_pidfd exec
	# Its stdio on files: a detached process must not hold a bats pipe.
	hutch exec -d --pid-file "$TESTDIR/exec.pid" --pidfd-socket "$TESTDIR/exec.sock" ct sleep 1002 \
		</dev/null >/dev/null 2>"$TESTDIR/exec.err" 3>&- || fail "exec: $(cat "$TESTDIR/exec.err")"
	for _ in $(seq 50); do [ -s "$TESTDIR/exec.out" ] && break; sleep 0.1; done
	[ "$(head -1 "$TESTDIR/exec.out")" = "pid $(cat "$TESTDIR/exec.pid")" ]
	# The pidfd reports the exit: the receivers end once the processes do.
	hutch kill ct KILL
	wait_status ct stopped
	local p
	for p in $RECV_PIDS; do
		wait "$p"
	done
	[ "$(sed -n 2p "$TESTDIR/init.out")" = exited ]
	[ "$(sed -n 2p "$TESTDIR/exec.out")" = exited ]
}

@test "--pidfd-socket that cannot be reached: a clear error before anything is made" {
	try_create ct --pidfd-socket "$TESTDIR/none.sock"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--pidfd-socket \\\"$TESTDIR/none.sock\\\": connect"* ]]
	assert_no_leftovers ct
}

@test "runc's exit statuses and error words: kill 0, duplicate and invalid ids" {
	hutch_create ct
	# Signal 0: is the init alive (scripts poll with it).
	run hutch kill ct 0
	[ "$status" -eq 0 ]
	[ "$(ct_status ct)" = created ]
	try_create ct
	[ "$status" -eq 1 ]
	[[ "$output" == *'container \"ct\": container with given ID already exists'* ]]
	run hutch state 'a/b'
	[ "$status" -eq 1 ]
	[[ "$output" == *'invalid container ID format: \"a/b\"'* ]]
	hutch kill ct KILL
	wait_status ct stopped
	run hutch kill ct 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"container not running"* ]]
}

@test "installed under runc's name, the help reads as runc's" {
	ln -s "$HUTCH" "$TESTDIR/runc"
	run "$TESTDIR/runc" --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "NAME:" ]
	[[ "${lines[1]}" =~ runc\ -\ Open\ Container\ Initiative\ runtime ]]
	run "$HUTCH" -h
	[[ "${lines[1]}" =~ hutch\ -\ Open\ Container\ Initiative\ runtime ]]
}
