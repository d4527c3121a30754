#!/usr/bin/env bats
# hutch under docker: Debian's docker.io (dockerd 20.10) with hutch as its
# default runtime, driven through Debian's docker client.
#
# dockerd runs with private --data-root, --exec-root, --pidfile and socket,
# its own containerd (started by dockerd under the exec root), no bridge and
# no iptables/ip_forward changes, and a private --cgroup-parent, so nothing
# it does is visible to anyone else on the machine. Every container runs
# with --network none.

load helpers
bats_require_minimum_version 1.5.0

# Debian's client: /usr/local/bin may hold another docker of another version.
DOCKER=/usr/bin/docker
IMAGE=hutch-busybox:test

setup_file() {
	engine_install docker.io busybox-static jq
	[ -x "$HUTCH" ] || {
		echo "no hutch binary at $HUTCH (run make build)" >&2
		return 1
	}
	# dockerd uses a containerd already listening at the default address
	# instead of starting its own: that one would not be private.
	if [ -S /run/containerd/containerd.sock ]; then
		echo "/run/containerd/containerd.sock exists: dockerd would use that containerd, not a private one" >&2
		return 1
	fi
	DK=$(mktemp -d /tmp/hutch-docker.XXXXXX)
	CGPARENT=hutch-docker-${DK##*.}
	export DK CGPARENT
	# The daemon outlives this function: its output must not hold bats' fds.
	dockerd --bridge=none --iptables=false --ip6tables=false \
		--ip-forward=false --ip-masq=false \
		--data-root "$DK/data" --exec-root "$DK/exec" --pidfile "$DK/dockerd.pid" \
		-H "unix://$DK/docker.sock" --storage-driver overlay2 \
		--cgroup-parent "/$CGPARENT" \
		--add-runtime "hutch=$HUTCH" --default-runtime hutch \
		</dev/null >"$DK/dockerd.log" 2>&1 3>&- &
	echo $! >"$DK/dockerd.started"
	local i
	for ((i = 0; i < 100; i++)); do
		dk version >/dev/null 2>&1 && break
		sleep 0.3
	done
	dk version >/dev/null || {
		tail -20 "$DK/dockerd.log" >&2
		return 1
	}
	# dockerd's own containerd, listening under our exec root.
	[ -S "$DK/exec/containerd/containerd.sock" ] || {
		echo "dockerd did not start a private containerd under $DK/exec" >&2
		return 1
	}
	[ "$(dk info --format '{{.DefaultRuntime}}')" = hutch ]
	busybox_tarball "$DK/busybox.tar"
	dk import "$DK/busybox.tar" "$IMAGE" >/dev/null
}

teardown_file() {
	[ -n "${DK:-}" ] && [ -d "$DK" ] || return 0
	local pid i m d
	dk rm -f $(dk ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	pid=$(cat "$DK/dockerd.started" 2>/dev/null) || pid=
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# dockerd stops its containerd; if it could not, stop it here.
	pid=$(cat "$DK/exec/containerd/containerd.pid" 2>/dev/null) || pid=
	if [ -n "$pid" ] && grep -qF -- "$DK/" "/proc/$pid/cmdline" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	for m in $(mounts_under "$DK" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	for d in /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	rm -rf --one-file-system "$DK"
}

# dk ARGS...: Debian's docker client on the private daemon, bounded in time.
dk() {
	timeout -k 5 120 "$DOCKER" -H "unix://$DK/docker.sock" "$@"
}

# mounts_under DIR: host mount points at or below DIR.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

# hutch_root: the state root dockerd's shim passes to hutch (20.10 uses
# runtime-runc for every runtime it adds).
hutch_root() { echo "$DK/exec/runtime-runc/moby"; }

fail() {
	echo "$@" >&2
	return 1
}

# cg_dirs ID: the container's cgroup in every hierarchy.
cg_dirs() {
	local d
	for d in /sys/fs/cgroup/*/"$CGPARENT/$1" /sys/fs/cgroup/"$CGPARENT/$1"; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

# assert_gone ID [PID]: no hutch state, cgroup, rootfs mount or process
# left by the container.
assert_gone() {
	local id=$1 pid=${2:-} i left
	[ ! -e "$(hutch_root)/$id" ] || fail "hutch state $(hutch_root)/$id left behind"
	left=$(cg_dirs "$id")
	[ -z "$left" ] || fail "cgroups left: $left"
	if [ -n "$pid" ]; then
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			# a zombie under a non-reaping pid 1 counts as gone
			[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" = Z ] && break
			sleep 0.1
		done
		[ "$i" -lt 50 ] || fail "container process $pid still alive"
	fi
}

@test "dockerd runs its own containerd, private under the exec root" {
	dpid=$(cat "$DK/dockerd.pid")
	cpid=$(cat "$DK/exec/containerd/containerd.pid")
	[ "$(awk '/^PPid:/ {print $2}' "/proc/$cpid/status")" = "$dpid" ]
	tr '\0' ' ' <"/proc/$cpid/cmdline" | grep -qF -- "--config $DK/exec/containerd/containerd.toml"
	grep -qxF "  address = \"$DK/exec/containerd/containerd.sock\"" "$DK/exec/containerd/containerd.toml"
	[ ! -e /run/containerd/containerd.sock ]
}

@test "docker run prints the container's output; hutch runs it" {
	run dk run --rm --network none "$IMAGE" sh -c 'echo hello from $(hostname); echo to-stderr >&2'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"hello from "* ]]
	[[ "$output" == *"to-stderr"* ]]

	# The container is hutch's: it is in hutch's state root while it runs.
	id=$(dk run -d --network none --name t-run "$IMAGE" sleep 1000)
	[ "$(dk inspect -f '{{.HostConfig.Runtime}}' "$id")" = hutch ]
	run "$HUTCH" --root "$(hutch_root)" state "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -r .status <<<"$output")" = running ]
	[ "$(jq -r .pid <<<"$output")" = "$(dk inspect -f '{{.State.Pid}}' "$id")" ]
	dk rm -f t-run
}

@test "docker's prestart hook (libnetwork-setkey) runs" {
	id=$(dk run -d --network none --name t-hook "$IMAGE" sleep 1000)
	pid=$(dk inspect -f '{{.State.Pid}}' "$id")
	key=$(dk inspect -f '{{.NetworkSettings.SandboxKey}}' "$id")
	jq -e '.hooks.prestart[0].args[0] == "libnetwork-setkey"' \
		"$DK"/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/"$id"/config.json
	# The hook hands the container's netns to libnetwork, which binds it
	# at the sandbox key: without the hook that would be another netns.
	[ -n "$key" ] && [ -e "$key" ]
	[ "net:[$(stat -L -c %i "$key")]" = "$(readlink "/proc/$pid/ns/net")" ]
	dk rm -f t-hook
}

@test "docker run: the process's exit code passes through" {
	run dk run --rm --network none "$IMAGE" sh -c 'exit 3'
	[ "$status" -eq 3 ]
}

@test "docker run: 125 for a bad docker flag and for a config hutch refuses" {
	run dk run --rm --network none --no-such-flag "$IMAGE" true
	[ "$status" -eq 125 ]
	# A value the kernel refuses: hutch's error reaches the user.
	run dk run --rm --network none --sysctl kernel.msgmax=notanumber "$IMAGE" true
	echo "$output"
	[ "$status" -eq 125 ]
	[[ "$output" == *'linux.sysctl["kernel.msgmax"]'* ]]
}

@test "docker run: 126 for a command that cannot be executed" {
	run dk run --rm --network none "$IMAGE" /etc/passwd
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"permission denied"* ]]
}

@test "docker run: 127 for a missing command, by path and by name" {
	run -127 dk run --rm --network none "$IMAGE" /no/such/cmd
	echo "$output"
	[ "$status" -eq 127 ]
	run -127 dk run --rm --network none "$IMAGE" nosuchcmd
	echo "$output"
	[ "$status" -eq 127 ]
	[[ "$output" == *"executable file not found"* ]]
}

@test "docker exec: output, cwd, env and exit code" {
	dk run -d --network none --name t-exec "$IMAGE" sleep 1000
	run dk exec -w /tmp -e GREETING=hi t-exec sh -c 'echo "$GREETING from $(pwd)"; exit 4'
	echo "$output"
	[ "$status" -eq 4 ]
	[ "$output" = "hi from /tmp" ]
	[ "$(dk exec t-exec cat /proc/1/cmdline | tr '\0' ' ')" = "sleep 1000 " ]
	# A failed exec: 126 from the docker client, as with runc.
	run dk exec t-exec /no/such/cmd
	echo "$output"
	[ "$status" -eq 126 ]
	[[ "$output" == *"no such file or directory"* ]]
	dk rm -f t-exec
}

@test "docker update: memory and pids limits reach the cgroup" {
	id=$(dk run -d --network none --name t-up "$IMAGE" sleep 1000)
	run dk update --memory 64m --memory-swap 64m --pids-limit 50 t-up
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(cat /sys/fs/cgroup/memory/"$CGPARENT/$id"/memory.limit_in_bytes)" -eq 67108864 ]
	[ "$(cat /sys/fs/cgroup/pids/"$CGPARENT/$id"/pids.max)" = 50 ]
	# The container keeps running under the new limit.
	[ "$(dk inspect -f '{{.State.Status}}' t-up)" = running ]
	run dk exec t-up echo still-here
	[ "$output" = still-here ]
	dk rm -f t-up
}

@test "docker top lists the container's processes (hutch ps)" {
	id=$(dk run -d --network none --name t-top "$IMAGE" sleep 1000)
	pid=$(dk inspect -f '{{.State.Pid}}' "$id")
	dk exec -d t-top sleep 999
	for ((i = 0; i < 50; i++)); do
		run dk top t-top -o pid,args
		[[ "$output" == *"sleep 999"* ]] && break
		sleep 0.1
	done
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1000"* ]]
	[[ "$output" == *"sleep 999"* ]]
	grep -qE "^ *$pid +sleep 1000" <<<"$output"
	dk rm -f t-top
}

@test "docker stop: SIGTERM, then SIGKILL after the timeout" {
	# A shell that handles TERM exits with its own code, promptly.
	dk run -d --network none --name t-stop "$IMAGE" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	pid=$(dk inspect -f '{{.State.Pid}}' t-stop)
	SECONDS=0
	run dk stop -t 30 t-stop
	[ "$status" -eq 0 ]
	[ "$SECONDS" -lt 20 ]
	[ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' t-stop)" = "exited 7" ]
	assert_gone "$(dk inspect -f '{{.Id}}' t-stop)" "$pid"

	# pid 1 without a TERM handler ignores it: killed after the timeout.
	dk run -d --network none --name t-stop2 "$IMAGE" sleep 1000
	run dk stop -t 1 t-stop2
	[ "$status" -eq 0 ]
	[ "$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' t-stop2)" = "exited 137" ]
	dk rm t-stop t-stop2
}

@test "docker pause and unpause freeze and thaw the container" {
	id=$(dk run -d --network none --name t-pause "$IMAGE" sleep 1000)
	dk pause t-pause
	[ "$(dk inspect -f '{{.State.Status}}' t-pause)" = paused ]
	[ "$(cat /sys/fs/cgroup/freezer/"$CGPARENT/$id"/freezer.state)" = FROZEN ]
	dk unpause t-pause
	[ "$(dk inspect -f '{{.State.Status}}' t-pause)" = running ]
	[ "$(cat /sys/fs/cgroup/freezer/"$CGPARENT/$id"/freezer.state)" = THAWED ]
	dk rm -f t-pause
}

@test "docker rm of a stopped and of a running container leaves nothing" {
	id=$(dk run -d --network none --name t-rm "$IMAGE" sh -c 'exit 0')
	dk wait t-rm
	dk rm t-rm
	assert_gone "$id"

	id=$(dk run -d --network none --name t-rmf "$IMAGE" sleep 1000)
	pid=$(dk inspect -f '{{.State.Pid}}' "$id")
	[ -n "$(cg_dirs "$id")" ]
	[ -e "$(hutch_root)/$id" ]
	dk rm -f t-rmf
	run dk inspect t-rmf
	[ "$status" -ne 0 ]
	assert_gone "$id" "$pid"
}

@test "nothing is left behind by all of the above" {
	# --rm containers are removed asynchronously by the daemon.
	for ((i = 0; i < 50; i++)); do
		[ -z "$(dk ps -aq)" ] && break
		sleep 0.1
	done
	[ -z "$(dk ps -aq)" ] || fail "containers left: $(dk ps -a)"
	left=$(ls -A "$(hutch_root)" 2>/dev/null || true)
	[ -z "$left" ] || fail "hutch state left: $left"
	left=$(find /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT" -mindepth 1 -type d 2>/dev/null || true)
	[ -z "$left" ] || fail "cgroups left: $left"
	left=$(mounts_under "$DK/data/overlay2" | grep /merged || true)
	[ -z "$left" ] || fail "rootfs mounts left: $left"
	# hutch inits (before execve) of this daemon's containers.
	for f in $(grep -lz -- '^_HUTCH_INITPIPE=' /proc/[0-9]*/environ 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/environ}
		case $(readlink "/proc/$p/cwd" 2>/dev/null) in
		"$DK"/*) fail "hutch process $p left" ;;
		esac
	done
}
