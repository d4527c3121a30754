#!/usr/bin/env bats
# hutch exec: a process joins every namespace and the cgroup of a running
# container and sees the container's view.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

start_container() {
	set_args /bin/sh -c 'echo ready; exec sleep 1000'
	hutch_start_bg "$1"
}

@test "exec sees the container's hostname, pid namespace and root" {
	update_config '.hostname = "exec-host"'
	start_container ex
	run hutch exec ex sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "; echo; awk "\$5 == \"/\" {print \$4}" /proc/self/mountinfo'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-host ]
	# pid 1 of the exec'd process's pid namespace is the container's process.
	[ "${lines[1]}" = "sleep 1000 " ]
	# Its root is the bundle's rootfs (the mount's root within its filesystem).
	[ "${lines[2]}" = "$(readlink -f "$ROOTFS")" ]
}

@test "exec joins the container's namespaces and cgroup" {
	start_container ex
	pid=$(ct_pid ex)
	hutch exec -d --pid-file "$TESTDIR/exec.pid" ex sleep 100
	epid=$(cat "$TESTDIR/exec.pid")
	for ns in mnt pid net ipc uts; do
		[ "$(readlink /proc/$epid/ns/$ns)" = "$(readlink /proc/$pid/ns/$ns)" ]
	done
	grep -qx "$epid" /sys/fs/cgroup/memory/hutch/ex/cgroup.procs
}

@test "exec returns the process's exit status" {
	start_container ex
	run hutch exec ex sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run hutch exec ex true
	[ "$status" -eq 0 ]
}

@test "exec of a missing command uses runc's wording and exits 255" {
	start_container ex
	run hutch exec ex nosuch
	[ "$status" -eq 255 ]
	[[ "$output" == *nosuch*'executable file not found in $PATH'* ]]
	run hutch exec ex /etc/passwd
	[ "$status" -eq 255 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "exec --user, --cwd and --env" {
	start_container ex
	run hutch exec --user 1000:1000 --cwd /tmp --env FOO=bar ex sh -c 'id -u; id -g; pwd; echo $FOO'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /tmp ]
	[ "${lines[3]}" = bar ]
	# One --env, one variable, commas and all (as runc).
	run hutch exec --env FOO=a,b ex sh -c 'echo $FOO'
	[ "$status" -eq 0 ]
	[ "$output" = a,b ]
}

@test "exec --process reads a bare process object" {
	start_container ex
	cat >"$TESTDIR/process.json" <<-'JSON'
	{"args": ["/bin/sh", "-c", "echo from-process-file $X"], "env": ["X=1", "PATH=/bin"], "cwd": "/", "user": {"uid": 0, "gid": 0}}
	JSON
	run hutch exec --process "$TESTDIR/process.json" ex
	[ "$status" -eq 0 ]
	[ "$output" = "from-process-file 1" ]
}

@test "exec gets only fds 0-2" {
	start_container ex
	exec 7<"$TESTDIR"
	run hutch exec ex ls /proc/self/fd
	exec 7<&-
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "exec into a container with a user namespace runs as the mapped root" {
	update_config '.linux.namespaces += [{type: "user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	start_container ex
	hutch exec -d --pid-file "$TESTDIR/exec.pid" ex sleep 100
	epid=$(cat "$TESTDIR/exec.pid")
	[ "$(awk '/^Uid:/ {print $2}' /proc/$epid/status)" = 100000 ]
	run hutch exec ex sh -c 'id -u; cat /proc/self/uid_map'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 100000 65536" ]
}

@test "exec into a stopped container fails with 255, as runc" {
	set_args true
	hutch_start_bg ex
	wait_status ex stopped
	run hutch exec ex true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: "*stopped* ]]
	run hutch exec nosuch true
	[ "$status" -eq 255 ]
	[[ "$output" == *"exec failed: "*"container does not exist"* ]]
}

@test "exec into a paused container: refused with runc's words; --ignore-paused runs it on resume" {
	start_container ex
	hutch pause ex
	run hutch exec ex true
	[ "$status" -eq 255 ]
	[[ "$output" == *"cannot exec in a paused container (use --ignore-paused to override)"* ]]
	# The process joins the frozen cgroup and runs once resumed; resume
	# must not wait for the exec (which holds no lock meanwhile).
	hutch exec --ignore-paused ex sh -c 'echo ran >/exec-ran' </dev/null >"$TESTDIR/exec.out" 2>&1 3>&- &
	local xpid=$!
	sleep 0.5
	[ ! -e "$ROOTFS/exec-ran" ]
	hutch resume ex
	wait "$xpid"
	[ "$(cat "$ROOTFS/exec-ran")" = ran ]
	[ "$(ct_status ex)" = running ]
}

@test "exec --cgroup: an existing sub-cgroup of the container's, per v1 controller or in every hierarchy" {
	start_container ex
	local d
	for d in /sys/fs/cgroup/*/hutch/ex; do
		mkdir "$d/sub"
	done
	# A new v1 cpuset is empty: give it the parent's, as one would.
	cat /sys/fs/cgroup/cpuset/hutch/ex/cpuset.cpus >/sys/fs/cgroup/cpuset/hutch/ex/sub/cpuset.cpus
	cat /sys/fs/cgroup/cpuset/hutch/ex/cpuset.mems >/sys/fs/cgroup/cpuset/hutch/ex/sub/cpuset.mems
	# One controller, and two in one value (no splitting at the comma).
	run hutch exec --cgroup memory:sub ex cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:/sub"* ]]
	[[ "$output" == *":pids:/"$'\n'* ]]
	run hutch exec --cgroup memory,pids:sub ex cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[[ "$output" == *":memory:/sub"* ]] && [[ "$output" == *":pids:/sub"* ]]
	[[ "$output" == *":cpu:/"$'\n'* ]]
	# A bare path: every hierarchy, the hybrid cgroup2 one too.
	run hutch exec --cgroup sub ex cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$(grep -vc ':/sub$' <<<"$output")" = 0 ]
	# Refused: outside the container's cgroup, missing, unknown controller.
	run hutch exec --cgroup memory:../.. ex true
	[ "$status" -eq 255 ]
	[[ "$output" == *"bad sub cgroup path"* ]]
	run hutch exec --cgroup memory:nosuch ex true
	[ "$status" -eq 255 ]
	[[ "$output" == *" adding pid "*"/sys/fs/cgroup/memory/hutch/ex/nosuch: no such file or directory"* ]]
	run hutch exec --cgroup bogus:sub ex true
	[ "$status" -eq 255 ]
	[[ "$output" == *'unknown controller \"bogus\"'* ]]
	# "/" is the container's own cgroup.
	run hutch exec --cgroup / ex cat /proc/self/cgroup
	[ "$status" -eq 0 ]
	[ "$(grep -vc ':/$' <<<"$output")" = 0 ]
	# delete removes the sub-cgroups with the container's.
	hutch delete --force ex
	assert_no_leftovers ex
}

@test "HOME defaults to the user's home in the container's /etc/passwd, else /, as runc" {
	update_config '.process.user = {uid: 1000, gid: 1000}'
	set_args /bin/sh -c 'echo "init HOME=$HOME"; exec sleep 1000'
	hutch_start_bg ex
	wait_file_contains "$TESTDIR/ex.out" 'init HOME='
	grep -qx 'init HOME=/home/hutch' "$TESTDIR/ex.out"
	run hutch exec ex sh -c 'echo $HOME'
	[ "$output" = /home/hutch ]
	run hutch exec -u 0 ex sh -c 'echo $HOME'
	[ "$output" = /root ]
	run hutch exec -u 2000 ex sh -c 'echo $HOME'
	[ "$output" = / ]
	run hutch exec -u 0 -e HOME=/kept ex sh -c 'echo $HOME'
	[ "$output" = /kept ]
}
