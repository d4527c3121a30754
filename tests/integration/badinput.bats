#!/usr/bin/env bats
# Invalid bundles and ids: a clear error, non-zero exit, nothing left behind.

load helpers

setup() {
	hutch_setup
	set_args /bin/true
}

teardown() {
	hutch_teardown
}

# expect_create_error REGEX [ID]: create fails, the error matches, and
# nothing of the container remains.
expect_create_error() {
	local re=$1 id=${2:-ct}
	try_create "$id"
	[ "$status" -ne 0 ]
	[[ "$output" =~ $re ]] || fail "error does not match /$re/"
	assert_no_leftovers "$id"
	assert_root_empty
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	expect_create_error 'config\.json'
}

@test "missing bundle directory" {
	BUNDLE=$TESTDIR/nope try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"$TESTDIR/nope"* ]]
	assert_root_empty
}

@test "invalid JSON: the error names config.json and the line" {
	printf '{\n  "ociVersion": "1.2.0",\n  "process": {\n    oops\n  }\n}\n' >"$BUNDLE/config.json"
	expect_create_error 'config\.json.*(line 4|:4:)'
}

@test "wrong JSON type for a field" {
	update_config '.process.args = "not-an-array"'
	expect_create_error 'config\.json|process\.args'
}

@test "missing rootfs names root.path" {
	rm -rf "$ROOTFS"
	expect_create_error 'root\.path'
}

@test "rootfs that is a file names root.path" {
	rm -rf "$ROOTFS"
	touch "$ROOTFS"
	expect_create_error 'root\.path'
}

@test "empty process.args" {
	update_config '.process.args = []'
	expect_create_error 'process\.args'
}

@test "process.cwd must be absolute" {
	update_config '.process.cwd = "relative/dir"'
	expect_create_error 'process\.cwd'
}

@test "a NUL byte in a string the init reads is refused, naming the field" {
	# JSON can carry one; a C string would end there.
	update_config '.process.args = ["sh", "-c", "echo a\u0000b"]'
	expect_create_error 'process\.args\[2\]: contains a NUL byte'
	# Refused by validation, before any init process exists.
	if command -v strace >/dev/null; then
		strace -f -qq -e trace=execve -o "$TESTDIR/nul.strace" "$HUTCH" --root "$ROOT" create --bundle "$BUNDLE" ct </dev/null 2>/dev/null && fail "create succeeded"
		! grep -q '"hutch", "init"' "$TESTDIR/nul.strace" || fail "an init was started"
	fi
	update_config '.process.args = ["true"] | .linux.maskedPaths += ["/proc/x\u0000y"]'
	expect_create_error 'linux\.maskedPaths\[[0-9]+\]: contains a NUL byte'
}

@test "args[0] not found in PATH" {
	set_args nonexistent-command
	expect_create_error 'executable file not found in \$PATH'
}

@test "args[0] absolute path that does not exist" {
	set_args /no/such/binary
	expect_create_error '/no/such/binary.*(no such file|not found)|(no such file|not found).*/no/such/binary'
}

@test "args[0] not executable" {
	printf '#!/bin/sh\necho hi\n' >"$ROOTFS/noexec.sh"
	chmod 0644 "$ROOTFS/noexec.sh"
	set_args /noexec.sh
	expect_create_error '[Pp]ermission denied'
}

@test "run of a missing executable fails and leaves nothing" {
	set_args nonexistent-command
	run hutch run --bundle "$BUNDLE" ct </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"executable file not found"* ]]
	assert_no_leftovers ct
	assert_root_empty
}

@test "invalid container ids" {
	local id
	for id in "a/b" ".." "." "" "../escape" "with space" "$(printf 'nl\nid')"; do
		try_create "$id"
		[ "$status" -ne 0 ]
		assert_root_empty
	done
	# Nothing was written next to the root either.
	[ ! -e "$TESTDIR/state.json" ] && [ ! -e "$TESTDIR/escape" ]
	[ -z "$(mounts_under "$BUNDLE")" ]
	[ -z "$(leftover_pids)" ]
}

@test "duplicate id" {
	set_args /bin/sleep 1000
	hutch_create ct
	pid=$(ct_pid ct)
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *ct* ]]
	[[ "$output" == *exist* ]]
	[ "$(ct_status ct)" = created ]
	[ "$(ct_pid ct)" = "$pid" ]
}

@test "unknown namespace type names linux.namespaces" {
	update_config '.linux.namespaces += [{type: "bogus"}]'
	expect_create_error 'linux\.namespaces'
}

@test "duplicate namespace type names linux.namespaces" {
	update_config '.linux.namespaces += [{type: "uts"}, {type: "uts"}]'
	expect_create_error 'linux\.namespaces'
}

@test "hostname without a new uts namespace is refused" {
	update_config '.hostname = "x" | .linux.namespaces |= map(select(.type != "uts"))'
	expect_create_error 'hostname|uts'
}

# Like runc (runtime-spec 1.0 configs have them), a relative destination is
# taken from "/" rather than refused.
@test "relative mount destination is mounted relative to /" {
	update_config '.mounts += [{destination: "relative", type: "tmpfs", source: "tmpfs"}]'
	set_args /bin/sh -c 'grep " /relative " /proc/self/mountinfo | cut -d" " -f5,9'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = "/relative tmpfs" ]
}

@test "a failing mount names the mount and leaves nothing" {
	update_config '.mounts += [{destination: "/vol", type: "bind", source: "/no/such/source", options: ["bind"]}]'
	expect_create_error '/no/such/source|/vol'
}

@test "user namespace without mappings is refused" {
	update_config '.linux.namespaces += [{type: "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
	expect_create_error '[Mm]appings|user'
}

@test "unknown --log-format is refused" {
	run "$HUTCH" --root "$ROOT" --log-format yaml list
	[ "$status" -ne 0 ]
	[[ "$output" == *log-format* ]]
}
