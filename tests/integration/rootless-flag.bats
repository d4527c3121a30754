#!/usr/bin/env bats
# The global --rootless flag (runc's): true makes even root run a container
# the rootless way (no host cgroup), auto detects, other values are refused.

load helpers

setup() {
	hutch_setup
	set_args sleep 100
	update_config '.linux.resources.pids = {limit: 50}'
}

teardown() {
	hutch_teardown
}

@test "--rootless true: root makes no cgroup and records the limits it did not apply" {
	HUTCH_GLOBAL="--rootless true" hutch_start_bg rl-flag
	[ -z "$(cgroup_dirs rl-flag)" ]
	pid=$(ct_pid rl-flag)
	# The container process stays in hutch's caller's cgroup.
	[ "$(grep ':pids:' "/proc/$pid/cgroup")" = "$(grep ':pids:' /proc/self/cgroup)" ]
	run hutch state rl-flag
	[ "$status" -eq 0 ]
	[ "$(jq -r '.annotations["hutch.cgroups.requested"]' <<<"$output")" = pids ]
	[ "$(jq -r '.annotations["hutch.cgroups.applied"]' <<<"$output")" = "" ]
	hutch delete --force rl-flag
	assert_no_leftovers rl-flag "$pid"
}

@test "--rootless auto as root uses the host cgroups" {
	HUTCH_GLOBAL="--rootless auto" hutch_start_bg rl-auto
	[ -n "$(cgroup_dirs rl-auto)" ]
	hutch delete --force rl-auto
	assert_no_leftovers rl-auto
}

@test "--rootless with another value is refused, naming the flag" {
	HUTCH_GLOBAL="--rootless maybe" try_create rl-bad
	[ "$status" -ne 0 ]
	[[ "$output" == *"--rootless"* ]]
	[[ "$output" == *maybe* ]]
	assert_root_empty
}
