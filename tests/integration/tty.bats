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
	[ -n "$TMUX_S" ] && tmux -L "$TMUX_S" kill-server 2>/dev/null
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

@test "terminal without --console-socket: create and run -d are refused and leave nothing" {
	update_config '.process.terminal = true'
	run hutch run -d --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.terminal: true requires --console-socket with --detach"* ]]
	assert_no_leftovers ct
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *process.terminal*console-socket* ]]
	assert_no_leftovers ct
	assert_root_empty
}

# in_tmux CMD: runs CMD in a shell in a new tmux session of 100x30 cells,
# named $TMUX_S; the pane's text is read with capture-pane.
TMUX_S=
in_tmux() {
	command -v tmux >/dev/null || skip "tmux is not installed"
	TMUX_S=hutch-$MARK
	tmux -L "$TMUX_S" new-session -d -s t -x 100 -y 30 "bash --norc --noprofile"
	tmux -L "$TMUX_S" send-keys -t t "$1" Enter
}
pane() { tmux -L "$TMUX_S" capture-pane -p -t t; }
# wait_pane TEXT: up to 10s for TEXT on the pane.
wait_pane() {
	local i
	for ((i = 0; i < 100; i++)); do
		pane | grep -qF -- "$1" && return 0
		sleep 0.1
	done
	pane >&2
	fail "no '$1' on the pane"
}

@test "run in a terminal without --console-socket: a shell, resize, exit status, modes restored" {
	update_config '.process.terminal = true'
	set_args /bin/sh
	in_tmux "export PS1='host\$ '; stty -g >$TESTDIR/before; $HUTCH --root $ROOT run --bundle $BUNDLE ct; echo status=\$?; stty -g >$TESTDIR/after; echo done-marker"
	wait_pane '/ #'
	tmux -L "$TMUX_S" send-keys -t t 'echo typed-$((6*7)); tty; stty size' Enter
	wait_pane 'typed-42'
	wait_pane '/dev/pts/0'
	wait_pane '30 100'
	tmux -L "$TMUX_S" resize-window -t t -x 120 -y 40
	sleep 0.3
	tmux -L "$TMUX_S" send-keys -t t 'stty size' Enter
	wait_pane '40 120'
	tmux -L "$TMUX_S" send-keys -t t 'exit 7' Enter
	wait_pane 'done-marker'
	pane | grep -qx 'status=7'
	diff "$TESTDIR/before" "$TESTDIR/after" || fail "the caller's terminal modes were not restored"
	assert_no_leftovers ct
}

@test "exec -t in a terminal without --console-socket" {
	set_args /bin/sleep 1000
	hutch_start_bg ct
	in_tmux "stty -g >$TESTDIR/before; $HUTCH --root $ROOT exec -t ct /bin/sh; echo status=\$?; stty -g >$TESTDIR/after; echo done-marker"
	wait_pane '/ #'
	tmux -L "$TMUX_S" send-keys -t t 'tty; stty size; exit 4' Enter
	wait_pane 'done-marker'
	pane | grep -q '^/dev/pts/'
	pane | grep -qx '30 100'
	pane | grep -qx 'status=4'
	diff "$TESTDIR/before" "$TESTDIR/after"
}

@test "run with a terminal and pipes for stdin and stdout" {
	update_config '.process.terminal = true'
	set_args /bin/sh
	run bash -c "printf 'echo piped-\$((1+1))\nexit 5\n' | '$HUTCH' --root '$ROOT' run --bundle '$BUNDLE' ct | tr -d '\r'"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *piped-2* ]]
	# The end of the input reaches the program as the terminal's EOF.
	set_args /bin/cat
	run bash -c "echo through-cat | '$HUTCH' --root '$ROOT' run --bundle '$BUNDLE' ct2 >'$TESTDIR/cat.out'; echo rc=\$?"
	[ "$output" = rc=0 ]
	[ "$(tr -d '\r' <"$TESTDIR/cat.out" | grep -c through-cat)" -ge 1 ]
	assert_no_leftovers ct2
	# The container's lines end in "\n" alone, as with runc (ONLCR off on
	# the pty): what a script reads is what the program printed.
	set_args /bin/sh -c 'echo one; echo two'
	"$HUTCH" --root "$ROOT" run --bundle "$BUNDLE" ct3 </dev/null >"$TESTDIR/lines.out"
	[ "$(od -An -c "$TESTDIR/lines.out" | tr -s ' ')" = " o n e \n t w o \n" ]
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

@test "the pty belongs to process.user.uid, its group devpts's gid=, as runc" {
	update_config '.process.terminal = true | .process.user = {uid: 1000, gid: 100}'
	set_args /bin/sh -c 'stat -c %u:%g $(tty)'
	run bash -c "'$HUTCH' --root '$ROOT' run --bundle '$BUNDLE' ct </dev/null"
	[ "$status" -eq 0 ]
	[ "$output" = 1000:5 ]
}
