#!/usr/bin/env bats
# A created container waits for `hutch start` in the small C waiter (see
# docs/process-model.md, "The waiting init"), not in a Go runtime.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

@test "waiter: a created container's init is the C waiter, small, and still sealed" {
	set_args /bin/sh -c 'id -u; grep ^CapEff /proc/self/status; echo started'
	update_config '.process.user = {uid: 1000, gid: 1000}'
	hutch_create ct
	pid=$(ct_pid ct)
	run cat "/proc/$pid/cmdline"
	[[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "hutch init --exec-wait "* ]]
	# Far below a Go runtime's several MB.
	pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$pid/smaps_rollup")
	echo "PSS ${pss} kB"
	[ "$pss" -lt 1024 ]
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
	pid=$(ct_pid ct)
	[[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == "hutch init --exec-wait "* ]]
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

@test "waiter: with a seccomp filter or startContainer hooks the Go init waits" {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW"}'
	hutch_create ct
	[ "$(tr '\0' ' ' <"/proc/$(ct_pid ct)/cmdline")" = "hutch init " ]
	hutch start ct
	hutch delete -f ct
	update_config 'del(.linux.seccomp) | .hooks.startContainer = [{path: "/bin/true"}]'
	hutch_create ct2
	[ "$(tr '\0' ' ' <"/proc/$(ct_pid ct2)/cmdline")" = "hutch init " ]
	hutch start ct2
	hutch delete -f ct2
}
