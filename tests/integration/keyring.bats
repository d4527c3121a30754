#!/usr/bin/env bats
# The container's session keyring: its own "_ses.<id>" by default (as runc),
# shared by the processes exec'd into it; the caller's with --no-new-keyring;
# never a keyring of that name that somebody else made joinable first.

load helpers

setup() {
	hutch_setup
	local probe=$REPO/tests/.cache/keyctl
	[ -x "$probe" ] || fail "no $probe (make testtools)"
	cp "$probe" "$ROOTFS/bin/keyctl"
	KEYCTL=$probe
}

teardown() {
	[ -z "${PLANTER:-}" ] || kill -9 "$PLANTER" 2>/dev/null || true
	hutch_teardown
}

# session_of ID: the session keyring of the container's init, then of an
# exec'd process as uid 1000 ("SERIAL PERM NAME" each).
session_of() {
	hutch exec "$1" keyctl session
	hutch exec -u 1000 "$1" keyctl session
}

@test "keyring: the init gets its own session keyring _ses.<id>, which exec joins" {
	set_args /bin/sh -c 'keyctl session >/keyring.init; exec sleep 100'
	hutch_start_bg ct
	wait_file_contains "$ROOTFS/keyring.init" _ses
	read -r serial perm name <"$ROOTFS/keyring.init"
	[ "$name" = _ses.ct ]
	# Searchable by its owner, so that exec can join it by name.
	[ "$perm" = 3f1b0000 ]
	[ "$serial" != "$("$KEYCTL" session | cut -d' ' -f1)" ]
	run session_of ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$serial $perm _ses.ct" ]
	[ "${lines[1]}" = "$serial $perm _ses.ct" ]
	[ "$(hutch state ct | jq -r .keyring)" = null ] # not in the OCI state
}

@test "keyring: --no-new-keyring keeps the caller's session keyring, for exec too" {
	set_args /bin/sh -c 'keyctl session >/keyring.init; exec sleep 100'
	hutch_start_bg ct --no-new-keyring
	wait_file_contains "$ROOTFS/keyring.init" _
	mine=$("$KEYCTL" session)
	[ "$(cat "$ROOTFS/keyring.init")" = "$mine" ]
	run hutch exec ct keyctl session
	[ "$status" -eq 0 ]
	[ "$output" = "$mine" ]
}

@test "keyring: in a user namespace the keyring is the container root's, and exec joins it" {
	update_config '.linux.namespaces |= map(select(.type != "user")) + [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_args /bin/sh -c 'keyctl session >/tmp/keyring.init; exec sleep 100'
	hutch_start_bg ct
	wait_file_contains "$ROOTFS/tmp/keyring.init" _ses
	read -r serial perm name <"$ROOTFS/tmp/keyring.init"
	[ "$name" = _ses.ct ]
	run session_of ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$serial $perm _ses.ct" ]
	[ "${lines[1]}" = "$serial $perm _ses.ct" ]
}

@test "keyring: a joinable _ses.<id> made beforehand by another process is not shared" {
	# Another root process (a rootful container's, say) plants the name of
	# the next container's keyring, made joinable by uid 0.
	"$KEYCTL" plant _ses.victim /bin/sleep 100 >"$TESTDIR/planted" 3>&- &
	PLANTER=$!
	wait_file_contains "$TESTDIR/planted" _ses.victim
	read -r planted _ <"$TESTDIR/planted"
	set_args /bin/sh -c 'keyctl session >/keyring.init; exec sleep 100'
	hutch_start_bg victim
	wait_file_contains "$ROOTFS/keyring.init" _ses
	read -r serial _ <"$ROOTFS/keyring.init"
	[ "$serial" != "$planted" ]
	# exec finds the planted one by name, sees that it is not the init's,
	# and takes a new one of its own instead.
	run session_of victim
	[ "$status" -eq 0 ]
	mine=$("$KEYCTL" session | cut -d' ' -f1)
	for l in "${lines[@]}"; do
		s=${l%% *}
		[ "$s" != "$planted" ] && [ "$s" != "$mine" ]
	done
}
