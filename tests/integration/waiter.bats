#!/usr/bin/env bats
# A created container waits for `hutch start` in the C process executor
# (see docs/process-model.md, "The process executor"), not in a Go runtime,
# whatever its configuration.

load helpers

# assert_executor PID: PID is the C executor: one thread (a Go runtime
# starts several), far below a Go runtime's several MB.
assert_executor() {
	grep -qx "Threads:	1" "/proc/$1/status" || fail "$(grep Threads "/proc/$1/status"): not the C executor"
	local pss
	pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup")
	echo "PSS ${pss} kB"
	[ "$pss" -lt 1024 ] || fail "PSS ${pss} kB: not the C executor"
}

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

@test "waiter: a created container's init is the C executor, small, and still sealed" {
	set_args /bin/sh -c 'id -u; grep ^CapEff /proc/self/status; echo started'
	update_config '.process.user = {uid: 1000, gid: 1000}'
	hutch_create ct
	pid=$(ct_pid ct)
	assert_executor "$pid"
	# CVE-2019-5736: the binary it runs from cannot be opened for writing.
	run sh -c "exec 3>>/proc/$pid/exe"
	[ "$status" -ne 0 ]
	[ "$(ct_status ct)" = created ]
	hutch start ct
	wait_status ct stopped
	run cat "$TESTDIR/ct.out"
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = "CapEff:	0000000000000000" ]
	[ "${lines[2]}" = started ]
	hutch delete ct
}

@test "waiter: SIGTERM ends a created container, as it did the Go init" {
	hutch_create ct
	assert_executor "$(ct_pid ct)"
	hutch kill ct TERM
	wait_status ct stopped
	hutch delete ct
}

@test "waiter: a failed exec after start is reported on the container's stderr" {
	set_args /bin/true
	hutch_create ct
	# The program disappears between create (which checked it) and start.
	rm "$ROOTFS/bin/true"
	hutch start ct || true
	wait_status ct stopped
	# One line, runc's words, as runc's suite checks them.
	grep -qx 'exec /bin/true: no such file or directory' "$TESTDIR/ct.err"
	hutch delete ct
}

@test "waiter: with a seccomp filter, startContainer hooks and address-space limits it is the executor too" {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW"}
		| .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "echo hook >/tmp/hook"]}]
		| .process.rlimits += [{type: "RLIMIT_AS", soft: 268435456, hard: 268435456}]'
	set_args /bin/sh -c 'cat /tmp/hook; grep ^Seccomp: /proc/self/status; ulimit -v'
	hutch_create ct
	assert_executor "$(ct_pid ct)"
	hutch start ct
	wait_status ct stopped
	run cat "$TESTDIR/ct.out"
	echo "$output"
	[ "${lines[0]}" = hook ]
	[ "${lines[1]}" = "Seccomp:	2" ]
	[ "${lines[2]}" = 262144 ]
	hutch delete -f ct
}
