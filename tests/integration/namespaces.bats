#!/usr/bin/env bats
# New and joined namespaces, seen from inside and outside.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

# A long-running container whose stdout is $TESTDIR/ID.out.
start_sleeper() {
	local id=$1
	hutch_start_bg "$id"
	wait_file_contains "$TESTDIR/$id.out" ready
}

@test "pid namespace: the process is pid 1" {
	set_args /bin/sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "; echo; ls -d /proc/[0-9]* | wc -l'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1 ]
	[[ "${lines[1]}" == "/bin/sh -c "* ]]
	# sh, its subshell pipeline members: nothing of the host.
	[ "${lines[2]}" -lt 6 ]
}

@test "every configured namespace is new" {
	set_args /bin/sh -c 'for n in pid net ipc uts mnt cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	local type ns inside
	for type in $(jq -r '.linux.namespaces[] | select(.path == null) | .type' "$BUNDLE/config.json"); do
		case $type in
		network) ns=net ;;
		mount) ns=mnt ;;
		user | time) continue ;;
		*) ns=$type ;;
		esac
		inside=$(printf '%s\n' "${lines[@]}" | awk -v n="$ns" '$1 == n {print $2}')
		echo "$type: inside $inside, host $(readlink /proc/self/ns/$ns)"
		[ -n "$inside" ]
		[ "$inside" != "$(readlink /proc/self/ns/$ns)" ]
	done
}

# On cgroup v1 and hybrid hosts the init is moved into its cgroup while it
# makes its namespaces: the cgroup namespace and the init forked into the
# pid namespace must still start there, in every hierarchy.
cgroupns_starts_in_the_container_cgroup() {
	set_args /bin/sh -c 'cat /proc/self/cgroup; echo ready; exec sleep 1000'
	start_sleeper ct
	local pid line n=0
	pid=$(ct_pid ct)
	while IFS= read -r line; do
		case $line in
		*:/hutch/ct) n=$((n + 1)) ;;
		*) fail "init $pid outside its cgroup: $line" ;;
		esac
	done <"/proc/$pid/cgroup"
	[ "$n" -gt 1 ]
	[ "$(grep -c ':/$' "$TESTDIR/ct.out")" = "$n" ]
}

@test "cgroup namespace: rooted at the container's cgroup in every hierarchy" {
	cgroupns_starts_in_the_container_cgroup
}

@test "cgroup namespace: rooted at the container's cgroup, with a user namespace" {
	userns_config
	cgroupns_starts_in_the_container_cgroup
}

@test "network namespace: only lo" {
	update_config '.linux.namespaces |= map(select(.type != "network")) + [{type: "network"}]'
	set_args /bin/sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "network namespace: lo is up, 127.0.0.1 reachable" {
	update_config '.linux.namespaces |= map(select(.type != "network")) + [{type: "network"}]'
	# ping opens a raw socket: CAP_NET_RAW, not in the default spec.
	update_config '.process.capabilities |= with_entries(.value += ["CAP_NET_RAW"])'
	# IFF_UP is bit 0 of the interface flags.
	set_args /bin/sh -c 'cat /sys/class/net/lo/flags; ping -c 1 -W 2 127.0.0.1 >/dev/null && echo reachable'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ $((${lines[0]} & 1)) -eq 1 ]
	[ "${lines[1]}" = reachable ]
}

@test "a config without a linux object runs in the caller's namespaces" {
	update_config 'del(.linux) | del(.hostname)'
	set_args /bin/sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/pid'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(readlink /proc/$$/ns/net)" ]
	[ "${lines[1]}" = "$(readlink /proc/$$/ns/pid)" ]
	assert_no_leftovers ct
}

@test "uts namespace: hostname stays inside" {
	local before
	before=$(hostname)
	update_config '.hostname = "inside-only"'
	set_args /bin/sh -c 'hostname; hostname changed-too 2>/dev/null; true'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = inside-only ]
	[ "$(hostname)" = "$before" ]
}

@test "mount namespace: the container's mounts are not visible on the host" {
	update_config '.mounts += [{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_args /bin/sh -c 'grep -q " /scratch " /proc/self/mountinfo && echo ready; exec sleep 1000'
	start_sleeper ct
	[ -z "$(mounts_under "$BUNDLE")" ]
	run grep -q scratch /proc/self/mountinfo
	[ "$status" -ne 0 ]
}

@test "joining net, uts and ipc namespaces by path" {
	update_config '.hostname = "alpha"'
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	start_sleeper a
	apid=$(ct_pid a)

	setup_bundle "$TESTDIR/bundle-b"
	update_config 'del(.hostname)
		| .linux.namespaces |= map(select(.type != "network" and .type != "uts" and .type != "ipc"))
		| .linux.namespaces += [
			{type: "network", path: ("/proc/" + $p + "/ns/net")},
			{type: "uts", path: ("/proc/" + $p + "/ns/uts")},
			{type: "ipc", path: ("/proc/" + $p + "/ns/ipc")}]' --arg p "$apid"
	set_args /bin/sh -c 'hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
	run hutch run --bundle "$BUNDLE" b
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = alpha ]
	[ "${lines[1]}" = "$(ns_inode "$apid" net)" ]
	[ "${lines[2]}" = "$(ns_inode "$apid" ipc)" ]
	# A is unaffected.
	[ "$(ct_status a)" = running ]
}

@test "joining a namespace path that does not exist fails and names it" {
	update_config '.linux.namespaces |= map(select(.type != "network")) + [{type: "network", path: "/proc/999999999/ns/net"}]'
	set_args /bin/true
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == */proc/999999999/ns/net* ]]
	assert_no_leftovers ct
}

userns_config() {
	update_config '.linux.namespaces |= map(select(.type != "user")) + [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

@test "user namespace: maps written by root, uid 0 inside" {
	userns_config
	set_args /bin/sh -c 'cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; id -g'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "$(echo "${lines[0]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	assert_no_leftovers ct
}

@test "user namespace: the process runs as the mapped host uid" {
	userns_config
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	start_sleeper ct
	pid=$(ct_pid ct)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ]
	[ "$(ns_inode "$pid" user)" != "$(readlink /proc/self/ns/user)" ]
}

# B joins A's pid namespace too: A's mount namespace has A's /proc, in
# which a process of another pid namespace has no /proc/self.
@test "joining user and mount namespaces by path: B sees A's tmpfs file" {
	userns_config
	# Made by the host: root in the user namespace does not own the rootfs.
	mkdir "$ROOTFS/shared"
	update_config '.mounts += [{destination: "/shared", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_args /bin/sh -c 'echo from-a > /shared/file && echo ready; exec sleep 1000'
	start_sleeper a
	apid=$(ct_pid a)

	setup_bundle "$TESTDIR/bundle-b"
	update_config '.linux.namespaces = [
			{type: "user", path: ("/proc/" + $p + "/ns/user")},
			{type: "mount", path: ("/proc/" + $p + "/ns/mnt")},
			{type: "pid", path: ("/proc/" + $p + "/ns/pid")}]
		| del(.linux.uidMappings, .linux.gidMappings, .hostname, .linux.maskedPaths, .linux.readonlyPaths)
		| .mounts = []' --arg p "$apid"
	set_args /bin/sh -c 'cat /shared/file; id -u; readlink /proc/self/ns/user'
	run hutch run --bundle "$BUNDLE" b
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-a ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = "$(ns_inode "$apid" user)" ]
}

@test "time namespace: timeOffsets shift boottime and monotonic" {
	[ -e /proc/self/timens_offsets ] || skip "kernel without time namespaces"
	update_config '.linux.namespaces += [{type: "time"}]
		| .linux.timeOffsets = {boottime: {secs: 31536000, nanosecs: 0}, monotonic: {secs: 86400, nanosecs: 0}}'
	set_args /bin/sh -c 'cat /proc/self/timens_offsets; cut -d. -f1 /proc/uptime'
	local host_up
	host_up=$(cut -d. -f1 /proc/uptime)
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq '^monotonic +86400 +0$'
	echo "$output" | grep -Eq '^boottime +31536000 +0$'
	[ "${lines[2]}" -ge $((host_up + 31536000)) ]
	[ "${lines[2]}" -lt $((host_up + 31536000 + 60)) ]
}
