#!/usr/bin/env bats
# hutch exec has two ways to set a process up once it has joined the
# container: the C constructor carries out a plan the parent computed (no
# Go runtime in the container), or the Go init does it (a terminal, LSM
# labels, I/O priority, ... and whenever the C side is in doubt). Both
# must give the same process. Each test runs the same probe both ways: the
# Go init is forced with process.ioPriority (which the probe does not look
# at), and --debug shows which way ran.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

# What a process is made of, as far as exec sets it up.
PROBE='id; umask; pwd; grep -E "^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|SigBlk|SigIgn)" /proc/self/status; ulimit -Sn; ulimit -Hn; ulimit -Su; ulimit -Hu; env | sort; ls /proc/self/fd | wc -l; mkdir /tmp/probe-dir 2>&1 && rmdir /tmp/probe-dir'

start_container() {
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	hutch_start_bg "$1"
	wait_file_contains "$TESTDIR/$1.out" ready
}

# both_ways JQ: writes $TESTDIR/c.json (the container's process, args = the
# probe, then JQ) and $TESTDIR/go.json (the same with an I/O priority).
both_ways() {
	local a
	a=$(json_array /bin/sh -c "$PROBE")
	jq --argjson a "$a" ".process | .args = \$a | .terminal = false | $1" "$BUNDLE/config.json" >"$TESTDIR/c.json"
	jq '.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 4}' "$TESTDIR/c.json" >"$TESTDIR/go.json"
}

# exec_probe ID FILE: runs the probe; sets status, output (the probe's
# stdout and stderr) and way (c or go, from the debug log).
exec_probe() {
	run hutch --debug --log "$TESTDIR/$2.log" exec --process "$TESTDIR/$2" "$1"
	way=go
	grep -q "set up by the C constructor" "$TESTDIR/$2.log" && way=c
	echo "--- $2 ($way), status $status"
	echo "$output"
}

# compare ID: the probe through C and through Go agree, and each went the
# way it was meant to.
compare() {
	exec_probe "$1" c.json
	local c_status=$status c_out=$output
	[ "$way" = c ] || fail "the plain process did not take the C path"
	exec_probe "$1" go.json
	[ "$way" = go ] || fail "ioPriority did not force the Go init"
	[ "$status" -eq "$c_status" ]
	[ "$output" = "$c_out" ] || fail "C and Go set the process up differently"
}

@test "exec paths agree: the container's own process" {
	start_container ct
	both_ways '.'
	compare ct
	[ "$status" -eq 0 ]
}

@test "exec paths agree: user, groups, umask, cwd, env, capabilities with ambient, rlimits, no_new_privs" {
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

@test "exec paths agree: the container's seccomp filter, with and without no_new_privs" {
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

@test "exec paths agree: a container with a user namespace, and an unmapped uid fails alike" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	chown -R 100000:100000 "$ROOTFS"
	start_container ct
	both_ways '.'
	compare ct
	[ "$status" -eq 0 ]
	both_ways '.user.uid = 70000'
	compare ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.user.uid: setresuid 70000: invalid argument"* ]]
}

@test "exec: what the C side cannot judge is left to the Go init, with its words" {
	start_container ct
	run hutch --debug --log "$TESTDIR/miss.log" exec ct no-such-command
	[ "$status" -eq 255 ]
	[[ "$output" == *'exec: "no-such-command": executable file not found in $PATH'* ]]
	run grep -q "set up by the C constructor" "$TESTDIR/miss.log"
	[ "$status" -ne 0 ]
	# An empty PATH entry is the cwd to the Go init, which finds sh there.
	both_ways '.cwd = "/bin" | .env = ["PATH=/nonexistent::"] | .args = ["sh", "-c", "echo via-cwd"]'
	exec_probe ct c.json
	[ "$status" -eq 0 ]
	[ "$output" = via-cwd ]
	[ "$way" = go ]
	# A hard limit above ours: raising it takes CAP_SYS_RESOURCE, the Go
	# init's call.
	local hard
	hard=$(ulimit -Hn)
	both_ways ".rlimits = [{type: \"RLIMIT_NOFILE\", soft: 64, hard: $((hard + 1))}] | .args = [\"true\"]"
	exec_probe ct c.json
	[ "$way" = go ]
	[ "$status" -eq 0 ] || [[ "$output" == *"process.rlimits[0] (RLIMIT_NOFILE)"* ]]
}

@test "exec: a plan larger than the C side reads goes to the Go init, and the process runs" {
	start_container ct
	# 12 variables of 100 kB (one string may not exceed 128 kB at execve).
	both_ways '.env += [range(12) as $i | "BIG\($i)=" + ("x" * 100000)] | .args = ["sh", "-c", "echo ${#BIG0} ${#BIG11}"]'
	exec_probe ct c.json
	[ "$status" -eq 0 ]
	[ "$output" = "100000 100000" ]
	[ "$way" = go ]
}
