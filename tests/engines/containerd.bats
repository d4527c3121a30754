#!/usr/bin/env bats
# hutch under containerd 1.6 as ctr drives it: the io.containerd.runc.v2 shim
# with `--runc-binary hutch`. containerd runs with private root, state,
# sockets and runc root (CTD_DIR) and a containerd namespace of its own.

load helpers
load containerd-helpers

IMAGE=docker.io/library/busybox:hutch

setup_file() {
	[ -x "$HUTCH" ] || { echo "no hutch binary at $HUTCH (make build)" >&2; return 1; }
	engine_install containerd jq util-linux
	export NS=hutch-test-$$
	export CTD_CGROUP_PARENTS=$NS
	ctd_start "$(mktemp -d /tmp/hutch-ctd.XXXXXX)"
	export RUNC_ROOT=$CTD_DIR/runc
	ctd_import "$NS" "$IMAGE"
}

teardown_file() {
	ctd_stop
}

# c ARGS...: ctr against the private containerd, bounded in time.
c() {
	timeout 60 ctr -a "$CTD_SOCK" -n "$NS" "$@"
}

# crun_ ID ARGS...: `ctr run` with hutch as the shim's runtime; every
# container carries HUTCH_MARK so leftovers can be found by environment.
ctr_run() {
	c run --runc-binary "$HUTCH" --runc-root "$RUNC_ROOT" --env "HUTCH_MARK=$NS" "$@"
}

# cleanup ID: removes the task and container whatever state they are in.
cleanup() {
	c task kill -s SIGKILL "$1" >/dev/null 2>&1 || true
	c task delete -f "$1" >/dev/null 2>&1 || true
	c containers rm "$1" >/dev/null 2>&1 || true
}

# wait_status ID STATUS: polls `ctr task ls` for the task's status.
wait_status() {
	local i
	for i in $(seq 50); do
		c task ls | awk -v id="$1" '$1 == id { print $3 }' | grep -qx "$2" && return 0
		sleep 0.2
	done
	echo "task $1 never reached $2:" >&2
	c task ls >&2
	return 1
}

@test "ctr run: output of the container reaches ctr" {
	run ctr_run --rm "$IMAGE" run1 sh -c 'echo hello; id -u'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = 0 ]
}

@test "ctr run: the exit code of the container is ctr's" {
	run ctr_run --rm "$IMAGE" exit1 sh -c 'exit 42'
	[ "$status" -eq 42 ] || { echo "$output"; return 1; }
	run ctr_run --rm "$IMAGE" exit2 /no/such/binary
	[ "$status" -ne 0 ]
	echo "$output" | grep -q 'no such file or directory'
	# The failed create left no container behind in hutch's state.
	[ -z "$("$HUTCH" --root "$RUNC_ROOT/$NS" list -q)" ]
}

@test "ctr run -d, task exec, kill, delete" {
	ctr_run -d "$IMAGE" det1 sleep 1000
	wait_status det1 RUNNING
	# The shim's runtime is hutch: the container is in hutch's state.
	run "$HUTCH" --root "$RUNC_ROOT/$NS" state det1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = running ]
	# hutch's own state format (runc's has no init_start_time).
	jq -e 'has("init_start_time")' "$RUNC_ROOT/$NS/det1/state.json"
	run c task exec --exec-id ex1 det1 sh -c 'echo in-exec; exit 7'
	[ "$status" -eq 7 ]
	[ "$output" = in-exec ]
	# The exec'd process is gone; the init still runs.
	wait_status det1 RUNNING
	c task kill -s SIGKILL det1
	wait_status det1 STOPPED
	c task delete det1
	c containers rm det1
	run "$HUTCH" --root "$RUNC_ROOT/$NS" state det1
	[ "$status" -ne 0 ]
	cleanup det1
}

@test "ctr task kill -a, failed exec, delete -f of a running task" {
	ctr_run -d "$IMAGE" kall1 sh -c 'sleep 1000 & sleep 1001 & wait'
	wait_status kall1 RUNNING
	# An exec whose binary is missing fails, and the task lives on.
	run c task exec --exec-id bad kall1 /no/such/binary
	[ "$status" -ne 0 ]
	echo "$output" | grep -q 'no such file or directory'
	wait_status kall1 RUNNING
	# kill --all reaches every process of the container.
	c task kill -a -s SIGKILL kall1
	wait_status kall1 STOPPED
	c task delete kall1
	c containers rm kall1
	# delete -f of a running task: kill --all, then delete --force.
	ctr_run -d "$IMAGE" kall3 sleep 1000
	wait_status kall3 RUNNING
	c task delete -f kall3
	c containers rm kall3
	run "$HUTCH" --root "$RUNC_ROOT/$NS" state kall3
	[ "$status" -ne 0 ]
}

@test "ctr run -t and task exec -t: a terminal in the container" {
	# ctr -t needs a terminal of its own: script(1) gives it one.
	run timeout 60 script -qec "ctr -a $CTD_SOCK -n $NS run --rm -t --runc-binary $HUTCH --runc-root $RUNC_ROOT $IMAGE tty1 sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo ISATTY; exit 5'" /dev/null </dev/null
	[ "$status" -eq 5 ] || { echo "$output"; return 1; }
	echo "$output" | grep -q '/dev/pts/0'
	echo "$output" | grep -q ISATTY

	ctr_run -d "$IMAGE" tty2 sleep 1000
	wait_status tty2 RUNNING
	run timeout 60 script -qec "ctr -a $CTD_SOCK -n $NS task exec -t --exec-id tx tty2 sh -c 'tty; [ -t 0 ] && echo ISATTY; exit 6'" /dev/null </dev/null
	[ "$status" -eq 6 ] || { echo "$output"; cleanup tty2; return 1; }
	echo "$output" | grep -q '/dev/pts/'
	echo "$output" | grep -q ISATTY
	cleanup tty2
}

@test "ctr run --mount: bind mounts, read-write and read-only" {
	local dir
	dir=$(mktemp -d "$CTD_DIR/bind.XXXXXX")
	echo from-host >"$dir/in"
	run ctr_run --rm \
		--mount "type=bind,src=$dir,dst=/data,options=rbind:rw" \
		--mount "type=bind,src=$dir,dst=/ro,options=rbind:ro" \
		"$IMAGE" mnt1 sh -c 'cat /data/in; echo from-container >/data/out; touch /ro/x 2>&1 || echo RO-REFUSED'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	echo "$output" | grep -qx from-host
	echo "$output" | grep -qx RO-REFUSED
	[ "$(cat "$dir/out")" = from-container ]
	[ ! -e "$dir/x" ]
}

@test "ctr run --seccomp --read-only --cwd --cap-add: the spec's process and root" {
	run ctr_run --rm --seccomp --read-only --cwd /tmp --cap-add CAP_NET_ADMIN "$IMAGE" sec1 \
		sh -c 'pwd; grep -E "^(Seccomp|CapEff):" /proc/self/status; touch /x 2>&1; unshare -U true 2>&1; exit 0'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /tmp ]
	echo "$output" | grep -qP '^Seccomp:\t2$'
	# containerd's default set plus CAP_NET_ADMIN (bit 12).
	echo "$output" | grep -qP '^CapEff:\t00000000a80435fb$'
	echo "$output" | grep -q 'touch: /x: Read-only file system'
	echo "$output" | grep -q 'unshare(0x10000000): Operation not permitted'
}

@test "ctr run --memory-limit: the limit is in the container's cgroup" {
	ctr_run -d --memory-limit 67108864 "$IMAGE" mem1 sleep 1000
	wait_status mem1 RUNNING
	local pid cg
	pid=$(c task ls | awk '$1 == "mem1" { print $2 }')
	cg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$pid/cgroup")
	[ "$cg" = "/$NS/mem1" ] || { echo "memory cgroup of $pid: $cg"; cleanup mem1; return 1; }
	run cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes"
	cleanup mem1
	[ "$output" = 67108864 ]
	# delete removed the cgroup.
	[ ! -d "/sys/fs/cgroup/memory$cg" ]
}

@test "ctr task pause and resume: status and frozen cgroup" {
	ctr_run -d "$IMAGE" pause1 sh -c 'while :; do date +%s%N >/tmp/tick; sleep 0.1; done'
	wait_status pause1 RUNNING
	c task pause pause1
	wait_status pause1 PAUSED
	[ "$(cat /sys/fs/cgroup/freezer/$NS/pause1/freezer.state)" = FROZEN ]
	run "$HUTCH" --root "$RUNC_ROOT/$NS" state pause1
	[ "$(echo "$output" | jq -r .status)" = paused ]
	# Nothing runs while frozen.
	local root a b
	root=$CTD_DIR/state/io.containerd.runtime.v2.task/$NS/pause1/rootfs
	a=$(cat "$root/tmp/tick"); sleep 0.5; b=$(cat "$root/tmp/tick")
	[ "$a" = "$b" ] || { cleanup pause1; return 1; }
	c task resume pause1
	wait_status pause1 RUNNING
	sleep 0.5
	[ "$(cat "$root/tmp/tick")" != "$b" ] || { cleanup pause1; return 1; }
	cleanup pause1
}

@test "ctr task ps: the container's processes" {
	ctr_run -d "$IMAGE" ps1 sh -c 'sleep 1000 & sleep 1001 & wait'
	wait_status ps1 RUNNING
	local pid
	pid=$(c task ls | awk '$1 == "ps1" { print $2 }')
	# Both sleeps are forked by then.
	local i
	for i in $(seq 25); do
		[ "$(c task ps ps1 | tail -n +2 | wc -l)" -ge 3 ] && break
		sleep 0.2
	done
	run c task ps ps1
	cleanup ps1
	echo "$output"
	[ "${lines[0]%% *}" = PID ]
	[ "$(echo "$output" | tail -n +2 | wc -l)" -eq 3 ]
	echo "$output" | awk '{ print $1 }' | grep -qx "$pid"
}

@test "ctr task metrics: cgroup statistics of the container" {
	ctr_run -d --memory-limit 33554432 "$IMAGE" met1 sleep 1000
	wait_status met1 RUNNING
	run c task metrics met1
	cleanup met1
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	echo "$output"
	metric() { echo "$output" | awk -v m="$1" '$1 == m { print $2 }'; }
	[ "$(metric memory.limit_in_bytes)" = 33554432 ]
	[ "$(metric pids.current)" = 1 ]
	[ "$(metric memory.usage_in_bytes)" -gt 0 ]
}

@test "nothing left behind: no hutch state, cgroups, processes or shims" {
	# One more full cycle, then everything every test here started is gone.
	ctr_run -d "$IMAGE" last1 sleep 1000
	wait_status last1 RUNNING
	c task exec --exec-id lx last1 true
	c task kill -s SIGKILL last1
	wait_status last1 STOPPED
	c task delete last1
	c containers rm last1

	run c containers ls -q
	[ -z "$output" ] || { echo "containers left: $output"; return 1; }
	# hutch's state under the shim's runtime root, cgroups under
	# /sys/fs/cgroup/*/<ns>/, processes carrying HUTCH_MARK, shims.
	ctd_nothing_left "$RUNC_ROOT/$NS" "$NS" "^HUTCH_MARK=$NS\$"
}
