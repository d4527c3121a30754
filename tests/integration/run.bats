#!/usr/bin/env bats
# hutch run: create + start + wait, process attributes seen from inside.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

@test "run: exit status 0 and the container's stdout reaches the caller" {
	set_args /bin/echo hello from inside
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = "hello from inside" ]
	assert_no_leftovers ct
}

@test "run: exit status of the process is passed through" {
	set_args /bin/sh -c 'exit 3'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 3 ]
	assert_no_leftovers ct
}

@test "run: stderr of the container reaches the caller's stderr" {
	set_args /bin/sh -c 'echo to-out; echo to-err >&2'
	hutch run --bundle "$BUNDLE" ct >"$TESTDIR/o" 2>"$TESTDIR/e"
	[ "$(cat "$TESTDIR/o")" = to-out ]
	grep -qx to-err "$TESTDIR/e"
}

@test "run: killed by SIGKILL gives 128+9" {
	set_args /bin/sleep 1000
	hutch run --bundle "$BUNDLE" ct </dev/null >"$TESTDIR/o" 2>"$TESTDIR/e" 3>&- &
	local runner=$!
	wait_status ct running
	pid=$(ct_pid ct)
	hutch kill ct KILL
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 137 ]
	assert_no_leftovers ct "$pid"
}

@test "run: the command's Go heap is advised for huge pages (libcontainer/gomem)" {
	set_args /bin/sleep 1000
	echo ct >>"$TESTDIR/.ids"
	"$HUTCH" --root "$ROOT" run --bundle "$BUNDLE" ct </dev/null >"$TESTDIR/o" 2>"$TESTDIR/e" 3>&- &
	local runner=$!
	wait_status ct running
	# hg in VmFlags is MADV_HUGEPAGE: only the mmap wrapper asks for it.
	local advised=0
	grep -q '^VmFlags:.* hg' "/proc/$runner/smaps" && advised=1
	hutch kill ct KILL
	wait "$runner" || true
	[ "$advised" -eq 1 ] || fail "no mapping of the hutch run process is advised for huge pages"
}

@test "run: the init process can be killed by a signal it handles" {
	set_args /bin/sh -c 'trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	hutch run --bundle "$BUNDLE" ct </dev/null >"$TESTDIR/o" 2>"$TESTDIR/e" 3>&- &
	local runner=$!
	wait_file_contains "$TESTDIR/o" ready
	hutch kill ct TERM
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 7 ]
}

@test "run: signals sent to hutch run are forwarded to the container process" {
	# 37 is SIGRTMIN+3, what systemd in a container takes as "halt".
	set_args /bin/sh -c 'trap "echo got-usr1" USR1; trap "echo got-hup" HUP; trap "echo got-37" 37; trap "exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	hutch run --bundle "$BUNDLE" ct </dev/null >"$TESTDIR/o" 2>"$TESTDIR/e" 3>&- &
	local runner=$! rpid
	wait_file_contains "$TESTDIR/o" ready
	# The helper runs hutch under timeout(1) in a subshell: signal the
	# hutch process itself, found by this test's --root.
	local p
	for p in $(pgrep -x "$(basename "$HUTCH" | cut -c1-15)"); do
		tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF -- "--root $ROOT run " && rpid=$p
	done
	[ -n "$rpid" ]
	kill -USR1 "$rpid"
	wait_file_contains "$TESTDIR/o" got-usr1
	kill -HUP "$rpid"
	wait_file_contains "$TESTDIR/o" got-hup
	kill -37 "$rpid"
	wait_file_contains "$TESTDIR/o" got-37
	kill -TERM "$rpid"
	local rc=0
	wait "$runner" || rc=$?
	[ "$rc" -eq 7 ]
	assert_no_leftovers ct
}

@test "run: args are passed verbatim" {
	set_args /bin/sh -c 'printf "[%s]" "$@"' argv0 one "two words" '$HOME' ''
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = '[one][two words][$HOME][]' ]
}

@test "run: env is exactly process.env" {
	update_config '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "HUTCH_TEST_MARK=" + $m]' --arg m "$MARK"
	set_args /bin/sh -c 'env | sort'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	echo "$output" | grep -qx 'FOO=bar baz'
	echo "$output" | grep -qx 'PATH=/bin:/usr/bin'
	# Nothing of hutch's own environment (e.g. _HUTCH_INITPIPE) leaks in;
	# sh itself adds PWD, SHLVL.
	run sh -c "echo '$output' | grep -v -e '^FOO=' -e '^PATH=' -e '^HUTCH_TEST_MARK=' -e '^PWD=' -e '^SHLVL=' -e '^HOME='"
	[ -z "$output" ]
}

@test "run: process.cwd" {
	update_config '.process.cwd = "/tmp"'
	set_args /bin/pwd
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = /tmp ]
}

@test "run: default user is root and id shows it" {
	set_args /usr/bin/id
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = "uid=0(root) gid=0(root) groups=0(root)" ] || [ "$output" = "uid=0(root) gid=0(root)" ]
}

@test "run: user uid:gid and additionalGids" {
	update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [10, 20]}'
	set_args /bin/sh -c 'id -u; id -g; id -G; id'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	# Exactly the primary and additional groups: none of the caller's.
	[ "$(echo "${lines[2]}" | tr ' ' '\n' | sort -n | tr '\n' ' ')" = "10 20 1000 " ]
	[[ "${lines[3]}" == "uid=1000(hutch) gid=1000(hutch)"* ]]
}

@test "run: a user without additionalGids has no supplementary groups" {
	update_config '.process.user = {uid: 65534, gid: 65534}'
	set_args /bin/sh -c 'id -G'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = 65534 ]
}

@test "run: process.user.umask" {
	update_config '.process.user.umask = 63'
	set_args /bin/sh -c 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0077 ]
	[ "${lines[1]}" = 600 ]
}

@test "run: default umask is 0022" {
	update_config 'del(.process.user.umask)'
	set_args /bin/sh -c umask
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = 0022 ]
}

@test "run: hostname and domainname" {
	local host_name
	host_name=$(hostname)
	update_config '.hostname = "box1" | .domainname = "example.org"'
	set_args /bin/sh -c 'hostname; cat /proc/sys/kernel/domainname'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box1 ]
	[ "${lines[1]}" = example.org ]
	# The host's name is untouched (new uts namespace).
	[ "$(hostname)" = "$host_name" ]
}

@test "run --detach returns while the container runs" {
	set_args /bin/sleep 1000
	# The container keeps stdio: a pipe to the caller would stay open.
	hutch run --detach --bundle "$BUNDLE" ct </dev/null >"$TESTDIR/o" 2>&1 3>&-
	[ "$(ct_status ct)" = running ]
	pid=$(ct_pid ct)
	pid_alive "$pid"
	hutch kill ct KILL
	wait_status ct stopped
	hutch delete ct
	assert_no_leftovers ct "$pid"
}

@test "run --pid-file writes the container's pid" {
	set_args /bin/sleep 1000
	hutch run --detach --pid-file "$TESTDIR/pid" --bundle "$BUNDLE" ct </dev/null >/dev/null 2>&1 3>&-
	[ "$(cat "$TESTDIR/pid")" = "$(ct_pid ct)" ]
	hutch delete --force ct
}

@test "run: a second run with the same id works after the first ended" {
	set_args /bin/true
	hutch run --bundle "$BUNDLE" ct
	hutch run --bundle "$BUNDLE" ct
	assert_no_leftovers ct
}

@test "run: the init is hutch's own child; --no-subreaper leaves orphans to the caller's reaper" {
	# With a pid namespace: the init is forked into it as hutch's child, so
	# run gets its status without being a subreaper.
	set_args /bin/sh -c 'echo "$PPID" >/init-ppid; exit 3'
	run hutch run --no-subreaper --bundle "$BUNDLE" ct
	[ "$status" -eq 3 ]
	# Without one: an orphaned grandchild goes to hutch run by default...
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_args /bin/sh -c 'echo "$PPID" >/init-ppid
		sh -c "sh -c '\''sleep 0.5; cut -d\" \" -f4 /proc/\$\$/stat >/orphan-ppid'\'' &"
		sleep 1'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ -s "$ROOTFS/init-ppid" ]
	[ "$(cat "$ROOTFS/orphan-ppid")" = "$(cat "$ROOTFS/init-ppid")" ]
	# ...and not with --no-subreaper.
	rm "$ROOTFS/orphan-ppid" "$ROOTFS/init-ppid"
	run hutch run --no-subreaper --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ -s "$ROOTFS/orphan-ppid" ]
	[ "$(cat "$ROOTFS/orphan-ppid")" != "$(cat "$ROOTFS/init-ppid")" ]
}
