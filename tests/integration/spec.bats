#!/usr/bin/env bats
# hutch spec and the global CLI surface.

load helpers

setup() {
	[ -x "$HUTCH" ] || fail "no hutch binary at $HUTCH"
	TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/hutch-test.XXXXXX")
	ROOT=$TESTDIR/state
	BUNDLE=$TESTDIR/bundle
	MARK=$(basename "$TESTDIR")
	touch "$TESTDIR/.started"
	mkdir -p "$BUNDLE" "$ROOT"
}

teardown() {
	hutch_teardown
}

@test "spec writes a valid config.json into the current directory" {
	cd "$BUNDLE"
	run "$HUTCH" spec
	[ "$status" -eq 0 ]
	[ -f config.json ]
	run jq -r '.ociVersion, .root.path, (.process.args | length > 0), (.linux.namespaces | map(.type) | index("mount") != null)' config.json
	[ "$status" -eq 0 ]
	[ "${lines[0]}" != null ] && [ -n "${lines[0]}" ]
	[ "${lines[1]}" = rootfs ]
	[ "${lines[2]}" = true ]
	[ "${lines[3]}" = true ]
}

@test "spec --bundle writes into that directory" {
	run "$HUTCH" spec --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	jq -e .process "$BUNDLE/config.json" >/dev/null
}

@test "spec refuses to overwrite an existing config.json" {
	echo '{"mine": true}' >"$BUNDLE/config.json"
	run "$HUTCH" spec --bundle "$BUNDLE"
	[ "$status" -ne 0 ]
	[[ "$output" == *config.json* ]]
	[ "$(cat "$BUNDLE/config.json")" = '{"mine": true}' ]
}

@test "spec --rootless adds a user namespace mapping the caller's ids" {
	run "$HUTCH" spec --rootless --bundle "$BUNDLE"
	[ "$status" -eq 0 ]
	run jq -c '[.linux.namespaces[] | select(.type == "user")] | length' "$BUNDLE/config.json"
	[ "$output" = 1 ]
	run jq -c '.linux.uidMappings' "$BUNDLE/config.json"
	[ "$output" = "[{\"containerID\":0,\"hostID\":$(id -u),\"size\":1}]" ]
	run jq -c '.linux.gidMappings' "$BUNDLE/config.json"
	[ "$output" = "[{\"containerID\":0,\"hostID\":$(id -g),\"size\":1}]" ]
	# A user namespace cannot create a new network namespace's devices or
	# own the host's; rootless configs keep the host network.
	run jq -c '[.linux.namespaces[] | select(.type == "network")] | length' "$BUNDLE/config.json"
	[ "$output" = 0 ]
}

@test "--version prints the hutch and runtime-spec versions" {
	run "$HUTCH" --version
	[ "$status" -eq 0 ]
	[[ "$output" == *version* ]]
	[[ "$output" =~ spec:\ 1\.[0-9]+ ]]
}

@test "an unknown command fails" {
	run "$HUTCH" --root "$ROOT" frobnicate
	[ "$status" -ne 0 ]
}
