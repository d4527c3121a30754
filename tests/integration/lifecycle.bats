#!/usr/bin/env bats
# create / start / state / delete, and what each leaves behind.

load helpers

setup() {
	hutch_setup
	# Output on the container's stdout (= create's stdout, a file) shows
	# whether and how often the process ran.
	set_args /bin/sh -c 'echo started; exec sleep 1000'
}

teardown() {
	hutch_teardown
}

@test "create: status created, init alive and waiting, process not started" {
	hutch_create ct
	run hutch state ct
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	[ "$(echo "$output" | jq -r .id)" = ct ]
	pid=$(echo "$output" | jq -r .pid)
	[ "$pid" -gt 1 ]
	pid_alive "$pid"
	[ -p "$ROOT/ct/exec.fifo" ]
	[ -f "$ROOT/ct/state.json" ]
	sleep 0.3
	# Still waiting: args not executed, nothing printed.
	[ ! -s "$TESTDIR/ct.out" ]
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" != "sleep 1000 " ]
	[ "$(ct_status ct)" = created ]
}

@test "state: OCI state JSON fields" {
	update_config '.annotations = {"org.example.key": "value"}'
	hutch_create ct
	run hutch state ct
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ociVersion | type == "string" and length > 0'
	echo "$output" | jq -e --arg b "$BUNDLE" '.bundle == $b'
	echo "$output" | jq -e '.rootfs | endswith("rootfs")'
	echo "$output" | jq -e '.created | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")'
	echo "$output" | jq -e '.owner | type == "string"'
	echo "$output" | jq -e '.annotations["org.example.key"] == "value"'
}

@test "start: runs the process exactly once, status running, same pid" {
	hutch_create ct
	pid=$(ct_pid ct)
	run hutch start ct
	[ "$status" -eq 0 ]
	wait_file_contains "$TESTDIR/ct.out" started
	[ "$(ct_status ct)" = running ]
	[ "$(ct_pid ct)" = "$pid" ]
	[ ! -e "$ROOT/ct/exec.fifo" ]
	# pid is now the user process itself.
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 1000 " ]

	run hutch start ct
	[ "$status" -ne 0 ]
	sleep 0.3
	[ "$(grep -c started "$TESTDIR/ct.out")" -eq 1 ]
	[ "$(ct_status ct)" = running ]
}

@test "stopped: status after the process exits on its own" {
	set_args /bin/sh -c 'echo started; exit 0'
	hutch_create ct
	pid=$(ct_pid ct)
	hutch start ct
	wait_status ct stopped
	wait_pid_gone "$pid"
	run hutch start ct
	[ "$status" -ne 0 ]
	run hutch delete ct
	[ "$status" -eq 0 ]
	assert_no_leftovers ct "$pid"
}

@test "create --pid-file: written, equals state pid" {
	hutch_create ct --pid-file "$TESTDIR/ct.pid"
	[ -s "$TESTDIR/ct.pid" ]
	[ "$(cat "$TESTDIR/ct.pid")" = "$(ct_pid ct)" ]
}

@test "create --pid-file with a relative path is relative to the caller's cwd" {
	cd "$TESTDIR"
	hutch_create ct --pid-file rel.pid
	[ "$(cat "$TESTDIR/rel.pid")" = "$(ct_pid ct)" ]
}

@test "delete: a created container is removed with its process" {
	hutch_create ct
	pid=$(ct_pid ct)
	run hutch delete ct
	[ "$status" -eq 0 ]
	[ ! -e "$ROOT/ct" ]
	run hutch state ct
	[ "$status" -ne 0 ]
	assert_no_leftovers ct "$pid"
	# The process never ran.
	[ ! -s "$TESTDIR/ct.out" ]
}

@test "delete: refuses a running container without --force" {
	hutch_start_bg ct
	pid=$(ct_pid ct)
	run hutch delete ct
	[ "$status" -ne 0 ]
	[[ "$output" == *running* ]]
	[ "$(ct_status ct)" = running ]
	pid_alive "$pid"
	[ -d "$ROOT/ct" ]
}

@test "delete --force: kills and removes a running container" {
	hutch_start_bg ct
	pid=$(ct_pid ct)
	run hutch delete --force ct
	[ "$status" -eq 0 ]
	assert_no_leftovers ct "$pid"
}

@test "delete of a stopped container" {
	hutch_start_bg ct
	pid=$(ct_pid ct)
	hutch kill ct KILL
	wait_status ct stopped
	run hutch delete ct
	[ "$status" -eq 0 ]
	assert_no_leftovers ct "$pid"
}

@test "delete --force of an unknown id exits 0; delete without exits 1" {
	run hutch delete --force nosuch
	[ "$status" -eq 0 ]
	run hutch delete nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuch* ]]
}

@test "state / start of an unknown id fail and name it" {
	run hutch state nosuch
	[ "$status" -ne 0 ]
	[[ "$output" == *nosuch* ]]
	run hutch start nosuch
	[ "$status" -ne 0 ]
}

@test "create: a duplicate id fails without breaking the first container" {
	hutch_create ct
	pid=$(ct_pid ct)
	run hutch_create ct
	[ "$status" -ne 0 ]
	[[ "$(cat "$TESTDIR/ct.err")" == *ct* ]]
	[ "$(ct_status ct)" = created ]
	[ "$(ct_pid ct)" = "$pid" ]
	pid_alive "$pid"
	[ -p "$ROOT/ct/exec.fifo" ]
	# The first one still starts (its stdout file was truncated by the
	# second create's redirection, not by hutch).
	hutch start ct
	wait_status ct running
	wait_file_contains "$TESTDIR/ct.out" started
}

@test "two containers from one bundle are independent" {
	hutch_start_bg a
	hutch_start_bg b
	[ "$(ct_pid a)" != "$(ct_pid b)" ]
	hutch kill a KILL
	wait_status a stopped
	[ "$(ct_status b)" = running ]
}

@test "a hutch killed between create and start leaves state delete --force cleans" {
	hutch_create ct
	pid=$(ct_pid ct)
	# The init dies while waiting on the fifo.
	kill -9 "$pid"
	wait_pid_gone "$pid"
	wait_status ct stopped
	run hutch delete ct
	[ "$status" -eq 0 ]
	assert_no_leftovers ct "$pid"
}
