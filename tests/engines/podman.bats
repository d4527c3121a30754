#!/usr/bin/env bats
# hutch as podman's OCI runtime (podman 4.3 through conmon), as root.
#
# podman keeps all of its state in a private directory (PM): storage (vfs),
# runroot, tmp_dir (conmon's exit files), events log and network config, set
# by a private containers.conf and storage.conf. Containers use
# --network none and a private cgroup parent (CGP), so nothing of the host's
# podman, firewall or cgroups is touched. hutch itself runs with podman's
# argv unchanged (no --root: its state is /run/hutch/<id>).

load helpers

bats_require_minimum_version 1.5.0

fail() {
	echo "$@" >&2
	return 1
}

IMAGE=localhost/hutch-busybox

setup_file() {
	[ "$(id -u)" -eq 0 ] || skip "the podman engine test runs as root"
	[ -x "$HUTCH" ] || {
		echo "no hutch binary at $HUTCH (make build)" >&2
		return 1
	}
	engine_install podman conmon containernetworking-plugins procps

	PM=$(mktemp -d /tmp/hutch-podman.XXXXXX)
	chmod 0755 "$PM"
	export PM CGP="/hutch-podman-${PM##*.}" MARK="hutch-podman-${PM##*.}"
	export CONTAINERS_CONF=$PM/containers.conf CONTAINERS_STORAGE_CONF=$PM/storage.conf
	mkdir -p "$PM/cwd"

	cat >"$CONTAINERS_STORAGE_CONF" <<-EOF
		[storage]
		driver = "vfs"
		graphroot = "$PM/root"
		runroot = "$PM/runroot"
	EOF

	# Ulimits: root here lacks CAP_SYS_RESOURCE, so podman's defaults
	# (nofile 1048576, nproc 4194304) cannot be applied by any runtime; podman
	# itself lowers its own RLIMIT_NPROC to 32768 before starting conmon, so
	# nproc cannot exceed that either.
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	[ "$nofile" = unlimited ] && nofile=1048576

	# runtime_supports_json gets "hutch" so podman passes
	# --log-format=json --log FILE and shows hutch's errors from that file.
	cat >"$CONTAINERS_CONF" <<-EOF
		[containers]
		default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
		[network]
		network_config_dir = "$PM/net"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PM/events.log"
		runtime = "hutch"
		runtime_supports_json = ["crun", "runc", "hutch"]
		tmp_dir = "$PM/tmp"
		static_dir = "$PM/root/libpod"
		volume_path = "$PM/root/volumes"
		[engine.runtimes]
		hutch = ["$HUTCH"]
	EOF

	busybox_tarball "$PM/busybox.tar"
	pm import -q "$PM/busybox.tar" "$IMAGE" >/dev/null
	rm -f "$PM/busybox.tar"
}

# conmon writes files (its "oom" marker) into its working directory, which
# podman leaves as ours: keep that out of the repository.
setup() {
	cd "$PM/cwd"
}

# A failed test must not fail the next ones: remove what it left (each test
# checks its own leftovers before this).
teardown() {
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
}

teardown_file() {
	[ -n "${PM:-}" ] && [ -d "$PM" ] || return 0
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	# conmon processes (and anything else) still working for this podman, and
	# container processes a failed test left behind.
	local p f
	for p in $(pgrep -f -- "$PM/" || true); do
		[ "$p" != $$ ] && kill -9 "$p" 2>/dev/null || true
	done
	for f in $(grep -lz -- "^HUTCH_PODMAN_MARK=$MARK\." /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		kill -9 "${p%/environ}" 2>/dev/null || true
	done
	grep -F " $PM/" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	find /sys/fs/cgroup/*/"${CGP#/}" -depth -type d -exec rmdir {} + 2>/dev/null || true
	rm -rf "$PM"
}

# pm: podman with its private state.
pm() {
	podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs "$@"
}

# prun ARGS...: podman run with no network, in our cgroup parent, with the
# marker (per test) that leftover_procs looks for.
prun() {
	pm run --network none --cgroup-parent "$CGP" -e "HUTCH_PODMAN_MARK=$MARK.$BATS_TEST_NUMBER" "$@"
}

# pm_rm_shm_race CID: podman rm -f of a container with --uidmap. podman 4.3
# races with its own exit command here: now and then rm fails with
# "unlinkat .../userdata/shm: device or resource busy" while the shm mount
# is still being taken down, and a second rm succeeds. runc 1.1.5 under the
# same podman shows it as often as hutch (3 of 25 runs each), so retry once,
# on that error only.
pm_rm_shm_race() {
	local out
	out=$(pm rm -f -t 0 "$1" 2>&1) && return 0
	[[ "$out" == *"/userdata/shm: device or resource busy"* ]] || fail "$out"
	echo "# podman rm raced on userdata/shm; retrying: $out" >&3
	sleep 1
	pm rm -f -t 0 "$1"
}

# prun_d ARGS...: a detached container; sets CID.
prun_d() {
	CID=$(prun -d "$@") || fail "podman run -d $* failed: $CID"
	[ ${#CID} -eq 64 ] || fail "podman run -d: no container id: $CID"
}

ctr_pid() { pm inspect -f '{{.State.Pid}}' "$1"; }
ctr_status() { pm inspect -f '{{.State.Status}}' "$1"; }

# wait_logs ID TEXT: until `podman logs` shows TEXT (10 s).
wait_logs() {
	local i
	for i in $(seq 100); do
		pm logs "$1" 2>/dev/null | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	fail "logs of $1 never showed '$2': $(pm logs "$1" 2>&1)"
}

# pid_running PID: the process exists and is not a zombie (an orphan is
# reaped by the host's init a moment after it died).
pid_running() {
	local st
	st=$(awk '$1 == "State:" {print $2}' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ]
}

# leftover_procs: live processes carrying this test's marker.
leftover_procs() {
	local f pid
	for f in $(grep -lzxF -- "HUTCH_PODMAN_MARK=$MARK.$BATS_TEST_NUMBER" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" != $$ ] && pid_running "$pid" && echo "$pid"
	done
	return 0
}

# wait_no_leftovers: until no marked process runs (5 s).
wait_no_leftovers() {
	local i
	for i in $(seq 50); do
		[ -z "$(leftover_procs)" ] && return 0
		sleep 0.1
	done
	fail "processes left: $(leftover_procs | xargs -r ps -o pid,ppid,stat,cmd -p)"
}

# assert_gone ID: no hutch state, no cgroup, no conmon for the container.
assert_gone() {
	local id=$1 d
	[ ! -e "/run/hutch/$id" ] || fail "hutch state left: /run/hutch/$id"
	for d in /sys/fs/cgroup/*/"${CGP#/}"/libpod-"$id"; do
		[ ! -e "$d" ] || fail "cgroup left: $d"
	done
	# conmon exits on its own once it has seen the container exit and run
	# podman's exit command: give it a moment.
	for d in $(seq 50); do
		pgrep -f -- "conmon .*-c $id" >/dev/null || return 0
		sleep 0.1
	done
	fail "conmon left for $id"
}

@test "podman: hutch is the runtime, with json logging" {
	run -0 pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}} {{.Host.CgroupManager}}'
	[ "$output" = "hutch $HUTCH cgroupfs" ]
	prun_d "$IMAGE" sleep 100
	run -0 tr '\0' ' ' <"/proc/$(pgrep -f -- "conmon .*-c $CID" | head -1)/cmdline"
	[[ "$output" == *"-r $HUTCH "* ]]
	[[ "$output" == *"--runtime-arg --log-format=json"* ]]
	pm rm -f -t 0 "$CID"
}

@test "podman: run --rm shows the output, stdin too" {
	run -0 prun --rm "$IMAGE" echo hello from hutch
	[ "$output" = "hello from hutch" ]
	run -0 bash -c 'echo piped | "$@"' _ podman --root "$PM/root" --runroot "$PM/runroot" \
		--storage-driver vfs run --rm -i --network none --cgroup-parent "$CGP" "$IMAGE" cat
	[ "$output" = "piped" ]
	[ -z "$(pm ps -aq)" ]
}

@test "podman: exit codes pass through" {
	run -3 prun --rm "$IMAGE" sh -c 'exit 3'
	run -0 prun --rm "$IMAGE" true
	run -1 prun --rm "$IMAGE" false
	run -42 prun --rm "$IMAGE" sh -c 'exit 42'
}

@test "podman: run -d, logs, stop, rm" {
	prun_d "$IMAGE" sh -c 'trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done'
	wait_logs "$CID" ready
	[ "$(ctr_status "$CID")" = running ]
	[ -d "/run/hutch/$CID" ]
	local t0=$SECONDS
	run -0 pm stop -t 20 "$CID"
	[ $((SECONDS - t0)) -lt 15 ] # stopped by SIGTERM, not the timeout's SIGKILL
	run -0 pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CID"
	[ "$output" = "exited 0" ]
	run -0 pm logs "$CID"
	[[ "$output" == *"got TERM"* ]]
	run -0 pm rm "$CID"
	assert_gone "$CID"
}

@test "podman: exec (plain, -t, exit code, user, workdir, env)" {
	prun_d "$IMAGE" sleep 1000
	run -0 pm exec "$CID" echo from exec
	[ "$output" = "from exec" ]
	run -7 pm exec "$CID" sh -c 'exit 7'
	run -0 pm exec -t "$CID" sh -c '[ -t 0 ] && [ -t 1 ] && tty'
	[[ "$output" == /dev/pts/* ]]
	# exec -it from a terminal: the exec pty gets the terminal's size.
	local hold sp
	exec {hold}< <(sleep 60)
	sp=$!
	run -0 timeout 60 script -qec "stty rows 33 cols 101; podman --root '$PM/root' --runroot '$PM/runroot' \
		--storage-driver vfs exec -it '$CID' stty size" /dev/null <&$hold
	exec {hold}<&-
	kill "$sp" 2>/dev/null || true
	[[ "$output" == *"33 101"* ]]
	run -0 pm exec --user 1000:1000 --workdir /tmp -e EXECVAR=v1 "$CID" sh -c 'echo $(id -u):$(id -g) $(pwd) $EXECVAR'
	[ "$output" = "1000:1000 /tmp v1" ]
	# exec'd processes join the container's pid namespace and cgroup.
	run -0 pm exec "$CID" sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; cat /proc/self/cgroup'
	[[ "${lines[0]}" == "sleep 1000 " ]]
	[[ "$output" == *"libpod-$CID"* ]]
	pm rm -f -t 0 "$CID"
	assert_gone "$CID"
}

@test "podman: --user" {
	run -0 prun --rm --user 1000:1000 "$IMAGE" id
	[[ "$output" == "uid=1000(hutch) gid=1000(hutch)"* ]]
	run -0 prun --rm --user hutch "$IMAGE" id -un
	[ "$output" = hutch ]
	run -0 prun --rm --user 4321:4321 "$IMAGE" sh -c 'echo $(id -u) $(id -g)'
	[ "$output" = "4321 4321" ]
}

@test "podman: --workdir" {
	run -0 prun --rm --workdir /tmp "$IMAGE" pwd
	[ "$output" = /tmp ]
	run -0 prun --rm --user hutch --workdir /home/hutch "$IMAGE" sh -c 'pwd; touch own && echo ok'
	[ "$output" = "/home/hutch
ok" ]
}

@test "podman: -e" {
	run -0 prun --rm -e FOO=bar -e "SPACED=a b" "$IMAGE" sh -c 'echo "$FOO|$SPACED"'
	[ "$output" = "bar|a b" ]
}

@test "podman: bind mounts rw and ro" {
	local v=$PM/vol-$BATS_TEST_NUMBER
	mkdir -p "$v"
	echo from-host >"$v/in"
	run -0 prun --rm -v "$v:/data" "$IMAGE" sh -c 'cat /data/in; echo from-container >/data/out'
	[ "$output" = from-host ]
	[ "$(cat "$v/out")" = from-container ]
	run -1 prun --rm -v "$v:/data:ro" "$IMAGE" sh -c 'cat /data/in; echo x >/data/ro-write'
	[[ "$output" == *from-host* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[ ! -e "$v/ro-write" ]
	# A single file, read-only.
	run -0 prun --rm -v "$v/in:/etc/motd:ro" "$IMAGE" cat /etc/motd
	[ "$output" = from-host ]
}

@test "podman: --read-only" {
	run -0 prun --rm --read-only "$IMAGE" sh -c 'grep " / " /proc/mounts; touch /x || echo root-ro; touch /tmp/x && echo tmp-rw'
	[[ "${lines[0]}" == *" / "*" ro,"* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" == *root-ro* ]]
	[[ "$output" == *tmp-rw* ]]
}

@test "podman: --tmpfs (with tmpcopyup, size, mode)" {
	# podman adds tmpcopyup: what the image has under the path is copied in.
	run -0 prun --rm --tmpfs /home "$IMAGE" sh -c 'grep " /home " /proc/mounts; ls /home; stat -c "%a %U" /home /home/hutch; touch /home/new && echo writable'
	[[ "${lines[0]}" == "tmpfs /home tmpfs "* ]]
	[ "${lines[1]}" = hutch ]
	# runc keeps the mode and owner of the directory the tmpfs covers.
	[ "${lines[2]}" = "755 root" ]
	[ "${lines[3]}" = "755 hutch" ]
	[ "${lines[4]}" = writable ]
	run -0 prun --rm --tmpfs /scratch:rw,size=1m,mode=1777 "$IMAGE" sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch'
	[[ "${lines[0]}" == *"size=1024k"* ]]
	[ "${lines[1]}" = 1777 ]
}

@test "podman: --device" {
	# podman copies the host device's st_mode, type bits included.
	run -0 prun --rm --device /dev/null:/dev/mynull "$IMAGE" sh -c 'stat -c "%F %t:%T %a" /dev/mynull; echo x >/dev/mynull && echo write-ok'
	[ "${lines[0]}" = "character special file 1:3 666" ]
	[ "${lines[1]}" = write-ok ]
}

@test "podman: --hostname" {
	run -0 prun --rm --hostname boxy.example "$IMAGE" sh -c 'hostname; cat /etc/hostname'
	[ "${lines[0]}" = boxy.example ]
	[ "${lines[1]}" = boxy.example ]
}

@test "podman: --memory sets the memory cgroup limit" {
	prun_d --memory 64m "$IMAGE" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; sleep 1000'
	wait_logs "$CID" 67108864
	local cg
	cg=$(awk -F: '$2 == "memory" {print $3}' "/proc/$(ctr_pid "$CID")/cgroup")
	[ "$cg" = "$CGP/libpod-$CID" ]
	[ "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes")" = 67108864 ]
	pm rm -f -t 0 "$CID"
	assert_gone "$CID"
}

@test "podman: --memory OOM kill is exit 137 and OOMKilled" {
	local hog='x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived'
	rm -f oom
	run -137 prun --rm --memory 32m --memory-swap 32m "$IMAGE" sh -c "$hog"
	[[ "$output" != *survived* ]]
	[ -e oom ] # conmon saw the OOM event of the container's memory cgroup

	# conmon 2.1.6 writes its "oom" marker relative to its cwd, which podman
	# 4.3 leaves as the caller's; podman reads it from the bundle. So start
	# the container from its bundle for podman to see the marker (runc gives
	# OOMKilled=false otherwise, just as hutch does).
	local id ud
	id=$(pm create --network none --cgroup-parent "$CGP" -e "HUTCH_PODMAN_MARK=$MARK.$BATS_TEST_NUMBER" \
		--memory 32m --memory-swap 32m "$IMAGE" sh -c "$hog")
	ud=$(pm inspect -f '{{.StaticDir}}' "$id")
	run -137 bash -c 'cd "$1" && shift && "$@"' _ "$ud" \
		podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs start -a "$id"
	run -0 pm inspect -f '{{.State.OOMKilled}} {{.State.ExitCode}}' "$id"
	[ "$output" = "true 137" ]
	pm rm "$id"
	assert_gone "$id"
}

@test "podman: --pids-limit" {
	run prun --rm --pids-limit 8 "$IMAGE" sh -c 'cat /sys/fs/cgroup/pids/pids.max; i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i+1)); done; echo all-forked'
	[ "$status" -ne 0 ]
	[ "${lines[0]}" = 8 ]
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *all-forked* ]]
}

@test "podman: --cap-drop ALL" {
	run -0 prun --rm "$IMAGE" grep CapEff /proc/self/status
	[[ "$output" != *"0000000000000000"* ]]
	run -0 prun --rm --cap-drop ALL "$IMAGE" grep -E 'Cap(Eff|Prm|Bnd)' /proc/self/status
	[ "$(grep -c '0000000000000000$' <<<"$output")" -eq 3 ]
	run -1 prun --rm --cap-drop ALL "$IMAGE" chown 1000 /bin
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "podman: --security-opt no-new-privileges" {
	run -0 prun --rm "$IMAGE" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"NoNewPrivs:"*0 ]]
	run -0 prun --rm --security-opt no-new-privileges "$IMAGE" grep NoNewPrivs /proc/self/status
	[[ "$output" == *"NoNewPrivs:"*1 ]]
}

@test "podman: pause and unpause" {
	prun_d "$IMAGE" sh -c 'while :; do date +%s%N >/tmp/tick; sleep 0.05; done'
	local tick a b
	tick=/proc/$(ctr_pid "$CID")/root/tmp/tick
	sleep 0.3
	run -0 pm pause "$CID"
	[ "$(ctr_status "$CID")" = paused ]
	[ "$(cat "/sys/fs/cgroup/freezer$CGP/libpod-$CID/freezer.state")" = FROZEN ]
	a=$(cat "$tick")
	sleep 0.5
	[ "$(cat "$tick")" = "$a" ] # frozen: nothing ticks
	run -0 pm unpause "$CID"
	[ "$(ctr_status "$CID")" = running ]
	[ "$(cat "/sys/fs/cgroup/freezer$CGP/libpod-$CID/freezer.state")" = THAWED ]
	sleep 0.5
	b=$(cat "$tick")
	[ "$a" != "$b" ]
	# podman kill of a paused container: SIGKILL reaches a frozen task.
	run -0 pm pause "$CID"
	run -0 timeout 30 podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs kill "$CID"
	run -0 pm wait "$CID"
	[ "$output" = 137 ]
	run -0 pm inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CID"
	[ "$output" = "exited 137" ]
	pm rm "$CID"
	assert_gone "$CID"
}

@test "podman: restart" {
	prun_d "$IMAGE" sh -c 'echo boot; exec sleep 1000'
	wait_logs "$CID" boot
	local p1 p2
	p1=$(ctr_pid "$CID")
	run -0 pm restart -t 0 "$CID"
	[ "$(ctr_status "$CID")" = running ]
	p2=$(ctr_pid "$CID")
	[ "$p1" != "$p2" ]
	! kill -0 "$p1" 2>/dev/null
	run -0 pm logs "$CID"
	[ "$(grep -c boot <<<"$output")" -eq 2 ]
	pm rm -f -t 0 "$CID"
	assert_gone "$CID"

	# --restart on-failure:2: conmon's exit command restarts it twice.
	prun_d --restart on-failure:2 "$IMAGE" sh -c 'echo attempt; exit 1'
	local i
	for i in $(seq 200); do
		[ "$(pm inspect -f '{{.RestartCount}} {{.State.Status}}' "$CID")" = "2 exited" ] && break
		sleep 0.1
	done
	run -0 pm inspect -f '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}' "$CID"
	[ "$output" = "2 exited 1" ]
	run -0 pm logs "$CID"
	[ "$(grep -c attempt <<<"$output")" -eq 3 ]
	pm rm "$CID"
	assert_gone "$CID"
}

@test "podman: kill -s delivers the signal" {
	prun_d "$IMAGE" sh -c 'trap "echo got USR1" USR1; trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'
	wait_logs "$CID" ready
	run -0 pm kill -s USR1 "$CID"
	wait_logs "$CID" "got USR1"
	run -0 pm kill -s 1 "$CID"
	wait_logs "$CID" "got HUP"
	[ "$(ctr_status "$CID")" = running ]
	run -0 pm kill "$CID" # SIGKILL by default
	run -0 pm wait "$CID"
	[ "$output" = 137 ]
	pm rm "$CID"
	assert_gone "$CID"
}

@test "podman: --uidmap" {
	prun_d --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMAGE" sh -c 'cat /proc/self/uid_map; id; touch /tmp/f; sleep 1000'
	wait_logs "$CID" uid=
	run -0 pm logs "$CID"
	[[ "${lines[0]}" =~ ^\ *0\ +100000\ +65536$ ]]
	[[ "${lines[1]}" == "uid=0(root) gid=0(root)"* ]]
	# On the host the container's root is uid 100000.
	[ "$(stat -c %u "/proc/$(ctr_pid "$CID")")" = 100000 ]
	# exec joins the user namespace.
	run -0 pm exec "$CID" sh -c 'cat /proc/self/uid_map; id -u'
	[[ "${lines[0]}" =~ ^\ *0\ +100000\ +65536$ ]]
	[ "${lines[1]}" = 0 ]
	run -0 pm exec --user 1000 "$CID" sh -c 'touch /tmp/by1000; stat -c %u /tmp/by1000'
	[ "$output" = 1000 ]
	pm_rm_shm_race "$CID"
	assert_gone "$CID"
}

@test "podman: --pid host, stop kills every process (kill --all)" {
	prun_d --pid host "$IMAGE" sh -c 'sleep 1001 & echo ready; exec sleep 1002'
	wait_logs "$CID" ready
	local pids
	pids=$(leftover_procs)
	[ "$(wc -w <<<"$pids")" -ge 2 ]
	# The container sees the host's processes.
	run -0 pm exec "$CID" sh -c 'ls -d /proc/1'
	run -0 pm exec "$CID" cat /proc/1/comm
	[ "$output" != sleep ]
	local t0=$SECONDS
	run -0 pm stop -t 10 "$CID"
	[ $((SECONDS - t0)) -lt 8 ] # SIGTERM was enough
	wait_no_leftovers
	pm rm "$CID"
	assert_gone "$CID"
}

@test "podman: run -t gives a tty" {
	run -0 prun --rm -t "$IMAGE" sh -c '[ -t 0 ] && [ -t 1 ] && tty'
	[[ "$output" == /dev/pts/* ]]
	run -0 prun --rm "$IMAGE" sh -c '[ -t 1 ] || echo no-tty'
	[ "$output" = no-tty ]
	# run -it from a terminal: the container's pty gets its size. script's
	# stdin stays open (an EOF there would hang up the terminal early).
	local hold sp
	exec {hold}< <(sleep 60)
	sp=$!
	run -0 timeout 60 script -qec "stty rows 33 cols 101; podman --root '$PM/root' --runroot '$PM/runroot' \
		--storage-driver vfs run --rm -it --network none --cgroup-parent '$CGP' '$IMAGE' sh -c 'stty size; tty'" /dev/null <&$hold
	exec {hold}<&-
	kill "$sp" 2>/dev/null || true
	[[ "$output" == *"33 101"* ]]
	[[ "$output" == *"/dev/pts/"* ]]
}

@test "podman: missing command is 127, non-executable is 126, with hutch's message" {
	run -127 prun --rm "$IMAGE" /no/such/cmd
	[[ "$output" == *'hutch: exec: "/no/such/cmd": no such file or directory'* ]]
	run -127 prun --rm "$IMAGE" nosuchcmd
	[[ "$output" == *'"nosuchcmd": executable file not found in $PATH'* ]]
	run -126 prun --rm "$IMAGE" /etc/passwd
	[[ "$output" == *'"/etc/passwd": permission denied'* ]]
	# An empty command: 127 as with runc, and the field named.
	run -127 prun --rm "$IMAGE" ""
	[[ "$output" == *'process.args[0]: must not be empty'* ]]

	prun_d "$IMAGE" sleep 1000
	run -127 pm exec "$CID" /no/such/cmd
	[[ "$output" == *'"/no/such/cmd": no such file or directory'* ]]
	run -126 pm exec "$CID" /etc/passwd
	[[ "$output" == *'"/etc/passwd": permission denied'* ]]
	pm rm -f -t 0 "$CID"
	assert_gone "$CID"
}

@test "podman: the error podman shows is hutch's --log json line" {
	local id log
	id=$(pm create --network none --cgroup-parent "$CGP" "$IMAGE" /no/such/cmd)
	run -125 pm start "$id"
	log=$PM/runroot/vfs-containers/$id/userdata/oci-log
	[ -s "$log" ]
	run -0 jq -r 'select(.level == "error") | .msg' "$log"
	[ "${#lines[@]}" -eq 1 ]
	local msg=${lines[0]}
	[[ "$msg" == 'exec: "/no/such/cmd": no such file or directory' ]]
	# Every line is JSON with a time stamp.
	run -0 jq -e -s 'all(.time != null)' "$log"
	run -125 pm start "$id"
	[[ "$output" == *"hutch: $msg"* ]]
	pm rm "$id"
	assert_gone "$id"
}

# pm_criu: podman and hutch find CRIU on PATH; put one that works on
# this kernel ($CRIU, else PATH's, if `criu check` passes) first, or skip
# saying why (Debian 12's 3.17.1 fails on kernels from 6.13 on).
pm_criu() {
	local c=${CRIU:-$(command -v criu || true)} out
	[ -n "$c" ] || skip "no CRIU: neither \$CRIU nor criu on PATH (CRIU >= 4.1 needed on kernels from 6.13 on)"
	if ! out=$("$c" check -v4 --log-file /dev/stderr 2>&1); then
		skip "'$c check' fails ($("$c" --version 2>&1 | head -1)): $(echo "$out" | grep -m1 Error | sed "s/^([0-9.]*) //") (CRIU >= 4.1 needed on kernels from 6.13 on)"
	fi
	mkdir -p "$PM/criu-bin"
	ln -sf "$(readlink -f "$c")" "$PM/criu-bin/criu"
	export PATH=$PM/criu-bin:$PATH
}

# counts_on CID N: the logs go on from N (the line after N is N+1, within
# 5 s).
counts_on() {
	local i
	for i in $(seq 50); do
		pm logs "$1" 2>/dev/null | grep -qx "$(($2 + 2))" && break
		sleep 0.1
	done
	run -0 pm logs "$1"
	# The numbers after N's first appearance: N+1, N+2 (not a restart at 0).
	local after
	after=$(printf '%s\n' "${lines[@]}" | awk -v n="$2" 'seen {print; c++} $0 == n {seen = 1} c == 2 {exit}' | tr '\n' ' ')
	[ "$after" = "$(($2 + 1)) $(($2 + 2)) " ] || fail "after $2 the logs go on with '$after': $(printf '%s ' "${lines[@]}" | tail -c 200)"
}

@test "podman: container checkpoint and restore, and --export / --import" {
	pm_criu
	prun_d "$IMAGE" sh -c 'i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'
	wait_logs "$CID" 3
	local pid n
	pid=$(ctr_pid "$CID")
	run -0 pm container checkpoint "$CID"
	[ "$(ctr_status "$CID")" = exited ]
	pid_running "$pid" && fail "the dumped container's init $pid still runs"
	n=$(pm logs "$CID" | tail -1)
	run -0 pm container restore "$CID"
	[ "$(ctr_status "$CID")" = running ]
	counts_on "$CID" "$n"
	run -0 pm exec "$CID" sh -c 'cat /proc/1/cmdline | tr "\0" " "'
	[[ "$output" == "sh -c i=0"* ]]

	# Exported to a tarball, the container removed, imported back.
	run -0 pm container checkpoint --export "$PM/cp.tar.gz" "$CID"
	n=$(pm logs "$CID" | tail -1)
	pm rm -f -t 0 "$CID"
	assert_gone "$CID"
	run -0 pm container restore --import "$PM/cp.tar.gz"
	[ "$(ctr_status "$CID")" = running ]
	counts_on "$CID" "$n"
	pm rm -f -t 0 "$CID"
	assert_gone "$CID"
	wait_no_leftovers
}

@test "podman: checkpoint --leave-running keeps the container; restore --name makes a copy" {
	pm_criu
	prun_d "$IMAGE" sh -c 'i=0; while :; do echo $i; i=$((i+1)); sleep 0.1; done'
	wait_logs "$CID" 3
	run -0 pm container checkpoint --leave-running --export "$PM/cp2.tar.gz" "$CID"
	[ "$(ctr_status "$CID")" = running ]
	local copy
	copy=$(pm container restore --import "$PM/cp2.tar.gz" --name hutch-copy) || fail "restore --name: $copy"
	[ "$(ctr_status hutch-copy)" = running ]
	wait_logs hutch-copy 3
	[ "$(ctr_status "$CID")" = running ]
	copy=$(pm inspect -f '{{.Id}}' hutch-copy)
	pm rm -f -t 0 "$CID" hutch-copy
	assert_gone "$CID"
	assert_gone "$copy"
	wait_no_leftovers
}

@test "podman: nothing left behind" {
	local ids=() id
	prun --rm "$IMAGE" true
	prun_d "$IMAGE" sleep 1000
	ids+=("$CID")
	pm exec "$CID" true
	pm exec -t "$CID" true
	prun_d --pid host "$IMAGE" sh -c 'sleep 1000 & exec sleep 1000'
	ids+=("$CID")
	prun_d --uidmap 0:200000:65536 --gidmap 0:200000:65536 "$IMAGE" sleep 1000
	ids+=("$CID")
	id=$(pm create --network none --cgroup-parent "$CGP" -e "HUTCH_PODMAN_MARK=$MARK.$BATS_TEST_NUMBER" "$IMAGE" true)
	ids+=("$id")
	pm start -a "$id"
	# The running ones have their cgroups until removed.
	for id in "${ids[@]:0:3}"; do
		[ -d "/sys/fs/cgroup/pids$CGP/libpod-$id" ]
	done
	for id in "${ids[@]}"; do
		pm_rm_shm_race "$id"
	done
	for id in "${ids[@]}"; do
		assert_gone "$id"
	done
	wait_no_leftovers
	[ -z "$(pm ps -aq)" ]
	# Nothing of ours in hutch's state dir.
	for id in "${ids[@]}"; do
		! ls /run/hutch 2>/dev/null | grep -q "$id"
	done
}
