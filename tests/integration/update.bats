#!/usr/bin/env bats
# hutch update: change a live container's cgroup limits and remember them.

load helpers

setup() {
	hutch_setup
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
}

teardown() {
	hutch_teardown
}

# cg CTRL FILE [V2FILE]: a control file of cmd-up, v1 or cgroup2.
cg() {
	if [ -d "/sys/fs/cgroup/$1/hutch/cmd-up" ]; then
		cat "/sys/fs/cgroup/$1/hutch/cmd-up/$2"
	else
		cat "/sys/fs/cgroup/hutch/cmd-up/${3:-$2}"
	fi
}

saved() { jq -c "$1" "$ROOT/cmd-up/config.json"; }

@test "update --memory changes the limit live and in the saved config" {
	hutch_start_bg cmd-up
	run hutch update --memory 64M cmd-up
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes memory.max)" -eq 67108864 ]
	[ "$(saved .linux.resources.memory.limit)" -eq 67108864 ]
	[ "$(ct_status cmd-up)" = running ]
	run hutch update --memory 100663296 cmd-up
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes memory.max)" -eq 100663296 ]
}

@test "update --resources - sets pids.max and leaves the rest alone" {
	update_config '.linux.resources.memory.limit = 67108864'
	hutch_start_bg cmd-up
	devices_before=$(cat /sys/fs/cgroup/devices/hutch/cmd-up/devices.list 2>/dev/null || true)
	run hutch update --resources - cmd-up <<<'{"pids":{"limit":10}}'
	[ "$status" -eq 0 ]
	[ "$(cg pids pids.max)" = 10 ]
	[ "$(cg memory memory.limit_in_bytes memory.max)" -eq 67108864 ]
	[ "$(cat /sys/fs/cgroup/devices/hutch/cmd-up/devices.list 2>/dev/null || true)" = "$devices_before" ]
	[ "$(saved .linux.resources.pids.limit)" -eq 10 ]
	[ "$(saved .linux.resources.memory.limit)" -eq 67108864 ]
}

@test "update with docker's JSON: zeros leave settings unchanged" {
	hutch_start_bg cmd-up
	shares=$(cg cpu cpu.shares cpu.weight)
	json='{"memory":{"limit":67108864,"reservation":0,"swap":67108864,"kernel":0},"cpu":{"shares":0,"quota":0,"period":0},"pids":{"limit":50},"blockIO":{"weight":0}}'
	if [ ! -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && [ ! -e /sys/fs/cgroup/memory.swap.max ]; then
		json=$(jq -c '.memory.swap = 0' <<<"$json")
	fi
	run hutch update --resources - cmd-up <<<"$json"
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes memory.max)" -eq 67108864 ]
	[ "$(cg pids pids.max)" = 50 ]
	[ "$(cg cpu cpu.shares cpu.weight)" = "$shares" ]
	[ "$(saved .linux.resources.cpu.shares)" = null ]
}

@test "create with docker's blockIO weight 0 leaves the weight unset" {
	# docker sends {"weight":0} for every container; the kernel refuses 0.
	update_config '.linux.resources.blockIO = {"weight": 0, "leafWeight": 0}'
	hutch_start_bg cmd-up
	[ "$(ct_status cmd-up)" = running ]
	f=/sys/fs/cgroup/blkio/hutch/cmd-up/blkio.bfq.weight
	[ -e "$f" ] || f=/sys/fs/cgroup/blkio/hutch/cmd-up/blkio.weight
	if [ -e "$f" ]; then
		[ "$(awk '{print $NF; exit}' "$f")" -ne 0 ]
	fi
}

@test "update --pids-limit, and -1 for unlimited" {
	hutch_start_bg cmd-up
	run hutch update --pids-limit 20 cmd-up
	[ "$status" -eq 0 ]
	[ "$(cg pids pids.max)" = 20 ]
	run hutch update --pids-limit -1 cmd-up
	[ "$status" -eq 0 ]
	[ "$(cg pids pids.max)" = max ]
}

@test "update of cpu quota and period; flags override --resources" {
	hutch_start_bg cmd-up
	echo '{"cpu":{"quota":20000,"period":100000},"pids":{"limit":30}}' >"$TESTDIR/r.json"
	run hutch update --resources "$TESTDIR/r.json" --pids-limit 31 cmd-up
	[ "$status" -eq 0 ]
	if [ -d /sys/fs/cgroup/cpu/hutch/cmd-up ]; then
		[ "$(cg cpu cpu.cfs_quota_us)" = 20000 ]
		[ "$(cg cpu cpu.cfs_period_us)" = 100000 ]
	else
		[ "$(cg cpu cpu.max)" = "20000 100000" ]
	fi
	[ "$(cg pids pids.max)" = 31 ]
	[ "$(saved .linux.resources.cpu.quota)" -eq 20000 ]
}

@test "update --cpu-burst and --cpu-idle reach the cgroup and the saved config" {
	hutch_start_bg cmd-up
	run hutch update --cpu-quota 20000 --cpu-period 100000 --cpu-burst 5000 --cpu-idle 1 cmd-up
	[ "$status" -eq 0 ]
	if [ -d /sys/fs/cgroup/cpu/hutch/cmd-up ]; then
		[ "$(cg cpu cpu.cfs_burst_us)" = 5000 ]
	else
		[ "$(cg cpu cpu.max.burst)" = 5000 ]
	fi
	[ "$(cg cpu cpu.idle)" = 1 ]
	[ "$(saved .linux.resources.cpu.burst)" -eq 5000 ]
	[ "$(saved .linux.resources.cpu.idle)" -eq 1 ]
	run hutch update --cpu-burst x cmd-up
	[ "$status" -ne 0 ]
	[[ "$output" == *'--cpu-burst: invalid value'* ]]
}

@test "update errors name what is wrong" {
	hutch_start_bg cmd-up
	run hutch update --memory lots cmd-up
	[ "$status" -ne 0 ]
	[[ "$output" == *"--memory"* ]]
	run hutch update --cpu-period -5 cmd-up
	[ "$status" -ne 0 ]
	[[ "$output" == *"--cpu-period"* ]]
	run hutch update --resources - cmd-up <<<'{"pids":'
	[ "$status" -ne 0 ]
	[[ "$output" == *"--resources"* ]]
	run hutch update --resources "$TESTDIR/missing.json" cmd-up
	[ "$status" -ne 0 ]
	[[ "$output" == *"--resources"* ]]
	# A limit the kernel refuses names the field and the file.
	run hutch update --resources - cmd-up <<<'{"cpu":{"shares":1}}'
	if [ "$status" -ne 0 ]; then
		[[ "$output" == *"cpu.shares"* ]]
	fi
	run hutch update --pids-limit 5 cmd-nope
	[ "$status" -ne 0 ]
	[[ "$output" == *"does not exist"* ]]
}

@test "update of a stopped container fails and delete leaves no cgroup" {
	set_args /bin/true
	hutch_start_bg cmd-up
	wait_status cmd-up stopped
	run hutch update --pids-limit 5 cmd-up
	[ "$status" -ne 0 ]
	[[ "$output" == *"container not running"* ]]
	hutch delete cmd-up
	assert_no_leftovers cmd-up
}

@test "a paused container can be updated; delete leaves nothing" {
	hutch_start_bg cmd-up
	pid=$(ct_pid cmd-up)
	hutch pause cmd-up
	run hutch update --memory 32m --pids-limit 7 cmd-up
	[ "$status" -eq 0 ]
	[ "$(cg memory memory.limit_in_bytes memory.max)" -eq 33554432 ]
	[ "$(cg pids pids.max)" = 7 ]
	hutch resume cmd-up
	hutch delete --force cmd-up
	assert_no_leftovers cmd-up "$pid"
}
