#!/usr/bin/env bats
# Rootless podman with hutch as its runtime: an unprivileged user with
# subordinate ids, a private HOME, XDG_RUNTIME_DIR, containers.conf and
# storage.conf (native overlay), --network none. Podman runs hutch as root
# of its own user namespace; hutch then keeps its state in
# $XDG_RUNTIME_DIR/hutch and runs without cgroups.

load helpers

PM_USER=hutch-rootless

setup_file() {
	engine_install podman conmon uidmap slirp4netns fuse-overlayfs
	[ -x "$HUTCH" ] || {
		echo "no hutch binary at $HUTCH" >&2
		return 1
	}
	if ! id "$PM_USER" >/dev/null 2>&1; then
		useradd --system --shell /bin/sh --home-dir /nonexistent --no-create-home "$PM_USER"
		touch "$BATS_FILE_TMPDIR/created-user"
	fi
	grep -q "^$PM_USER:" /etc/subuid || {
		usermod --add-subuids 300000-365535 "$PM_USER"
		touch "$BATS_FILE_TMPDIR/added-subuid"
	}
	grep -q "^$PM_USER:" /etc/subgid || {
		usermod --add-subgids 300000-365535 "$PM_USER"
		touch "$BATS_FILE_TMPDIR/added-subgid"
	}
	PM=$(mktemp -d /tmp/hutch-podman-rootless.XXXXXX)
	echo "$PM" >"$BATS_FILE_TMPDIR/pm-dir"
	chmod 0755 "$PM"
	mkdir -p "$PM/home" "$PM/xdg"
	# The user's own copy: its directory must be reachable by the user.
	cp "$HUTCH" "$PM/hutch"
	chmod 0755 "$PM/hutch"
	cat >"$PM/home/containers.conf" <<-EOT
		[containers]
		# root lacks CAP_SYS_RESOURCE here: podman's default ulimits cannot be set.
		default_ulimits = []
		[engine]
		runtime_supports_json = ["hutch"]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
	EOT
	cat >"$PM/home/storage.conf" <<-EOT
		[storage]
		driver = "overlay"
		graphroot = "$PM/home/storage"
		runroot = "$PM/xdg/containers"
	EOT
	chown -R "$PM_USER" "$PM/home" "$PM/xdg"
	chmod 0700 "$PM/xdg"
	busybox_tarball "$PM/bb.tar"
	chmod 0644 "$PM/bb.tar"
	pm import "$PM/bb.tar" localhost/hutch-busybox:rootless >/dev/null
}

teardown_file() {
	PM=$(cat "$BATS_FILE_TMPDIR/pm-dir" 2>/dev/null) || return 0
	[ -d "$PM" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
	# Rootless podman keeps a pause process holding its user namespace.
	local p
	p=$(cat "$PM/xdg/libpod/tmp/pause.pid" 2>/dev/null) && [ -n "$p" ] && kill -9 "$p" 2>/dev/null
	pm_leftovers | xargs -r kill -9 2>/dev/null
	rm -rf "$PM"
	if [ -e "$BATS_FILE_TMPDIR/created-user" ]; then
		userdel "$PM_USER" 2>/dev/null || true
	fi
	[ -e "$BATS_FILE_TMPDIR/added-subuid" ] && sed -i "/^$PM_USER:/d" /etc/subuid
	[ -e "$BATS_FILE_TMPDIR/added-subgid" ] && sed -i "/^$PM_USER:/d" /etc/subgid
	return 0
}

setup() {
	PM=$(cat "$BATS_FILE_TMPDIR/pm-dir")
	IMG=localhost/hutch-busybox:rootless
}

teardown() {
	pm rm -af -t 0 >/dev/null 2>&1 || true
}

# pm ARGS...: podman as the user, with the private configuration and hutch.
pm() {
	(cd "$PM/home" && timeout -k 5 120 runuser -u "$PM_USER" -- env -i \
		PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$PM/home" XDG_RUNTIME_DIR="$PM/xdg" \
		CONTAINERS_CONF="$PM/home/containers.conf" CONTAINERS_STORAGE_CONF="$PM/home/storage.conf" \
		podman --runtime "$PM/hutch" "$@")
}

# pm_leftovers: processes of the user's that run from this test's dir.
pm_leftovers() {
	local f pid
	for f in /proc/[0-9]*/exe; do
		pid=${f#/proc/}
		pid=${pid%/exe}
		case $(readlink "$f" 2>/dev/null) in "$PM"/*) echo "$pid" ;; esac
	done
	pgrep -u "$PM_USER" 2>/dev/null || true
}

@test "podman rootless: run --rm as root of the user's namespace" {
	run pm run --rm --network none "$IMG" sh -c 'id -u; cat /proc/self/uid_map'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	uid=$(id -u "$PM_USER")
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 $uid 1" ]
	[ "$(echo "${lines[2]}" | tr -s ' ' | sed 's/^ //')" = "1 300000 65536" ]
	# hutch kept its state under the user's XDG_RUNTIME_DIR, nothing in /run.
	[ -d "$PM/xdg/hutch" ]
	[ -z "$(ls -A "$PM/xdg/hutch")" ]
}

@test "podman rootless: exec into a running container, then -d + stop" {
	run pm run -d --name c1 --network none "$IMG" sleep 1000
	echo "$output"
	[ "$status" -eq 0 ]
	id=${lines[-1]}
	[ -d "$PM/xdg/hutch/$id" ]
	run pm exec c1 sh -c 'echo exec-ok; id -u; readlink /proc/1/exe'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = exec-ok ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = /bin/busybox ]
	run pm stop -t 1 c1
	[ "$status" -eq 0 ]
	run pm inspect -f '{{.State.Status}}' c1
	[ "$output" = exited ]
	pm rm c1
	[ ! -e "$PM/xdg/hutch/$id" ]
}

@test "podman rootless: a bind mount of the user's dir is read-write, files land as the user" {
	mkdir -p "$PM/vol"
	echo hi >"$PM/vol/f"
	chown -R "$PM_USER" "$PM/vol"
	run pm run --rm --network none -v "$PM/vol:/vol" "$IMG" sh -c 'cat /vol/f; echo w > /vol/g && stat -c %u /vol/g'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = hi ]
	[ "${lines[1]}" = 0 ]
	[ "$(stat -c %u "$PM/vol/g")" = "$(id -u "$PM_USER")" ]
	[ "$(cat "$PM/vol/g")" = w ]
}

@test "podman rootless: --userns=keep-id runs as the user's own uid" {
	uid=$(id -u "$PM_USER")
	run pm run --rm --network none --userns=keep-id "$IMG" sh -c 'id -u; awk "\$1 == $1 {print \$2}" /proc/self/uid_map' sh "$uid"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$uid" ]
	# The user's uid inside is podman namespace's 0, i.e. the user on the host.
	[ "${lines[1]}" = 0 ]
}
