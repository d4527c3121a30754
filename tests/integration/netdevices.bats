#!/usr/bin/env bats
# linux.netDevices: host network devices moved into the container's network
# namespace at create (runtime-spec 1.3).
#
# Each test makes a veth pair on the host: VH stays on the host, VC is given
# to the container. Addresses are link-local (169.254.77.0/30) on that pair
# only: the traffic never leaves the two namespaces.

load helpers

HOST_IP=169.254.77.1
CT_IP=169.254.77.2

setup() {
	hutch_setup
	# Short, per-test names (IFNAMSIZ is 16).
	VH=htnd${BATS_TEST_NUMBER}h$$
	VC=htnd${BATS_TEST_NUMBER}c$$
	VH=${VH:0:15}
	VC=${VC:0:15}
	ip link add "$VH" type veth peer name "$VC"
	# ip and ping in the container need CAP_NET_ADMIN and CAP_NET_RAW.
	update_config '.process.capabilities |= with_entries(.value += ["CAP_NET_ADMIN", "CAP_NET_RAW"])'
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
}

teardown() {
	hutch_teardown
	# Gone with the container's netns if it was moved; otherwise still here.
	ip link del "$VH" 2>/dev/null || true
	ip link del "$VC" 2>/dev/null || true
}

host_has() { ip link show "$1" >/dev/null 2>&1; }
host_lacks() { ! host_has "$1"; }

@test "netDevices: a veth end moved and renamed; ping both ways" {
	update_config '.linux.netDevices = {($vc): {"name": "ctr0"}}' --arg vc "$VC"
	hutch_start_bg nd
	# Gone from the host, there in the container under its new name, up.
	host_lacks "$VC"
	run hutch exec nd ip -o link show ctr0
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ctr0@"* ]]
	[[ "$output" == *"UP"* ]]
	run hutch exec nd ip -o link show "$VC"
	[ "$status" -ne 0 ]

	run hutch exec nd ip addr add "$CT_IP/30" dev ctr0
	[ "$status" -eq 0 ]
	ip addr add "$HOST_IP/30" dev "$VH"
	ip link set "$VH" up
	run busybox ping -c 1 -W 3 "$CT_IP"
	echo "$output"
	[ "$status" -eq 0 ]
	run hutch exec nd ping -c 1 -W 3 "$HOST_IP"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "netDevices: the device keeps its permanent addresses; no name keeps the host name" {
	ip addr add "$CT_IP/30" dev "$VC"
	update_config '.linux.netDevices = {($vc): {}}' --arg vc "$VC"
	hutch_start_bg nd
	host_lacks "$VC"
	run hutch exec nd ip -o -4 addr show dev "$VC"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet $CT_IP/30"* ]]
	# ... and works with them: the container's process needs no setup.
	ip addr add "$HOST_IP/30" dev "$VH"
	ip link set "$VH" up
	run busybox ping -c 1 -W 3 "$CT_IP"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "netDevices: into a container with its own user namespace" {
	ip addr add "$CT_IP/30" dev "$VC"
	update_config '.linux.namespaces |= map(select(.type != "user")) + [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.netDevices = {($vc): {"name": "ctr0"}}' --arg vc "$VC"
	hutch_start_bg nd
	host_lacks "$VC"
	ip addr add "$HOST_IP/30" dev "$VH"
	ip link set "$VH" up
	run hutch exec nd ping -c 1 -W 3 "$HOST_IP"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "netDevices: on delete the veth goes away with the netns, as the kernel does" {
	update_config '.linux.netDevices = {($vc): {"name": "ctr0"}}' --arg vc "$VC"
	hutch_start_bg nd
	pid=$(ct_pid nd)
	host_has "$VH"
	hutch delete --force nd
	wait_pid_gone "$pid"
	# Destroying a veth end destroys its peer: neither is left.
	for ((i = 0; i < 50; i++)); do
		host_has "$VH" || break
		sleep 0.1
	done
	host_lacks "$VH"
	host_lacks "$VC"
	host_lacks ctr0
	assert_no_leftovers nd
}

@test "netDevices: a missing host device is an error naming it; nothing is created" {
	update_config '.linux.netDevices = {"htnd-nosuch": {"name": "ctr0"}}'
	try_create nd
	[ "$status" -ne 0 ]
	[[ "$output" == *'linux.netDevices[\"htnd-nosuch\"]: no such network device'* ]]
	assert_root_empty
	assert_no_leftovers nd
}

@test "netDevices: without a network namespace of its own, an error" {
	update_config '.linux.namespaces |= map(select(.type != "network"))
		| .linux.netDevices = {($vc): {}}' --arg vc "$VC"
	try_create nd
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices"* ]]
	[[ "$output" == *"network namespace"* ]]
	host_has "$VC"
	assert_root_empty

	# Joining the host's own netns (this shell's) by path is no better.
	update_config '.linux.namespaces += [{"type": "network", "path": ("/proc/" + $pid + "/ns/net")}]' --arg pid "$$"
	try_create nd
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices"* ]]
	[[ "$output" == *"host's"* ]]
	host_has "$VC"
	assert_root_empty
	assert_no_leftovers nd
}

@test "netDevices: invalid names are refused before anything is done" {
	update_config '.linux.netDevices = {($vc): {"name": "a/b"}}' --arg vc "$VC"
	try_create nd
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices[\\\"$VC\\\"].name"* ]]
	update_config '.linux.netDevices = {($vc): {"name": "name-longer-than-15"}}' --arg vc "$VC"
	try_create nd
	[ "$status" -ne 0 ]
	[[ "$output" == *"longer than 15"* ]]
	host_has "$VC"
	assert_root_empty
}

@test "netDevices: a name taken in the container fails and leaves the device on the host" {
	ip addr add "$CT_IP/30" dev "$VC"
	ip link set "$VC" up
	# Two devices: the first moves, the second clashes with lo; the first
	# must come back with its address and state.
	VD=${VC:0:12}d2
	ip link add "$VD" type veth peer name "${VC:0:12}d3"
	update_config '.linux.netDevices = {($vc): {"name": "ctr0"}, ($vd): {"name": "lo"}}' --arg vc "$VC" --arg vd "$VD"
	try_create nd
	ip link del "$VD" 2>/dev/null || true
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.netDevices[\\\"$VD\\\"]"* ]]
	[[ "$output" == *'\"lo\" already exists'* ]]
	host_has "$VC"
	ip -o -4 addr show dev "$VC" | grep -qF "inet $CT_IP/30"
	ip -o link show "$VC" | grep -qE '[<,]UP[,>]'
	assert_root_empty
	assert_no_leftovers nd
}

@test "features advertises netDevices" {
	run "$HUTCH" features
	[ "$status" -eq 0 ]
	[ "$(jq -r .linux.netDevices.enabled <<<"$output")" = true ]
}
