# A private containerd for the containerd and CRI engine tests: its own
# root, state, sockets and runc root under one directory, a containerd
# namespace of its own (so its cgroups are /sys/fs/cgroup/*/<ns>/<id>), and a
# teardown that removes only what it started.
#
#   ctd_start DIR [EXTRA-TOML]   writes DIR/config.toml, starts containerd
#   ctd_stop                     stops it and cleans up its leftovers
#   ctd_import NS NAME [ENTRYPOINT-JSON [CMD-JSON]]   a busybox image as NAME

CTD_BIN=${CTD_BIN:-containerd}

# ctd_start DIR [EXTRA-TOML]: CTD_DIR, CTD_SOCK; EXTRA-TOML is appended
# (plugin sections). The CRI plugin stays disabled unless EXTRA-TOML
# configures it and CTD_CRI=1.
ctd_start() {
	export CTD_DIR=$1
	export CTD_SOCK=$CTD_DIR/containerd.sock
	local extra=${2:-} disabled
	mkdir -p "$CTD_DIR"
	# Snapshotters and tracing that would probe host devices or the
	# network; the CRI plugin only when asked for.
	disabled='"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
	"io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
	"io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"'
	[ "${CTD_CRI:-0}" = 1 ] || disabled="$disabled, \"io.containerd.grpc.v1.cri\""
	cat >"$CTD_DIR/config.toml" <<-EOF
		version = 2
		root = "$CTD_DIR/root"
		state = "$CTD_DIR/state"
		disabled_plugins = [$disabled]
		[grpc]
		  address = "$CTD_SOCK"
		[ttrpc]
		  address = "$CTD_SOCK.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CTD_DIR/opt"
		$extra
	EOF
	"$CTD_BIN" --config "$CTD_DIR/config.toml" --log-level debug \
		>"$CTD_DIR/containerd.log" 2>&1 3>&- &
	echo $! >"$CTD_DIR/containerd.pid"
	local i
	for i in $(seq 100); do
		ctr -a "$CTD_SOCK" version >/dev/null 2>&1 && return 0
		kill -0 "$(cat "$CTD_DIR/containerd.pid")" 2>/dev/null || break
		sleep 0.2
	done
	echo "containerd did not come up; its log:" >&2
	tail -n 30 "$CTD_DIR/containerd.log" >&2
	return 1
}

# ctd_shims: pids of the shims of this containerd (they name its socket).
ctd_shims() {
	local p
	for p in $(pgrep -f containerd-shim-runc-v2 || true); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "-address $CTD_SOCK " && echo "$p"
	done
	return 0
}

# ctd_stop: containerd, then containers hutch still knows about, then the
# shims, their sockets, mounts under CTD_DIR, and the namespace cgroups in
# CTD_CGROUP_PARENTS (relative names such as "hutch-test-123").
ctd_stop() {
	[ -n "${CTD_DIR:-}" ] || return 0
	local pid i root id p mnt c
	pid=$(cat "$CTD_DIR/containerd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid"
		for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	# Containers left by a failed test: hutch removes their processes and
	# cgroups.
	for root in "$CTD_DIR"/runc/*/; do
		[ -d "$root" ] || continue
		for id in $("$HUTCH" --root "$root" list -q 2>/dev/null); do
			"$HUTCH" --root "$root" delete --force "$id" || true
		done
	done
	# A shim's socket lives under /run/containerd/s; it removes it itself
	# on a clean exit, not when killed.
	for p in $(ctd_shims); do kill -9 "$p" 2>/dev/null || true; done
	for c in "$CTD_DIR"/state/io.containerd.runtime.v2.task/*/*/address; do
		[ -f "$c" ] || continue
		p=$(sed 's|^unix://||' "$c")
		case $p in /run/containerd/s/*) rm -f "$p" ;; esac
	done
	# Deepest first: rootfs overlays, the sandbox's shm, netns bind mounts.
	awk -v d="$CTD_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r mnt; do umount -l "$mnt" 2>/dev/null || true; done
	for c in ${CTD_CGROUP_PARENTS:-}; do
		for p in /sys/fs/cgroup/*/"$c" /sys/fs/cgroup/unified/"$c"; do
			[ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	rm -rf "$CTD_DIR"
	return 0
}

# ctd_import NS NAME [ENTRYPOINT-JSON [CMD-JSON]]: a busybox image imported
# into containerd namespace NS.
ctd_import() {
	local ns=$1 name=$2 ep=${3:-null} cmd=${4:-'["/bin/sh"]'} tmp
	tmp=$(mktemp -d)
	busybox_tarball "$tmp/rootfs.tar"
	"$BATS_TEST_DIRNAME/mkociimage.sh" "$tmp/image.tar" "$name" "$tmp/rootfs.tar" "$ep" "$cmd"
	ctr -a "$CTD_SOCK" -n "$ns" images import "$tmp/image.tar" >&2
	local rc=$?
	rm -rf "$tmp"
	return $rc
}

# ctd_nothing_left STATEDIR CGSEG ENVRE: no hutch state under STATEDIR, no
# cgroup directory under /sys/fs/cgroup/<controller>/CGSEG/, no process
# whose environment has a line matching ENVRE (container processes carry a
# marker), and no shim of our containerd.
ctd_nothing_left() {
	run find "$1" -mindepth 1
	[ -z "$output" ] || { echo "hutch state left: $output"; return 1; }
	run find /sys/fs/cgroup/ -maxdepth 3 -mindepth 2 -type d -path "*/$2/*"
	[ -z "$output" ] || { echo "cgroups left: $output"; return 1; }
	run grep -lsz "$3" /proc/[0-9]*/environ
	[ -z "$output" ] || { echo "processes left: $output"; return 1; }
	[ -z "$(ctd_shims)" ] || { echo "shims left: $(ctd_shims)"; return 1; }
}
