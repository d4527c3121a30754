#!/usr/bin/env bats
# hutch list: table, -q and JSON.

load helpers

setup() {
	hutch_setup
	set_args /bin/sleep 1000
}

teardown() {
	hutch_teardown
}

@test "list of an empty root" {
	run hutch list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run hutch list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 0 ]
}

@test "list: table with a header and one line per container" {
	hutch_create c1
	hutch_start_bg c2
	run hutch list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" =~ ^ID\ +PID\ +STATUS\ +BUNDLE\ +CREATED\ +OWNER\ *$ ]]
	[[ "${lines[1]}" =~ ^c1\ +$(ct_pid c1)\ +created\ +$BUNDLE\ +[0-9]{4}-.*\ +root\ *$ ]]
	[[ "${lines[2]}" =~ ^c2\ +$(ct_pid c2)\ +running\ +$BUNDLE\ + ]]
}

@test "list -q prints only ids" {
	hutch_create c1
	hutch_create c2
	run hutch list -q
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sort | tr '\n' ' ')" = "c1 c2 " ]
}

@test "list --format json" {
	hutch_create c1
	hutch_start_bg c2
	run hutch list --format json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 2 ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c1") | .status')" = created ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c2") | .status')" = running ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c2") | .pid')" = "$(ct_pid c2)" ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "c1") | .bundle')" = "$BUNDLE" ]
}

@test "list shows a stopped container as stopped" {
	hutch_start_bg c1
	hutch kill c1 KILL
	wait_status c1 stopped
	run hutch list --format json
	[ "$(echo "$output" | jq -r '.[0].status')" = stopped ]
}

@test "list: a --root that does not exist is an error, as runc; json fields in runc's order" {
	run "$HUTCH" --root "$TESTDIR/nonexistent" list
	[ "$status" -eq 1 ]
	[[ "$output" == *"--root: stat $TESTDIR/nonexistent: no such file or directory"* ]]
	set_args /bin/sleep 100
	hutch_start_bg ct
	run hutch list --format json
	[ "$status" -eq 0 ]
	[ "$(jq -c '.[0] | keys_unsorted' <<<"$output")" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' ]
	run hutch state ct
	[ "$(jq -c 'keys_unsorted' <<<"$output")" = '["ociVersion","id","pid","status","bundle","rootfs","created","owner"]' ]
}
