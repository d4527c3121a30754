#!/usr/bin/env bats
# Per-thread process attributes the container process inherits at execve:
# linux.personality, process.ioPriority, process.scheduler and
# process.execCPUAffinity.

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

@test "process.execCPUAffinity.final is the process's CPU set" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
	update_config '.process.execCPUAffinity = {initial: "0", final: "1"}'
	set_args /bin/sh -c 'awk "/Cpus_allowed_list/ {print \$2}" /proc/self/status'
	run hutch run --bundle "$BUNDLE" ct
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
