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
