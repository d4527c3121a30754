#!/usr/bin/env bats
# hutch events: stats snapshots and OOM notifications from the cgroup.

load helpers

setup() {
	hutch_setup
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
}

teardown() {
	[ -n "${EVPID:-}" ] && kill "$EVPID" 2>/dev/null
	hutch_teardown
}

# wait_exit PID SECONDS: wait for a background job; fails on timeout.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || {
			wait "$1"
			return
		}
		sleep 0.1
	done
	fail "process $1 still running after $2s"
}

@test "events --stats prints one stats object with memory, pids and cpu" {
	hutch_start_bg cmd-ev
	wait_file_contains "$TESTDIR/cmd-ev.out" ready
	run hutch events --stats cmd-ev
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[ "$(jq -r .type <<<"$output")" = stats ]
	[ "$(jq -r .id <<<"$output")" = cmd-ev ]
	jq -e '.data.memory.usage.usage > 0' <<<"$output"
	jq -e '.data.memory.usage | has("limit") and has("failcnt")' <<<"$output"
	jq -e '.data.memory.raw | length > 0' <<<"$output"
	jq -e '.data.pids.current >= 1' <<<"$output"
	jq -e '.data.cpu.usage.total > 0' <<<"$output"
	jq -e '.data.cpu | has("throttling")' <<<"$output"
	jq -e '.data | has("blkio") and has("hugetlb")' <<<"$output"
}

@test "events --stats reports the configured limits" {
	update_config '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 42'
	hutch_start_bg cmd-ev
	run hutch events --stats cmd-ev
	[ "$status" -eq 0 ]
	[ "$(jq .data.memory.usage.limit <<<"$output")" -eq 67108864 ]
	[ "$(jq .data.pids.limit <<<"$output")" -eq 42 ]
}

@test "events of a stopped or unknown container fails" {
	set_args /bin/true
	hutch_start_bg cmd-ev
	wait_status cmd-ev stopped
	run hutch events --stats cmd-ev
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* ]]
	run hutch events cmd-ev
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* ]]
	run hutch events --stats cmd-nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "events streams stats every interval and ends when the container stops" {
	hutch_start_bg cmd-ev
	hutch events --interval 100ms cmd-ev >"$TESTDIR/ev.out" 2>"$TESTDIR/ev.err" &
	EVPID=$!
	for ((i = 0; i < 50; i++)); do
		[ "$(grep -c '"type":"stats"' "$TESTDIR/ev.out")" -ge 3 ] && break
		sleep 0.1
	done
	[ "$(grep -c '"type":"stats"' "$TESTDIR/ev.out")" -ge 3 ]
	hutch kill cmd-ev KILL
	wait_exit "$EVPID" 5
	EVPID=
	# Every line is a complete stats event of this container.
	jq -se 'all(.type == "stats" and .id == "cmd-ev" and (.data.pids | has("current")))' "$TESTDIR/ev.out"
}

@test "events rejects a bad interval" {
	hutch_start_bg cmd-ev
	run hutch events --interval 0s cmd-ev
	[ "$status" -ne 0 ]
	[[ "$output" == *"--interval"* ]]
}

@test "events reports an OOM kill of the container's init" {
	# 20M of memory (and of memory+swap where swap is accounted), and a
	# shell that doubles a string until the OOM killer stops it, once
	# events is watching.
	update_config '.linux.resources.memory.limit = 20971520'
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || [ -e /sys/fs/cgroup/memory.swap.max ]; then
		update_config '.linux.resources.memory.swap = 20971520'
	fi
	set_args /bin/sh -c 'while [ ! -e /go ]; do sleep 0.05; done; x=0123456789abcdef; while :; do x=$x$x; done'
	hutch_start_bg cmd-oom
	hutch events --interval 100ms cmd-oom >"$TESTDIR/ev.out" 2>"$TESTDIR/ev.err" &
	EVPID=$!
	wait_file_contains "$TESTDIR/ev.out" '"type":"stats"'
	touch "$ROOTFS/go"
	wait_exit "$EVPID" 30
	EVPID=
	grep -qxF '{"type":"oom","id":"cmd-oom"}' "$TESTDIR/ev.out" || {
		cat "$TESTDIR/ev.out" "$TESTDIR/ev.err"
		false
	}
	wait_status cmd-oom stopped
	hutch delete cmd-oom
	assert_no_leftovers cmd-oom
}

@test "events reports an OOM kill of a child and keeps streaming" {
	update_config '.linux.resources.memory.limit = 20971520'
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || [ -e /sys/fs/cgroup/memory.swap.max ]; then
		update_config '.linux.resources.memory.swap = 20971520'
	fi
	# The subshell grows and is the OOM killer's pick; the init survives.
	set_args /bin/sh -c 'while [ ! -e /go ]; do sleep 0.05; done; (x=0123456789abcdef; while :; do x=$x$x; done); echo survived; exec sleep 1000'
	hutch_start_bg cmd-oom
	hutch events --interval 100ms cmd-oom >"$TESTDIR/ev.out" 2>"$TESTDIR/ev.err" &
	EVPID=$!
	wait_file_contains "$TESTDIR/ev.out" '"type":"stats"'
	touch "$ROOTFS/go"
	wait_file_contains "$TESTDIR/cmd-oom.out" survived
	wait_file_contains "$TESTDIR/ev.out" '{"type":"oom","id":"cmd-oom"}'
	# Still streaming after the OOM.
	n=$(grep -c '"type":"stats"' "$TESTDIR/ev.out")
	sleep 0.5
	[ "$(grep -c '"type":"stats"' "$TESTDIR/ev.out")" -gt "$n" ]
	kill -0 "$EVPID"
	[ "$(ct_status cmd-oom)" = running ]
	hutch delete --force cmd-oom
	wait_exit "$EVPID" 5
	EVPID=
	assert_no_leftovers cmd-oom
}
