#!/usr/bin/env bats
# Every container process, the init of create and run as well as an exec'd
# one, is set up and exec'd by the one C process executor
# (libcontainer/nsenter/process.c) from a plan the parent computed. Each
# test runs the same probe as a container's own process (hutch run) and
# through exec into a running container: the two must agree.

load helpers

setup() {
	hutch_setup
}

teardown() {
	[ -z "${AGENT_PID:-}" ] || kill "$AGENT_PID" 2>/dev/null || true
	hutch_teardown
}

# What a process is made of, as far as the executor sets it up.
PROBE='id; umask; pwd; grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|SigBlk|SigIgn|Threads)" /proc/self/status; ulimit -Sn; ulimit -Hn; ulimit -Su; ulimit -Hu; env | sort; ls /proc/self/fd | wc -l; mkdir /tmp/probe-dir 2>&1 && rmdir /tmp/probe-dir'

start_container() {
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	hutch_start_bg "$1"
	wait_file_contains "$TESTDIR/$1.out" ready
}

# both_ways JQ: $TESTDIR/p.json is the container's process with the probe
# as args, then JQ.
both_ways() {
	local a
	a=$(json_array /bin/sh -c "$PROBE")
	jq --argjson a "$a" ".process | .args = \$a | .terminal = false | $1" "$BUNDLE/config.json" >"$TESTDIR/p.json"
}

# compare ID: the probe as ID's exec'd process and as the process of a
# container run from the same bundle agree; status and output are the
# exec's.
compare() {
	cp "$BUNDLE/config.json" "$TESTDIR/config.saved"
	jq --slurpfile p "$TESTDIR/p.json" '.process = $p[0]' "$TESTDIR/config.saved" >"$BUNDLE/config.json"
	echo "$1-run" >>"$TESTDIR/.ids"
	run hutch run --bundle "$BUNDLE" "$1-run" </dev/null
	cp "$TESTDIR/config.saved" "$BUNDLE/config.json"
	local run_status=$status run_out=$output
	echo "--- run, status $status"
	echo "$output"
	run hutch exec --process "$TESTDIR/p.json" "$1" </dev/null
	echo "--- exec, status $status"
	echo "$output"
	[ "$status" -eq "$run_status" ] || fail "run and exec end differently"
	[ "$output" = "$run_out" ] || fail "run and exec set the process up differently"
}

@test "run and exec agree: the container's own process" {
	start_container ct
	both_ways '.'
	compare ct
	[ "$status" -eq 0 ]
}

@test "run and exec agree: user, groups, umask, cwd, env, capabilities with ambient, rlimits, no_new_privs" {
	start_container ct
	both_ways '.user = {uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 23}
		| .cwd = "/tmp" | .env += ["FOO=bar baz"]
		| .capabilities = {bounding: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			permitted: ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
			effective: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE"],
			inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}
		| .rlimits = [{type: "RLIMIT_NOFILE", soft: 512, hard: 512}, {type: "RLIMIT_NPROC", soft: 100, hard: 200}]
		| .noNewPrivileges = true'
	compare ct
	[ "$status" -eq 0 ]
	[[ "$output" == *"Groups:	10 20"* ]]
	[[ "$output" == *"CapAmb:	0000000000000400"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"FOO=bar baz"* ]]
}

@test "run and exec agree: the container's seccomp filter, with and without no_new_privs" {
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
	start_container ct
	for nnp in true false; do
		both_ways ".noNewPrivileges = $nnp"
		compare ct
		[ "$status" -ne 0 ]
		[[ "$output" == *"Seccomp:	2"* ]]
		[[ "$output" == *"mkdir: can't create directory '/tmp/probe-dir': Operation not permitted"* ]]
	done
}

@test "run and exec agree: a container with a user namespace, and an unmapped uid fails alike" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	chown -R 100000:100000 "$ROOTFS"
	start_container ct
	both_ways '.'
	compare ct
	[ "$status" -eq 0 ]
	# An unmapped uid: the same error from both (exec and create word
	# their prefix differently).
	both_ways '.user.uid = 70000'
	run hutch exec --process "$TESTDIR/p.json" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.uid: setresuid 70000: invalid argument"* ]]
	update_config '.process.user.uid = 70000'
	run hutch run --bundle "$BUNDLE" ct-run
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.uid: setresuid 70000: invalid argument"* ]]
}

@test "exec: the executor's errors are runc's words; an empty PATH entry is the cwd; a raised hard limit" {
	start_container ct
	run hutch exec ct no-such-command
	echo "$output"
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec: \"no-such-command\": executable file not found in $PATH'* ]]
	run hutch exec ct /etc/passwd
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec: \"/etc/passwd\": permission denied'* ]]
	run hutch exec ct /no/such
	[[ "$output" == *'exec: \"/no/such\": no such file or directory'* ]]
	both_ways '.cwd = "/bin" | .env = ["PATH=/nonexistent::"] | .args = ["sh", "-c", "echo via-cwd"]'
	run hutch exec --process "$TESTDIR/p.json" ct
	[ "$status" -eq 0 ]
	[ "$output" = via-cwd ]
	# A hard limit above ours needs CAP_SYS_RESOURCE, which root here has.
	local hard
	hard=$(ulimit -Hn)
	both_ways ".rlimits = [{type: \"RLIMIT_NOFILE\", soft: 64, hard: $((hard + 1))}] | .args = [\"sh\", \"-c\", \"ulimit -Hn\"]"
	run hutch exec --process "$TESTDIR/p.json" ct
	[ "$status" -eq 0 ] || [[ "$output" == *"process.rlimits[0] (RLIMIT_NOFILE)"* ]]
}

@test "exec: a large process (1.2 MB of environment) runs" {
	start_container ct
	# 12 variables of 100 kB (one string may not exceed 128 kB at execve).
	both_ways '.env += [range(12) as $i | "BIG\($i)=" + ("x" * 100000)] | .args = ["sh", "-c", "echo ${#BIG0} ${#BIG11}"]'
	run hutch exec --process "$TESTDIR/p.json" ct
	[ "$status" -eq 0 ]
	[ "$output" = "100000 100000" ]
}

@test "exec: no Go runtime starts in the container" {
	command -v strace >/dev/null || skip "strace is not installed"
	start_container ct
	strace -f -qq -e trace=execve,clone,clone3 -o "$TESTDIR/plain" "$HUTCH" --root "$ROOT" exec ct mkdir /tmp/d </dev/null
	[ -d "$ROOTFS/tmp/d" ]
	[ -z "$(go_threads "$TESTDIR/plain")" ] || fail "a thread was made in the container: $(go_threads "$TESTDIR/plain")"
}

@test "create and run: no Go runtime starts in the container, with hooks or a terminal" {
	command -v strace >/dev/null || skip "strace is not installed"
	printf '#!/bin/sh\ntrue\n' >"$TESTDIR/hook"
	printf '#!/bin/sh\ntrue\n' >"$ROOTFS/hook"
	chmod +x "$TESTDIR/hook" "$ROOTFS/hook"
	update_config '.hooks = {createContainer: [{path: $h}], startContainer: [{path: "/hook"}]}' --arg h "$TESTDIR/hook"
	set_args /bin/mkdir /tmp/ran
	strace -f -qq -e trace=execve,execveat,clone,clone3 -o "$TESTDIR/run" "$HUTCH" --root "$ROOT" run --bundle "$BUNDLE" ct </dev/null
	[ -d "$ROOTFS/tmp/ran" ]
	[ -z "$(go_threads "$TESTDIR/run")" ] || fail "a thread was made in the container: $(go_threads "$TESTDIR/run")"
	# hutch is executed once as the init, never again in it: the init's
	# next execve is the hooks' and the process's.
	[ "$(grep -cE '^[0-9]+ +execve(at)?\(.*\["hutch"' "$TESTDIR/run")" -eq 1 ]
	# create, then start: the created init waits in the executor.
	set_args /bin/mkdir /tmp/ran2
	strace -f -qq -e trace=execve,execveat,clone,clone3 -o "$TESTDIR/create" "$HUTCH" --root "$ROOT" create --bundle "$BUNDLE" c2 </dev/null >/dev/null 2>&1 3>&- &
	for _ in $(seq 100); do [ "$(hutch state c2 2>/dev/null | jq -r .status)" = created ] && break; sleep 0.1; done
	hutch start c2
	wait
	[ -d "$ROOTFS/tmp/ran2" ]
	[ -z "$(go_threads "$TESTDIR/create")" ] || fail "a thread was made in the container: $(go_threads "$TESTDIR/create")"
	hutch delete c2
	# A terminal, which the executor makes.
	update_config '.process.terminal = true'
	set_args /bin/mkdir /tmp/ran3
	run bash -c "echo | strace -f -qq -e trace=execve,execveat,clone,clone3 -o '$TESTDIR/tty' '$HUTCH' --root '$ROOT' run --bundle '$BUNDLE' c3"
	[ "$status" -eq 0 ]
	[ -d "$ROOTFS/tmp/ran3" ]
	[ -z "$(go_threads "$TESTDIR/tty")" ] || fail "a thread was made in the container: $(go_threads "$TESTDIR/tty")"
}
