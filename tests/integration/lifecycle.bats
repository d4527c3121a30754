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
	# A start left stuck holds the lock teardown's delete needs.
	[ -z "${START_PID:-}" ] || kill -9 "$START_PID" 2>/dev/null || true
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

# A `start` that never returns holds the container's lock: here its init
# never reaches execve (a startContainer hook that does not end, as a
# notified syscall nobody answers would). delete waits a bounded time and
# names that command; delete --force kills the container's init, which
# ends the start's wait, then removes everything.
@test "delete of a container whose start is stuck: names the holder; --force kills it" {
	update_config '.hooks = {"startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "touch /hook.ran; exec sleep 1000"]}]}'
	hutch_create ct
	pid=$(ct_pid ct)
	"$HUTCH" --root "$ROOT" start ct </dev/null >"$TESTDIR/start.log" 2>&1 3>&- &
	START_PID=$!
	for _ in $(seq 100); do [ -e "$ROOTFS/hook.ran" ] && break; sleep 0.05; done
	[ -e "$ROOTFS/hook.ran" ]
	run hutch delete ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container ct is locked by pid $START_PID ("*" start ct), running for "* ]]
	[[ "$output" == *"delete --force kills"* ]]
	pid_alive "$pid"
	pid_alive "$START_PID"
	run hutch delete --force ct
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"lock is held by pid $START_PID"*"killed its init $pid"* ]]
	# The start noticed and let go (it cannot tell an init killed after
	# the fifo's byte from a process that exited at once).
	wait_pid_gone "$START_PID"
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
