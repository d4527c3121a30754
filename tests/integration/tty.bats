#!/usr/bin/env bats
# process.terminal with --console-socket: the pty master goes to the socket,
# the slave is the process's stdio and controlling terminal.

load helpers

RECVTTY=$REPO/tests/.cache/recvtty

setup() {
	[ -x "$RECVTTY" ] || fail "no $RECVTTY (make testtools)"
	hutch_setup
	SOCK=$TESTDIR/console.sock
}

teardown() {
	hutch_teardown
}

# start_recvtty: a console socket that copies the terminal to $TESTDIR/tty.out.
start_recvtty() {
	"$RECVTTY" --ready "$TESTDIR/ready" "$SOCK" >"$TESTDIR/tty.out" 2>&1 &
	RECV_PID=$!
	for _ in $(seq 50); do [ -e "$TESTDIR/ready" ] && return 0; sleep 0.1; done
	fail "recvtty did not start"
}

@test "terminal: the process has a pty of the container's devpts with consoleSize" {
	update_config '.process.terminal = true | .process.consoleSize = {height: 40, width: 100}'
	set_args /bin/sh -c 'tty; stty size; readlink /proc/self/fd/0'
	start_recvtty
	run hutch run --console-socket "$SOCK" --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	wait "$RECV_PID" || true
	run tr -d '\r' <"$TESTDIR/tty.out"
	[ "${lines[0]}" = /dev/pts/0 ]
	[ "${lines[1]}" = "40 100" ]
	[ "${lines[2]}" = /dev/pts/0 ]
}

@test "terminal: it is the controlling terminal of the process's session" {
	update_config '.process.terminal = true'
	# /dev/tty opens only with a controlling terminal.
	set_args /bin/sh -c 'echo hi >/dev/tty && echo ctty-ok'
	start_recvtty
	run hutch run --console-socket "$SOCK" --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	wait "$RECV_PID" || true
	grep -q ctty-ok "$TESTDIR/tty.out"
}

@test "terminal without --console-socket is refused and leaves nothing" {
	update_config '.process.terminal = true'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *process.terminal*console-socket* ]]
	assert_no_leftovers ct
}

@test "exec -t with a console socket gets a pty" {
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	hutch_start_bg ct
	start_recvtty
	run hutch exec -t --console-socket "$SOCK" ct sh -c 'tty; echo exec-tty-ok'
	[ "$status" -eq 0 ]
	wait "$RECV_PID" || true
	run tr -d '\r' <"$TESTDIR/tty.out"
	[[ "${lines[0]}" == /dev/pts/* ]]
	[ "${lines[1]}" = exec-tty-ok ]
}

@test "a console socket nobody listens on names --console-socket" {
	update_config '.process.terminal = true'
	run hutch run --console-socket "$TESTDIR/nobody.sock" --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *console-socket* ]]
	assert_no_leftovers ct
}
