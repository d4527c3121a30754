#!/usr/bin/env bats
# The process fields of the runtime spec, checked from inside the
# container: capability sets, rlimits, oomScoreAdj, sysctl, LSMs, hooks and
# socket activation fds.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

capmask() { # capmask CAP_NAME... -> the 16-hex-digit mask /proc shows
	local m=0 c n
	for c; do
		case $c in
		CAP_CHOWN) n=0 ;; CAP_KILL) n=5 ;; CAP_NET_BIND_SERVICE) n=10 ;;
		CAP_NET_RAW) n=13 ;; CAP_SYS_ADMIN) n=21 ;; CAP_AUDIT_WRITE) n=29 ;;
		esac
		m=$((m | (1 << n)))
	done
	printf '%016x' "$m"
}

@test "capabilities: each set exactly as configured, ambient included" {
	update_config '.process.capabilities = {
		bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
		effective: ["CAP_CHOWN", "CAP_KILL"],
		permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		inheritable: ["CAP_KILL", "CAP_NET_RAW"],
		ambient: ["CAP_KILL"]}
		| .process.user = {uid: 1000, gid: 1000}'
	set_args /bin/sh -c 'grep ^Cap /proc/self/status'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	# After execve as uid 1000 the kernel recomputes: permitted = inheritable
	# & file caps | ambient = ambient; effective = ambient.
	[[ "$output" == *"CapInh:	$(capmask CAP_KILL CAP_NET_RAW)"* ]]
	[[ "$output" == *"CapPrm:	$(capmask CAP_KILL)"* ]]
	[[ "$output" == *"CapEff:	$(capmask CAP_KILL)"* ]]
	[[ "$output" == *"CapBnd:	$(capmask CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE CAP_NET_RAW)"* ]]
	[[ "$output" == *"CapAmb:	$(capmask CAP_KILL)"* ]]
}

@test "capabilities: without process.capabilities the bounding set stays the caller's" {
	update_config 'del(.process.capabilities)'
	set_args /bin/sh -c 'grep -E "^Cap(Eff|Prm|Bnd)" /proc/self/status'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	# The executor drops nothing: the bounding set is hutch's, and uid 0
	# execs with it as its permitted and effective sets.
	bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
	[[ "$output" == *"CapBnd:	$bnd"* ]]
	[[ "$output" == *"CapPrm:	$bnd"* ]]
	[[ "$output" == *"CapEff:	$bnd"* ]]
}

@test "capabilities: an unknown name is an error naming the set" {
	update_config '.process.capabilities.bounding += ["CAP_DOES_NOT_EXIST"]'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *'process.capabilities.bounding'*CAP_DOES_NOT_EXIST* ]]
	assert_no_leftovers ct
}

@test "capabilities: one the host lacks is named (root here lacks CAP_SYS_RESOURCE)" {
	grep -q '^CapBnd:.*' /proc/self/status
	bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
	[ $((bnd & (1 << 24))) -eq 0 ] || skip "this host's root has CAP_SYS_RESOURCE"
	update_config '.process.capabilities.bounding += ["CAP_SYS_RESOURCE"]'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *CAP_SYS_RESOURCE* ]]
	assert_no_leftovers ct
}

@test "rlimits and oomScoreAdj are applied" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 321, hard: 654}, {type: "RLIMIT_CORE", soft: 0, hard: 0}]
		| .process.oomScoreAdj = 123'
	set_args /bin/sh -c 'ulimit -n; ulimit -H -n; ulimit -c; cat /proc/self/oom_score_adj'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 321 ]
	[ "${lines[1]}" = 654 ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 123 ]
}

@test "sysctl: a namespaced key is set inside only; a host-wide key is refused" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"}'
	set_args /bin/sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
	host_shmmni=$(cat /proc/sys/kernel/shmmni)
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = 1234 ]
	[ "$(cat /proc/sys/kernel/shmmni)" = "$host_shmmni" ]
	update_config '.linux.sysctl = {"vm.swappiness": "10"}'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.sysctl'*vm.swappiness* ]]
	assert_no_leftovers ct
}

@test "sysctl: the kernel's refusal names the key and its file; a key the kernel lacks too" {
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "not-a-number"}'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	# (logrus's text format escapes the quotes)
	[[ "$output" == *'linux.sysctl['*'"net.ipv4.ip_forward'*']: writing /proc/sys/net/ipv4/ip_forward: invalid argument'* ]]
	assert_no_leftovers ct
	update_config '.linux.sysctl = {"net.ipv4.no_such_sysctl": "1"}'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.sysctl['*'"net.ipv4.no_such_sysctl'*']: writing /proc/sys/net/ipv4/no_such_sysctl: no such file or directory'* ]]
	assert_no_leftovers ct
}

@test "sysctl: a /proc/sys that is not procfs is never written" {
	# No proc mount: /proc/sys is the image's own directory, and the file
	# there a plain one that a write would change.
	update_config '.mounts |= map(select(.destination != "/proc")) | .linux.maskedPaths = [] | .linux.readonlyPaths = []
		| .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	mkdir -p "$ROOTFS/proc/sys/net/ipv4"
	echo 0 >"$ROOTFS/proc/sys/net/ipv4/ip_forward"
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.sysctl: /proc/sys: not on procfs'* ]]
	[ "$(cat "$ROOTFS/proc/sys/net/ipv4/ip_forward")" = 0 ]
	rm -rf "$ROOTFS/proc/sys"
	assert_no_leftovers ct
}

@test "apparmorProfile and selinuxLabel on a host without them are refused" {
	[ -e /sys/module/apparmor ] && skip "this host has AppArmor"
	update_config '.process.apparmorProfile = "acme"'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *process.apparmorProfile*AppArmor* ]]
	assert_no_leftovers ct
	update_config 'del(.process.apparmorProfile) | .process.selinuxLabel = "system_u:system_r:container_t:s0"'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *process.selinuxLabel*SELinux* ]]
	assert_no_leftovers ct
}

@test "a mountLabel on a host without SELinux adds no context= option" {
	[ -e /sys/fs/selinux/enforce ] && skip "this host has SELinux"
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	set_args /bin/sh -c 'grep -c "context=" /proc/self/mountinfo || true'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
}

@test "hooks: every kind runs, in lifecycle order, with the state on stdin" {
	log=$TESTDIR/hooks.log
	mk_hook() { # mk_hook NAME -> a hook that logs NAME and the status it got
		printf '#!/bin/sh\nstatus=$(sed -n "s/.*\\"status\\":\\"\\([a-z]*\\)\\".*/\\\\1/p")\necho "%s $status" >> %s\n' "$1" "$log" >"$TESTDIR/hook-$1"
		chmod +x "$TESTDIR/hook-$1"
	}
	for h in prestart createRuntime createContainer startContainer poststart poststop; do mk_hook $h; done
	update_config '.hooks = {
		prestart: [{path: ($d + "/hook-prestart")}],
		createRuntime: [{path: ($d + "/hook-createRuntime")}],
		createContainer: [{path: ($d + "/hook-createContainer")}],
		startContainer: [{path: "/hook-startContainer"}],
		poststart: [{path: ($d + "/hook-poststart")}],
		poststop: [{path: ($d + "/hook-poststop")}]}' --arg d "$TESTDIR"
	# startContainer runs inside the container: its path and log are there.
	printf '#!/bin/sh\necho "startContainer $(cat | sed -n "s/.*\\"status\\":\\"\\([a-z]*\\)\\".*/\\\\1/p")" >> /hooks.log\n' >"$ROOTFS/hook-startContainer"
	chmod +x "$ROOTFS/hook-startContainer"
	# createContainer also runs in the container's namespaces (before
	# pivot_root, so host paths still resolve).
	set_args /bin/sh -c 'cat /hooks.log'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = "startContainer created" ]
	run cat "$log"
	[ "${lines[0]}" = "prestart created" ]
	[ "${lines[1]}" = "createRuntime created" ]
	[ "${lines[2]}" = "createContainer created" ]
	[ "${lines[3]}" = "poststart running" ]
	[ "${lines[4]}" = "poststop stopped" ]
}

@test "hooks: createContainer and startContainer hooks get their stdio and no other fd of the init" {
	printf '#!/bin/sh\nls /proc/self/fd | tr "\\n" " " > %s\n' "$TESTDIR/fds-create" >"$TESTDIR/hook-fds"
	printf '#!/bin/sh\nls /proc/self/fd | tr "\\n" " " > /fds-start\n' >"$ROOTFS/hook-fds"
	chmod +x "$TESTDIR/hook-fds" "$ROOTFS/hook-fds"
	update_config '.hooks = {createContainer: [{path: ($d + "/hook-fds")}], startContainer: [{path: "/hook-fds"}]}' --arg d "$TESTDIR"
	set_args true
	# The init holds its socket, the exec fifo and a preserved fd 3; none
	# reaches a hook, whose only fd beyond stdio is the one ls lists with.
	run hutch run --preserve-fds 1 --bundle "$BUNDLE" ct 3<"$BUNDLE/config.json"
	[ "$status" -eq 0 ]
	[ "$(cat "$TESTDIR/fds-create")" = "0 1 2 3 " ]
	[ "$(cat "$ROOTFS/fds-start")" = "0 1 2 3 " ]
}

@test "timer slack: the container, hooks and exec keep the caller's; only hutch's own threads take 2 ms" {
	# libcontainer/timerslack: the Go runtime's threads run with a 2 ms
	# slack, and whatever hutch starts gets its caller's back.
	cat >"$TESTDIR/hook-slack" <<-EOF
		#!/bin/sh
		cat /proc/self/timerslack_ns > $TESTDIR/hook
		# hutch's threads, once the one that started this hook took its
		# slack back (/proc/TID: the task/ entries lack the file)
		for _ in \$(seq 20); do
			v=\$(for t in /proc/\$PPID/task/*; do cat /proc/\${t##*/}/timerslack_ns; done | sort -u)
			[ "\$v" = 2000000 ] && break
			sleep 0.1
		done
		echo "\$v" > $TESTDIR/hutch
	EOF
	chmod +x "$TESTDIR/hook-slack"
	update_config '.hooks = {prestart: [{path: ($d + "/hook-slack")}]}' --arg d "$TESTDIR"
	set_args sh -c 'cat /proc/self/timerslack_ns > /slack; exec sleep 60'
	(echo 123456 >/proc/self/timerslack_ns && hutch_start_bg ct)
	wait_file_contains "$ROOTFS/slack" 123456
	[ "$(cat "$ROOTFS/slack")" = 123456 ]
	[ "$(cat "$TESTDIR/hook")" = 123456 ]
	[ "$(cat "$TESTDIR/hutch")" = 2000000 ]
	out=$(echo 234567 >/proc/self/timerslack_ns && hutch exec ct cat /proc/self/timerslack_ns)
	[ "$out" = 234567 ]
}

@test "hooks: a failing createRuntime hook aborts and leaves nothing" {
	printf '#!/bin/sh\necho boom >&2\nexit 3\n' >"$TESTDIR/bad-hook"
	chmod +x "$TESTDIR/bad-hook"
	update_config '.hooks = {createRuntime: [{path: $h}]}' --arg h "$TESTDIR/bad-hook"
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *'hooks.createRuntime[0]'*boom* ]]
	assert_no_leftovers ct
}

@test "hooks: a failing poststart hook is a warning; the remaining hooks run" {
	printf '#!/bin/sh\nexit 1\n' >"$TESTDIR/bad-hook"
	printf '#!/bin/sh\necho second >> %s\n' "$TESTDIR/ran" >"$TESTDIR/good-hook"
	chmod +x "$TESTDIR/bad-hook" "$TESTDIR/good-hook"
	update_config '.hooks = {poststart: [{path: $b}, {path: $g}]}' \
		--arg b "$TESTDIR/bad-hook" --arg g "$TESTDIR/good-hook"
	set_args true
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[[ "$output" == *poststart* ]]
	[ "$(cat "$TESTDIR/ran")" = second ]
}

@test "socket activation: LISTEN_FDS fds reach the container with LISTEN_PID=1" {
	echo activated >"$TESTDIR/sock-standin"
	set_args /bin/sh -c 'echo $LISTEN_FDS $LISTEN_PID; cat <&3; ls /proc/self/fd | tr "\n" " "'
	run sh -c 'export LISTEN_PID=$$ LISTEN_FDS=1; exec "$0" --root "$1" run --bundle "$2" ct 3<"$3"' \
		"$HUTCH" "$ROOT" "$BUNDLE" "$TESTDIR/sock-standin"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 1" ]
	[ "${lines[1]}" = activated ]
	[ "${lines[2]}" = "0 1 2 3 4 " ]
}

@test "NOTIFY_SOCKET: READY=1 from the container reaches the caller with MAINPID" {
	notify_listener
	set_args /bin/sh -c 'sdnotify send READY=1 && exec sleep 1000'
	NOTIFY_SOCKET=$TESTDIR/host.sock hutch create --bundle "$BUNDLE" ct </dev/null >/dev/null 2>&1
	# start returns once the container said READY=1.
	NOTIFY_SOCKET=$TESTDIR/host.sock hutch start ct
	wait "$NOTIFY_LISTENER"
	pid=$(ct_pid ct)
	run cat "$TESTDIR/notified"
	[ "${lines[0]}" = READY=1 ]
	[ "${lines[1]}" = "MAINPID=$pid" ]
}
