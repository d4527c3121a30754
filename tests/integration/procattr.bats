#!/usr/bin/env bats
# Per-thread process attributes the container process inherits at execve:
# linux.personality, process.ioPriority, process.scheduler,
# process.execCPUAffinity and linux.memoryPolicy.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

@test "linux.personality LINUX32 makes uname report a 32-bit machine" {
	[ "$(uname -m)" = x86_64 ] || skip "the LINUX32 check is written for x86_64 hosts"
	update_config '.linux.personality = {domain: "LINUX32"}'
	set_args uname -m
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = i686 ]
}

@test "process.scheduler sets policy and nice" {
	update_config '.process.scheduler = {policy: "SCHED_BATCH", nice: 7}'
	set_args /bin/sh -c 'awk "{print \$19}" /proc/self/stat; awk "/^policy/ {print \$3}" /proc/self/sched'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 7 ]
	[ "${lines[1]}" = 3 ]   # SCHED_BATCH
}

@test "process.ioPriority is visible from the host" {
	command -v ionice >/dev/null || skip "ionice (util-linux) not installed"
	update_config '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 6}'
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	hutch_start_bg ct
	run ionice -p "$(ct_pid ct)"
	[ "$status" -eq 0 ]
	[ "$output" = "best-effort: prio 6" ]
}

# The runtime-spec: execCPUAffinity "is not applicable to the container's
# init process". CRI-O sets it in the container's config for the processes
# it execs; the init keeps the CPUs of its cgroup.
@test "process.execCPUAffinity.final is an exec'd process's CPU set, not the init's" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	all=$(awk '/Cpus_allowed_list/ {print $2}' /proc/self/status)
	[ "$all" != 1 ] || skip "this shell runs on CPU 1 only"
	update_config '.process.execCPUAffinity = {initial: "0", final: "1"}'
	set_args /bin/sh -c 'awk "/Cpus_allowed_list/ {print \$2}" /proc/self/status; echo ready; exec sleep 1000'
	hutch_start_bg aff
	wait_file_contains "$TESTDIR/aff.out" ready
	[ "$(head -n 1 "$TESTDIR/aff.out")" = "$all" ]
	# exec inherits the config's process, execCPUAffinity included.
	run hutch exec aff awk '/Cpus_allowed_list/ {print $2}' /proc/self/status
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
}

@test "bad process attributes name the field and leave nothing" {
	update_config '.process.ioPriority = {class: "IOPRIO_CLASS_FAST", priority: 1}'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *process.ioPriority.class* ]]
	assert_no_leftovers ct
	update_config 'del(.process.ioPriority) | .linux.personality = {domain: "WINDOWS"}'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *linux.personality.domain* ]]
	assert_no_leftovers ct
}

# numa_policy: the memory policy field of the first line of numa_maps on
# stdin (the binary's mapping): "default" when no policy is set.
numa_policy() { awk 'NR == 1 {print $2}'; }

@test "linux.memoryPolicy MPOL_BIND: the container process and exec'd ones are bound to node 0" {
	[ -e /proc/self/numa_maps ] || skip "kernel without CONFIG_NUMA"
	update_config '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
	set_args /bin/sh -c 'head -n 1 /proc/self/numa_maps; echo ready; exec sleep 1000'
	hutch_start_bg mempol-bind
	wait_file_contains "$TESTDIR/mempol-bind.out" ready
	[ "$(numa_policy <"$TESTDIR/mempol-bind.out")" = bind:0 ]
	[ "$(numa_policy <"/proc/$(ct_pid mempol-bind)/numa_maps")" = bind:0 ]
	# exec, with and without an I/O priority (set by the executor too).
	jq '.process | .args = ["head", "-n", "1", "/proc/self/numa_maps"]' "$BUNDLE/config.json" >"$TESTDIR/c.json"
	jq '.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 4}' "$TESTDIR/c.json" >"$TESTDIR/io.json"
	for f in c io; do
		run hutch exec --process "$TESTDIR/$f.json" mempol-bind
		[ "$status" -eq 0 ]
		[ "$(numa_policy <<<"$output")" = bind:0 ]
	done
}

@test "linux.memoryPolicy MPOL_INTERLEAVE, with and without MPOL_F_STATIC_NODES, for a run without a pid namespace too" {
	[ -e /proc/self/numa_maps ] || skip "kernel without CONFIG_NUMA"
	set_args head -n 1 /proc/self/numa_maps
	update_config '.linux.memoryPolicy = {mode: "MPOL_INTERLEAVE", nodes: "0"}'
	run hutch run --bundle "$BUNDLE" mempol-il
	[ "$status" -eq 0 ]
	[ "$(numa_policy <<<"$output")" = interleave:0 ]
	# No fork into a pid namespace: the process the constructor ran in.
	update_config '.linux.memoryPolicy.flags = ["MPOL_F_STATIC_NODES"]
		| .linux.namespaces |= map(select(.type != "pid"))'
	run hutch run --bundle "$BUNDLE" mempol-il
	[ "$status" -eq 0 ]
	[ "$(numa_policy <<<"$output")" = interleave=static:0 ]
	assert_no_leftovers mempol-il
}

# mempolicy_refused JSON TEXT: a create with linux.memoryPolicy = JSON fails
# saying TEXT, and leaves nothing.
mempolicy_refused() {
	update_config ".linux.memoryPolicy = $1"
	try_create mempol-bad
	[ "$status" -ne 0 ] || fail "$1 was accepted"
	[[ "$output" == *"$2"* ]] || fail "$1: $output"
	assert_no_leftovers mempol-bad
}

@test "linux.memoryPolicy: a bad policy names the field and leaves nothing" {
	set_args true
	mempolicy_refused '{mode: "MPOL_BIND", nodes: "9999"}' 'linux.memoryPolicy.nodes: node 9999'
	mempolicy_refused '{mode: "MPOL_BOGUS", nodes: "0"}' 'linux.memoryPolicy.mode: unknown mode'
	mempolicy_refused '{mode: "MPOL_DEFAULT", nodes: "0"}' 'linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes'
	mempolicy_refused '{mode: "MPOL_BIND", nodes: "0", flags: ["MPOL_F_BOGUS"]}' 'linux.memoryPolicy.flags[0]: unknown flag'
	assert_root_empty
}

@test "linux.memoryPolicy: a node the kernel refuses fails create in the init, naming the field, and leaves nothing" {
	[ -e /proc/self/numa_maps ] || skip "kernel without CONFIG_NUMA"
	[ ! -e /sys/devices/system/node/node1023 ] || skip "node 1023 is online here"
	# Valid to hutch (below 1024), not online: set_mempolicy says EINVAL.
	update_config '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "1023"}'
	set_args true
	try_create mempol-offline
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy: set_mempolicy("*"): Invalid argument"* ]]
	assert_no_leftovers mempol-offline
	assert_root_empty
}

@test "linux.memoryPolicy: features lists every mode and flag" {
	run hutch features
	[ "$status" -eq 0 ]
	[ "$(jq -c .linux.memoryPolicy <<<"$output")" = '{"modes":["MPOL_BIND","MPOL_DEFAULT","MPOL_INTERLEAVE","MPOL_LOCAL","MPOL_PREFERRED","MPOL_PREFERRED_MANY","MPOL_WEIGHTED_INTERLEAVE"],"flags":["MPOL_F_NUMA_BALANCING","MPOL_F_RELATIVE_NODES","MPOL_F_STATIC_NODES"]}' ]
}
