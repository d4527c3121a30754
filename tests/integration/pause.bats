#!/usr/bin/env bats
# hutch pause / resume: freeze and thaw the container's cgroup.

load helpers

setup() {
	hutch_setup
	# A counter that only advances while the container runs. Written
	# through a rename: a reader never sees the file truncated and empty.
	set_args /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
}

teardown() {
	hutch_teardown
}

# freezer_state ID: the v1 freezer state, or FROZEN/THAWED from cgroup.freeze on v2.
freezer_state() {
	if [ -e "/sys/fs/cgroup/freezer/hutch/$1/freezer.state" ]; then
		cat "/sys/fs/cgroup/freezer/hutch/$1/freezer.state"
	elif [ "$(cat "/sys/fs/cgroup/hutch/$1/cgroup.freeze")" = 1 ]; then
		echo FROZEN
	else
		echo THAWED
	fi
}

count() { cat "$ROOTFS/tmp/count" 2>/dev/null || echo 0; }

start_counter() {
	hutch_start_bg cmd-pause
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(count)" -gt 1 ] && return 0
		sleep 0.1
	done
	fail "counter did not start"
}

@test "pause freezes the container and resume thaws it" {
	start_counter
	run hutch pause cmd-pause
	[ "$status" -eq 0 ]
	[ "$(ct_status cmd-pause)" = paused ]
	[ "$(freezer_state cmd-pause)" = FROZEN ]
	a=$(count)
	sleep 0.5
	[ "$(count)" = "$a" ]

	run hutch resume cmd-pause
	[ "$status" -eq 0 ]
	[ "$(ct_status cmd-pause)" = running ]
	[ "$(freezer_state cmd-pause)" = THAWED ]
	sleep 0.5
	[ "$(count)" -gt "$a" ]
}

@test "pause of a paused or stopped container fails" {
	start_counter
	hutch pause cmd-pause
	run hutch pause cmd-pause
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	hutch resume cmd-pause
	hutch kill cmd-pause KILL
	wait_status cmd-pause stopped
	run hutch pause cmd-pause
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
}

@test "pause of a created container: paused, start refused until resume, as runc" {
	hutch_create cmd-pause
	hutch pause cmd-pause
	[ "$(freezer_state cmd-pause)" = FROZEN ]
	[ "$(ct_status cmd-pause)" = paused ]
	run hutch start cmd-pause
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot start a container in the paused state"* ]]
	hutch resume cmd-pause
	[ "$(ct_status cmd-pause)" = created ]
	hutch start cmd-pause
	[ "$(ct_status cmd-pause)" = running ]
}

@test "delete --force of a paused created container leaves nothing" {
	hutch_create cmd-pause
	hutch pause cmd-pause
	run hutch delete cmd-pause
	[ "$status" -ne 0 ]
	[[ "$output" == *"not stopped: paused"* ]]
	hutch delete --force cmd-pause
	assert_no_leftovers cmd-pause
}

@test "resume of a container that is not paused fails" {
	start_counter
	run hutch resume cmd-pause
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not paused"* ]]
	[ "$(ct_status cmd-pause)" = running ]
}

@test "pause and resume of an unknown container fail" {
	run hutch pause cmd-nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
	run hutch resume cmd-nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "delete --force of a paused container leaves nothing" {
	start_counter
	pid=$(ct_pid cmd-pause)
	hutch pause cmd-pause
	run hutch delete --force cmd-pause
	[ "$status" -eq 0 ]
	assert_no_leftovers cmd-pause "$pid"
}

# kill_paused [--all]: start the counter, pause it, `hutch kill [--all]
# ... KILL` it; it must stop and leave nothing once deleted.
kill_paused() {
	start_counter
	pid=$(ct_pid cmd-pause)
	hutch pause cmd-pause
	run hutch kill "$@" cmd-pause KILL
	[ "$status" -eq 0 ]
	wait_status cmd-pause stopped
	wait_pid_gone "$pid"
	run hutch delete cmd-pause
	[ "$status" -eq 0 ]
	assert_no_leftovers cmd-pause "$pid"
}

@test "kill KILL of a paused container: it dies, as with runc" {
	kill_paused
}

@test "kill --all KILL of a paused container: every process dies" {
	set_args /bin/sh -c 'sleep 1000 & i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
	kill_paused --all
}

@test "kill of a paused container with another signal leaves it paused" {
	start_counter
	hutch pause cmd-pause
	run hutch kill cmd-pause USR1
	[ "$status" -eq 0 ]
	[ "$(ct_status cmd-pause)" = paused ]
	[ "$(freezer_state cmd-pause)" = FROZEN ]
}
