#!/usr/bin/env bats
# hutch ps: the container's processes as host pids (json) or a filtered ps table.

load helpers

setup() {
	hutch_setup
	# The init and one child, so ps has more than the init to find.
	set_args /bin/sh -c 'sleep 1000 & echo ready; wait'
}

teardown() {
	hutch_teardown
}

start_two() {
	hutch_start_bg cmd-ps
	wait_file_contains "$TESTDIR/cmd-ps.out" ready
	pid=$(ct_pid cmd-ps)
}

@test "ps --format json lists the init and its child as host pids" {
	start_two
	run hutch ps --format json cmd-ps
	[ "$status" -eq 0 ]
	[ "$(jq -r 'type' <<<"$output")" = array ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output"
	child=$(jq -r --argjson p "$pid" 'map(select(. != $p))[0]' <<<"$output")
	[ "$(tr '\0' ' ' </proc/"$child"/cmdline)" = "sleep 1000 " ]
}

@test "ps table keeps the header and only the container's lines" {
	start_two
	run hutch ps cmd-ps
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[ "${#lines[@]}" -eq 3 ]
	# The PID column of ps -ef is the second one.
	[ "$(printf '%s\n' "${lines[@]:1}" | awk '{print $2}' | sort -n | head -1)" -eq "$pid" ]
	[[ "$output" == *"sleep 1000"* ]]
}

@test "ps table passes ps options through" {
	start_two
	run hutch ps cmd-ps -o pid,comm
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | awk '{print $1, $2}')" = "PID COMMAND" ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "$output" == *sleep* ]]
	# Options without a PID column cannot be filtered.
	run hutch ps cmd-ps -o comm
	[ "$status" -ne 0 ]
	[[ "$output" == *"PID field"* ]]
}

@test "ps of a stopped container lists nothing and succeeds, as runc" {
	set_args /bin/true
	hutch_start_bg cmd-ps
	wait_status cmd-ps stopped
	run hutch ps --format json cmd-ps
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" = 0 ]
	run hutch ps cmd-ps
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ] # the header
	hutch delete cmd-ps
	assert_no_leftovers cmd-ps
}

@test "ps of an unknown container or with a bad format fails" {
	run hutch ps --format json cmd-nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	start_two
	run hutch ps --format yaml cmd-ps
	[ "$status" -ne 0 ]
	[[ "$output" == *"--format"* ]]
	run hutch ps
	[ "$status" -ne 0 ]
}

@test "ps of a created container lists its init" {
	hutch_create cmd-ps
	run hutch ps --format json cmd-ps
	[ "$status" -eq 0 ]
	[ "$(jq -c . <<<"$output")" = "[$(ct_pid cmd-ps)]" ]
}
