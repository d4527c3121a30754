#!/usr/bin/env bats
# hutch kill: signal names, numbers, and states.

load helpers

setup() {
	hutch_setup
	# pid 1 of a pid namespace only gets signals it has a handler for.
	set_args /bin/sh -c 'for s in TERM USR1 HUP; do trap "echo got-$s; exit 0" $s; done; echo ready; while :; do sleep 0.1; done'
}

teardown() {
	hutch_teardown
}

start_trapper() {
	hutch_start_bg ct
	wait_file_contains "$TESTDIR/ct.out" ready
}

@test "kill with a signal name without SIG" {
	start_trapper
	run hutch kill ct TERM
	[ "$status" -eq 0 ]
	wait_file_contains "$TESTDIR/ct.out" got-TERM
	wait_status ct stopped
}

@test "kill with a SIG-prefixed name" {
	start_trapper
	run hutch kill ct SIGUSR1
	[ "$status" -eq 0 ]
	wait_file_contains "$TESTDIR/ct.out" got-USR1
	wait_status ct stopped
}

@test "kill without a signal sends SIGTERM" {
	start_trapper
	run hutch kill ct
	[ "$status" -eq 0 ]
	wait_file_contains "$TESTDIR/ct.out" got-TERM
}

@test "kill with a number" {
	start_trapper
	run hutch kill ct 1
	[ "$status" -eq 0 ]
	wait_file_contains "$TESTDIR/ct.out" got-HUP
	wait_status ct stopped
}

@test "kill 9 stops a process that ignores everything else" {
	set_args /bin/sleep 1000
	hutch_start_bg ct
	pid=$(ct_pid ct)
	run hutch kill ct 9
	[ "$status" -eq 0 ]
	wait_status ct stopped
	wait_pid_gone "$pid"
}

@test "kill KILL of a created container: stopped, never ran" {
	hutch_create ct
	pid=$(ct_pid ct)
	run hutch kill ct KILL
	[ "$status" -eq 0 ]
	wait_status ct stopped
	wait_pid_gone "$pid"
	[ ! -s "$TESTDIR/ct.out" ]
	run hutch delete ct
	[ "$status" -eq 0 ]
	assert_no_leftovers ct "$pid"
}

@test "kill of a stopped container fails; kill --all kills what the init left in its cgroup" {
	set_args /bin/true
	hutch_start_bg ct
	wait_status ct stopped
	run hutch kill ct KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	run hutch kill --all ct KILL
	[ "$status" -eq 0 ]
	hutch delete ct
	# Without a pid namespace the init's children outlive it, in the
	# container's cgroup: containerd's shim then runs kill --all, as runc
	# allows it.
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args /bin/sh -c 'sleep 100 & echo $! >/left; exit 0'
	hutch_start_bg ct
	wait_status ct stopped
	wait_file_contains "$ROOTFS/left" ''
	left=$(grep -o '[0-9]*' /sys/fs/cgroup/pids/hutch/ct/cgroup.procs)
	[ -n "$left" ]
	pid_alive "$left"
	run hutch kill --all ct KILL
	[ "$status" -eq 0 ]
	wait_pid_gone "$left"
	hutch delete ct
	assert_no_leftovers ct
}

@test "kill with an unknown signal fails and the container keeps running" {
	start_trapper
	run hutch kill ct SIGNOPE
	[ "$status" -ne 0 ]
	[[ "$output" == *NOPE* ]]
	run hutch kill ct 999
	[ "$status" -ne 0 ]
	[ "$(ct_status ct)" = running ]
}

@test "kill of an unknown id fails" {
	run hutch kill nosuch KILL
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuch* ]]
}
