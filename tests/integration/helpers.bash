# Shared helpers for hutch's bats suite. Each .bats file does `load helpers`
# and calls hutch_setup/hutch_teardown from its setup/teardown.
#
#   HUTCH=/path/to/binary bats tests/integration   tests another binary (runc
#   and crun pass most of the suite, which is how the tests themselves are
#   checked).
#   HUTCH_TIMEOUT=60   seconds before one hutch invocation is killed, so a
#   hung container fails its test instead of the whole run.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
HUTCH=${HUTCH:-$REPO/hutch}
HUTCH_TIMEOUT=${HUTCH_TIMEOUT:-60}
MKBUNDLE=$REPO/hack/mkbundle.sh

# The busybox rootfs is built once per bats run and copied for every test.
ROOTFS_CACHE=$BATS_RUN_TMPDIR/busybox-bundle

ensure_rootfs_cache() {
	(
		flock 9
		if [ ! -e "$ROOTFS_CACHE/.done" ]; then
			# No HUTCH here: config.json comes from the binary under test,
			# per test, in setup_bundle.
			env -u HUTCH -u ARGS "$MKBUNDLE" "$ROOTFS_CACHE" >&2
			touch "$ROOTFS_CACHE/.done"
		fi
	) 9>"$BATS_RUN_TMPDIR/busybox-bundle.lock"
}

# hutch_setup: TESTDIR (0755 so a container root mapped to an unprivileged
# host uid can still reach its rootfs), a private state ROOT and a BUNDLE.
hutch_setup() {
	[ -x "$HUTCH" ] || fail "no hutch binary at $HUTCH (run make build, or set HUTCH=)"
	TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/hutch-test.XXXXXX")
	chmod 0755 "$TESTDIR"
	touch "$TESTDIR/.started"
	ROOT=$(mktemp -d "$TESTDIR/state.XXXXXX")
	# Every container process of this test carries this in its environment,
	# so leftovers can be found even when their pid is unknown.
	MARK=$(basename "$TESTDIR")
	setup_bundle
}

# setup_bundle [DIR]: a fresh bundle (default $TESTDIR/bundle) whose config
# comes from `$HUTCH spec`, patched for non-interactive tests. Sets BUNDLE
# and ROOTFS.
setup_bundle() {
	ensure_rootfs_cache
	BUNDLE=${1:-$TESTDIR/bundle}
	ROOTFS=$BUNDLE/rootfs
	mkdir -p "$BUNDLE"
	cp -a "$ROOTFS_CACHE/rootfs" "$BUNDLE/"
	"$HUTCH" spec --bundle "$BUNDLE" || fail "$HUTCH spec failed"
	update_config '.process.terminal = false
		| .root.readonly = false
		| .process.env += ["HUTCH_TEST_MARK=" + $mark]' --arg mark "$MARK"
}

# update_config JQ_EXPR [jq options...]: rewrites $BUNDLE/config.json.
update_config() {
	local expr=$1 tmp
	shift
	tmp=$(mktemp "$BUNDLE/config.XXXXXX")
	jq "$@" "$expr" "$BUNDLE/config.json" >"$tmp" || {
		rm -f "$tmp"
		fail "update_config: jq failed on: $expr"
	}
	mv "$tmp" "$BUNDLE/config.json"
}

# json_array ARG...: the arguments as a JSON array of strings. (jq 1.6
# parses a "-c" among --args as its own option, and mangles NUL-split input.)
json_array() {
	local a='[]' x
	for x; do
		a=$(jq -cn --argjson a "$a" --arg x "$x" '$a + [$x]')
	done
	echo "$a"
}

# set_args ARG...: process.args = the arguments.
set_args() {
	local a
	a=$(json_array "$@")
	update_config '.process.args = $a' --argjson a "$a"
}

# hutch ARGS...: the binary under test with this test's private root (and
# $HUTCH_GLOBAL, extra global flags split on spaces).
hutch() {
	# Ids are remembered so teardown can clear cgroups a failed create left.
	case $1 in create | run | restore) echo "${!#}" >>"$TESTDIR/.ids" ;; esac
	# shellcheck disable=SC2086
	timeout -k 5 "$HUTCH_TIMEOUT" "$HUTCH" --root "$ROOT" ${HUTCH_GLOBAL:-} "$@"
}

# hutch_create ID [create flags]: create from $BUNDLE with the container's
# stdio on files ($TESTDIR/ID.out, ID.err) so that no caller pipe is held
# open by the container. On failure prints create's stderr.
hutch_create() {
	local id=$1
	shift
	hutch create --bundle "$BUNDLE" "$@" "$id" \
		</dev/null >"$TESTDIR/$id.out" 2>"$TESTDIR/$id.err" 3>&- || {
		local rc=$?
		cat "$TESTDIR/$id.err"
		return $rc
	}
}

# try_create ID [create flags]: like `run hutch create`, but the container's
# stdio is a file: a create that wrongly succeeds must not leave an init
# holding bats' output pipe (the test would hang). Sets status and output.
try_create() {
	local id=$1
	shift
	status=0
	hutch create --bundle "$BUNDLE" "$@" "$id" \
		</dev/null >"$TESTDIR/try-create.log" 2>&1 3>&- || status=$?
	output=$(cat "$TESTDIR/try-create.log")
	echo "create '$id': status $status: $output"
}

# hutch_start_bg ID: create + start (like run -d).
hutch_start_bg() {
	hutch_create "$@" || return
	hutch start "$1"
}

# ct_status ID / ct_pid ID: fields of `hutch state`.
ct_status() { hutch state "$1" | jq -r .status; }
ct_pid() { hutch state "$1" | jq -r .pid; }

# wait_status ID STATUS [TRIES]: poll every 0.1s (default 50 tries).
wait_status() {
	local i s
	for ((i = 0; i < ${3:-50}; i++)); do
		s=$(ct_status "$1" 2>/dev/null) || s=
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	echo "container $1: status ${s:-unknown}, expected $2" >&2
	return 1
}

# wait_file_contains FILE TEXT: poll up to 5s for TEXT in FILE.
wait_file_contains() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "$1 does not contain '$2'; it has:" >&2
	cat "$1" >&2 2>/dev/null
	return 1
}

# pid_alive PID: exists and is not a zombie (pid 1 of this machine does not
# always reap orphans, so a zombie counts as gone).
pid_alive() {
	local st
	st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# wait_pid_gone PID: up to 5s.
wait_pid_gone() {
	local i
	for ((i = 0; i < 50; i++)); do
		pid_alive "$1" || return 0
		sleep 0.1
	done
	return 1
}

# leftover_pids: live processes of this test's containers: those with our
# marker, and hutch inits (not yet exec'd, so no marker) holding a path of
# this test open.
leftover_pids() {
	local f pid l
	for f in $(grep -lzxF -- "HUTCH_TEST_MARK=$MARK" /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" != $$ ] && pid_alive "$pid" && echo "$pid"
	done
	for f in $(grep -lz -- '^_HUTCH_INITPIPE=' /proc/[0-9]*/environ 2>/dev/null); do
		pid=${f#/proc/}
		pid=${pid%/environ}
		pid_alive "$pid" || continue
		for l in "/proc/$pid/cwd" "/proc/$pid/root" "/proc/$pid"/fd/*; do
			case $(readlink "$l" 2>/dev/null) in
			"$TESTDIR"/*)
				echo "$pid"
				break
				;;
			esac
		done
	done
	return 0
}

# mounts_under DIR: host mount points at or below DIR.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo
}

# cgroup_dirs ID: the default cgroup of ID in every hierarchy, if made
# during this test (ids are reused across tests and runs: an older leftover
# belongs to someone else and is reported by their test).
cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/*/hutch/"$1" /sys/fs/cgroup/hutch/"$1"; do
		[ -d "$d" ] && [ "$d" -nt "$TESTDIR/.started" ] && echo "$d"
	done
	return 0
}

# assert_no_leftovers ID [PID]: no state dir, cgroup, mount under the
# bundle, or process left by container ID.
assert_no_leftovers() {
	local id=$1 pid=${2:-} left
	if [ -n "$id" ] && [ -e "$ROOT/$id" ]; then
		fail "state dir $ROOT/$id left behind: $(ls -A "$ROOT/$id")"
	fi
	if [ -n "$pid" ] && ! wait_pid_gone "$pid"; then
		fail "container process $pid still alive: $(tr '\0' ' ' </proc/"$pid"/cmdline)"
	fi
	left=$(leftover_pids)
	[ -z "$left" ] || fail "container processes left: $left"
	if [ -n "$id" ]; then
		left=$(cgroup_dirs "$id")
		[ -z "$left" ] || fail "cgroups left: $left"
	fi
	left=$(mounts_under "$BUNDLE")
	[ -z "$left" ] || fail "mounts left under the bundle: $left"
}

# assert_root_empty: nothing at all was written in the state root.
assert_root_empty() {
	local left
	left=$(ls -A "$ROOT")
	[ -z "$left" ] || fail "state root not empty: $left"
}

hutch_teardown() {
	[ -n "${TESTDIR:-}" ] && [ -d "$TESTDIR" ] || return 0
	local d pid m
	if [ -d "$ROOT" ]; then
		for d in "$ROOT"/*/; do
			[ -d "$d" ] || continue
			"$HUTCH" --root "$ROOT" delete --force "$(basename "$d")" >/dev/null 2>&1 || true
		done
	fi
	# What delete could not clean must not survive into the next test.
	for pid in $(leftover_pids); do
		kill -9 "$pid" 2>/dev/null || true
	done
	# A cgroup leaked by this test would make the next create of the same
	# id fail: the leak is reported by the test's own checks, not by every
	# test after it.
	if [ -f "$TESTDIR/.ids" ]; then
		for d in $(sort -u "$TESTDIR/.ids"); do
			for m in $(cgroup_dirs "$d"); do
				rmdir "$m" 2>/dev/null || true
			done
		done
	fi
	# Unmount deepest first, then remove without crossing into any mount
	# that is still there (a leaked bind of a host dir must not be emptied).
	for m in $(mounts_under "$TESTDIR" | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$TESTDIR"
}

# assert_only_cgroup NAME KEEP: of the top-level cgroups NAME in every
# hierarchy, only KEEP (one the test made itself) is left.
assert_only_cgroup() {
	local d
	for d in /sys/fs/cgroup/*/"$1"; do
		[ ! -e "$d" ] || [ "$d" = "$2" ] || fail "left behind: $d"
	done
}

# fail MESSAGE: fails the test (bats-assert style, without the dependency).
fail() {
	echo "$@" >&2
	return 1
}

# notify_listener: the sd_notify stand-in copied into the rootfs and
# listening on $TESTDIR/host.sock (pid NOTIFY_LISTENER); what it receives
# goes to $TESTDIR/notified.
notify_listener() {
	local sdnotify=$REPO/tests/.cache/sdnotify
	[ -x "$sdnotify" ] || fail "no $sdnotify (make testtools)"
	cp "$sdnotify" "$ROOTFS/bin/sdnotify"
	"$sdnotify" listen "$TESTDIR/host.sock" "$TESTDIR/listening" >"$TESTDIR/notified" &
	NOTIFY_LISTENER=$!
	for _ in $(seq 50); do [ -e "$TESTDIR/listening" ] && return 0; sleep 0.1; done
	fail "the notify listener did not start"
}

# ns_inode PID TYPE: the namespace identity seen from the host.
ns_inode() { readlink "/proc/$1/ns/$2"; }

# go_threads LOG: the threads (clone with CLONE_THREAD, as a Go runtime
# makes at start) made by the processes that were `hutch init` in an
# `strace -f` LOG, or by the processes they forked.
go_threads() {
	local inits p kids
	inits=$(awk '/execve\(".*", \["hutch", "init"\]/ {print $1}' "$1" | sort -u)
	[ -n "$inits" ] || fail "no hutch init in $1"
	for p in $inits; do
		kids=$(awk -v p="$p" '$1 == p && /^[0-9]+ +clone/ {print $NF}' "$1")
		for k in $p $kids; do
			grep -E "^$k +clone3?\(.*CLONE_THREAD" "$1" || true
		done
	done
}
