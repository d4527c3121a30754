#!/usr/bin/env bats
# --log and --log-format, as engines (containerd, podman) use them.

load helpers

setup() {
	hutch_setup
	set_args /bin/true
}

teardown() {
	hutch_teardown
}

@test "--log-format json: an error becomes a JSON line with level, msg, time" {
	rm -rf "$ROOTFS"
	HUTCH_GLOBAL="--log $TESTDIR/log.json --log-format json" try_create ct
	[ "$status" -ne 0 ]
	[ -s "$TESTDIR/log.json" ]
	# Every non-empty line is one JSON object with the three keys.
	run jq -c 'select(type != "object" or (has("level") and has("msg") and has("time") | not))' "$TESTDIR/log.json"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run jq -r 'select(.level == "error") | .msg' "$TESTDIR/log.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *root.path* ]]
	# time is RFC 3339.
	jq -e 'select(.level == "error") | .time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")' "$TESTDIR/log.json"
}

@test "--log text: the error is in the file" {
	rm -rf "$ROOTFS"
	HUTCH_GLOBAL="--log $TESTDIR/log.txt" try_create ct
	[ "$status" -ne 0 ]
	grep -q 'root.path' "$TESTDIR/log.txt"
	grep -q 'level=error' "$TESTDIR/log.txt"
}

@test "--log: a successful run writes no error lines" {
	run hutch --log "$TESTDIR/log.json" --log-format json run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	if [ -s "$TESTDIR/log.json" ]; then
		run jq -r 'select(.level == "error" or .level == "fatal")' "$TESTDIR/log.json"
		[ -z "$output" ]
	fi
}

@test "--timings: create, start and exec log their phases as JSON fields" {
	set_args sleep 100
	HUTCH_GLOBAL="--log $TESTDIR/t.json --log-format json --timings" hutch_create ct
	HUTCH_GLOBAL="--log $TESTDIR/t.json --log-format json --timings" hutch start ct
	HUTCH_GLOBAL="--log $TESTDIR/t.json --log-format json --timings" hutch exec ct true
	cat "$TESTDIR/t.json"
	# One entry per operation; every phase is a number of milliseconds.
	for op in create start exec; do
		[ "$(jq -c "select(.op == \"$op\")" "$TESTDIR/t.json" | wc -l)" -eq 1 ]
	done
	# The parent's phases and the init's (the executor's), which came with
	# ready.
	for f in load_config validate cgroup spawn plan_ahead namespaces send_plan save_pid wait_init_mounts hooks \
		wait_init_ready init_mounts init_devices init_pivot_root \
		init_masked_readonly_paths init_process_setup save_state; do
		jq -se "map(select(.op == \"create\"))[0].phase_${f}_ms | type == \"number\" and . >= 0" "$TESTDIR/t.json"
	done
	jq -se 'map(select(.op == "create"))[0].total_ms > 0' "$TESTDIR/t.json"
	jq -se 'map(select(.op == "start"))[0].phase_release_fifo_until_execve_ms | type == "number"' "$TESTDIR/t.json"
	# exec: the plan sent once the process is in the namespaces, then the
	# executor's execve (EOF on the socket).
	for f in spawn namespaces send_plan execve; do
		jq -se "map(select(.op == \"exec\"))[0].phase_${f}_ms | type == \"number\"" "$TESTDIR/t.json"
	done
	hutch delete -f ct
}

@test "--timings is off by default and on with --debug" {
	HUTCH_GLOBAL="--log $TESTDIR/off.json --log-format json" hutch run --bundle "$BUNDLE" a
	run jq -c 'select(.total_ms != null)' "$TESTDIR/off.json"
	[ -z "$output" ]
	HUTCH_GLOBAL="--log $TESTDIR/dbg.json --log-format json --debug" hutch run --bundle "$BUNDLE" b
	jq -se 'map(select(.op == "create"))[0].phase_init_mounts_ms | type == "number"' "$TESTDIR/dbg.json"
}
