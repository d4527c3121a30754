#!/usr/bin/env bats
# Rootless: an unprivileged user runs containers with `spec --rootless`.

load helpers

RL_USER=hutch-rootless

setup_file() {
	command -v newuidmap >/dev/null || skip "newuidmap missing (apt-get install uidmap)"
	command -v useradd >/dev/null || skip "useradd missing"
	if ! id "$RL_USER" >/dev/null 2>&1; then
		useradd --system --shell /bin/sh --home-dir /nonexistent --no-create-home "$RL_USER"
		touch "$BATS_FILE_TMPDIR/created-user"
	fi
	grep -q "^$RL_USER:" /etc/subuid || usermod --add-subuids 300000-365535 "$RL_USER"
	grep -q "^$RL_USER:" /etc/subgid || usermod --add-subgids 300000-365535 "$RL_USER"
}

teardown_file() {
	if [ -e "$BATS_FILE_TMPDIR/created-user" ]; then
		userdel "$RL_USER" 2>/dev/null || true
		sed -i "/^$RL_USER:/d" /etc/subuid /etc/subgid
	fi
}

setup() {
	[ -x "$HUTCH" ] || fail "no hutch binary at $HUTCH"
	TESTDIR=$(mktemp -d "${TMPDIR:-/tmp}/hutch-test.XXXXXX")
	chmod 0755 "$TESTDIR"
	touch "$TESTDIR/.started"
	ROOT=$TESTDIR/unused-root
	mkdir -p "$ROOT"
	MARK=$(basename "$TESTDIR")
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	# The user's own copy of the binary, bundle and runtime dir.
	cp "$HUTCH" "$TESTDIR/hutch"
	chmod 0755 "$TESTDIR/hutch"
	ensure_rootfs_cache
	BUNDLE=$TESTDIR/bundle
	ROOTFS=$BUNDLE/rootfs
	mkdir -p "$BUNDLE" "$TESTDIR/xdg"
	cp -a "$ROOTFS_CACHE/rootfs" "$BUNDLE/"
	chown -R "$RL_UID:$RL_GID" "$BUNDLE" "$TESTDIR/xdg"
	chmod 0700 "$TESTDIR/xdg"
}

teardown() {
	local id
	for id in $(ls "$TESTDIR/xdg/hutch" 2>/dev/null); do
		as_user "$TESTDIR/hutch" delete --force "$id" >/dev/null 2>&1 || true
	done
	hutch_teardown
}

# as_user CMD...: runs CMD in the bundle as the unprivileged user with a
# clean environment.
as_user() {
	(cd "$BUNDLE" && timeout -k 5 "$HUTCH_TIMEOUT" runuser -u "$RL_USER" -- env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/nonexistent XDG_RUNTIME_DIR="$TESTDIR/xdg" "$@")
}

# rootless_config ARG...: spec --rootless as the user, then args.
rootless_config() {
	as_user "$TESTDIR/hutch" spec --rootless
	local a
	a=$(json_array "$@")
	as_user sh -c 'jq --argjson a "$1" ".process.terminal = false | .root.readonly = false | .process.args = \$a | .process.env += [\"HUTCH_TEST_MARK=$2\"]" config.json > c.tmp && mv c.tmp config.json' sh "$a" "$MARK"
}

@test "rootless: spec --rootless && run gives uid 0 mapped to the user" {
	rootless_config /bin/sh -c 'id -u; cat /proc/self/uid_map; touch /owned && stat -c %u /owned'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "$(echo "${lines[1]}" | tr -s ' ' | sed 's/^ //')" = "0 $RL_UID 1" ]
	[ "${lines[2]}" = 0 ]
	# Outside, the file belongs to the user.
	[ "$(stat -c %u "$ROOTFS/owned")" = "$RL_UID" ]
}

@test "rootless: state lives under \$XDG_RUNTIME_DIR/hutch" {
	rootless_config /bin/sleep 1000
	as_user "$TESTDIR/hutch" create ct </dev/null >"$TESTDIR/ct.out" 2>"$TESTDIR/ct.err" 3>&- || {
		cat "$TESTDIR/ct.err"
		false
	}
	[ -f "$TESTDIR/xdg/hutch/ct/state.json" ]
	[ "$(stat -c %u "$TESTDIR/xdg/hutch/ct")" = "$RL_UID" ]
	run as_user "$TESTDIR/hutch" state ct
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .status)" = created ]
	pid=$(echo "$output" | jq -r .pid)
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = "$RL_UID" ]
	# Nothing in root's default state dir.
	[ ! -e "/run/hutch/ct" ]
	run as_user "$TESTDIR/hutch" delete --force ct
	[ "$status" -eq 0 ]
	[ ! -e "$TESTDIR/xdg/hutch/ct" ]
	wait_pid_gone "$pid"
}

@test "rootless: the user cannot use root's state dir" {
	rootless_config /bin/true
	run as_user "$TESTDIR/hutch" --root /run/hutch-rootless-denied-$$ run ct
	[ "$status" -ne 0 ]
	[ ! -e "/run/hutch-rootless-denied-$$" ]
}
