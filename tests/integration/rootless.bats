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
	# The user's state root (hutch_teardown and assert_no_leftovers use it).
	ROOT=$TESTDIR/xdg/hutch
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
	# The XDG fallback test's dir under /tmp.
	[ -e "$TESTDIR.fallback-made" ] && rm -rf "/tmp/hutch-$RL_UID"
	rm -f "$TESTDIR.fallback-made"
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

@test "rootless: no Go runtime starts in the container" {
	command -v strace >/dev/null || skip "strace is not installed"
	rootless_config /bin/mkdir /tmp/ran
	as_user strace -f -qq -e trace=execve,execveat,clone,clone3 -o "$TESTDIR/xdg/rootless.strace" "$TESTDIR/hutch" run ct </dev/null
	[ -d "$ROOTFS/tmp/ran" ]
	[ -z "$(go_threads "$TESTDIR/xdg/rootless.strace")" ] || fail "a thread was made in the container: $(go_threads "$TESTDIR/xdg/rootless.strace")"
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

# rl_create ID [flags]: create as the user, container stdio on files.
rl_create() {
	local id=$1
	shift
	as_user "$TESTDIR/hutch" create "$@" "$id" </dev/null >"$TESTDIR/$id.out" 2>"$TESTDIR/$id.err" 3>&- || {
		local rc=$?
		cat "$TESTDIR/$id.err"
		return $rc
	}
}

rl_state() { as_user "$TESTDIR/hutch" state "$1"; }

# full_ranges: root plus 65535 subordinate ids, so uid 0..65535 exist inside.
full_ranges() {
	as_user sh -c 'jq ".linux.uidMappings = [{\"containerID\":0,\"hostID\":$1,\"size\":1},{\"containerID\":1,\"hostID\":300000,\"size\":65535}] | .linux.gidMappings = [{\"containerID\":0,\"hostID\":$2,\"size\":1},{\"containerID\":1,\"hostID\":300000,\"size\":65535}]" config.json > c.tmp && mv c.tmp config.json' sh "$RL_UID" "$RL_GID"
}

# rl_jq EXPR: edit the bundle's config.json as the user.
rl_jq() {
	as_user sh -c 'jq "$1" config.json > c.tmp && mv c.tmp config.json' sh "$1"
}

@test "rootless: full subuid/subgid ranges through newuidmap: ids 0..65535 inside" {
	rootless_config /bin/sh -c 'cat /proc/self/uid_map /proc/self/gid_map; mkdir /owned && chown 1000:2000 /owned && stat -c "%u %g" /owned'
	full_ranges
	rl_jq '.process.capabilities |= with_entries(.value += ["CAP_CHOWN"])'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -eq 0 ]
	maps=$(echo "$output" | head -4 | tr -s ' ' | sed 's/^ //')
	[ "$(echo "$maps" | sed -n 1p)" = "0 $RL_UID 1" ]
	[ "$(echo "$maps" | sed -n 2p)" = "1 300000 65535" ]
	[ "$(echo "$maps" | sed -n 3p)" = "0 $RL_GID 1" ]
	[ "$(echo "$maps" | sed -n 4p)" = "1 300000 65535" ]
	[ "$(echo "$output" | sed -n 5p)" = "1000 2000" ]
	# Outside: container 1000 is subordinate id 300999.
	[ "$(stat -c '%u %g' "$ROOTFS/owned")" = "300999 301999" ]
}

@test "rootless: a range outside /etc/subuid is refused naming the entry and the file" {
	rootless_config /bin/true
	as_user sh -c 'jq ".linux.uidMappings = [{\"containerID\":0,\"hostID\":$1,\"size\":1},{\"containerID\":1,\"hostID\":400000,\"size\":10}] | .linux.gidMappings = [{\"containerID\":0,\"hostID\":$2,\"size\":1}]" config.json > c.tmp && mv c.tmp config.json' sh "$RL_UID" "$RL_GID"
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.uidMappings[1]: host ids 400000-400009"*"/etc/subuid"*"300000-365535"* ]]
	assert_no_leftovers ct
}

@test "rootless: without newuidmap on PATH the error names it" {
	rootless_config /bin/true
	full_ranges
	run bash -c 'cd "$1" && runuser -u "$2" -- env -i PATH=/nonexistent XDG_RUNTIME_DIR="$3" "$4" run ct' sh "$BUNDLE" "$RL_USER" "$TESTDIR/xdg" "$TESTDIR/hutch"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"newgidmap"*"not found in \$PATH"* || "$output" == *"newuidmap"*"not found in \$PATH"* ]]
	assert_no_leftovers ct
}

@test "rootless: mounts: tmpfs, a bind of the user's dir, /sys bound read-only, /dev nodes are binds" {
	mkdir "$TESTDIR/vol"
	echo hello >"$TESTDIR/vol/f"
	chown -R "$RL_UID:$RL_GID" "$TESTDIR/vol"
	rootless_config /bin/sh -c '
		grep -q " /tmp tmpfs " /proc/mounts && echo tmpfs-ok
		cat /vol/f; echo more >> /vol/f && echo vol-rw
		echo x > /dev/null && echo null-ok
		[ -c /dev/null ] && echo null-chr
		awk "\$5 == \"/dev/null\"" /proc/self/mountinfo | grep -q . && echo null-bind
		[ -d /sys/kernel ] && echo sys-ok
		awk "\$5 == \"/sys\" {print \$6}" /proc/self/mountinfo | grep -q "^ro" && echo sys-ro
		touch /sys/kernel/x 2>/dev/null || echo sys-unwritable
		head -c 4 /dev/urandom | wc -c'
	rl_jq '.mounts += [{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","mode=1777"]},{"destination":"/vol","type":"bind","source":"'"$TESTDIR/vol"'","options":["rbind","rw"]}]'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -eq 0 ]
	for w in tmpfs-ok hello vol-rw null-ok null-chr null-bind sys-ok sys-ro sys-unwritable; do
		echo "$output" | grep -qx "$w" || fail "missing: $w"
	done
	[ "$(echo "$output" | tail -1)" = 4 ]
	[ "$(cat "$TESTDIR/vol/f")" = "hello
more" ]
	assert_no_leftovers ct
}

@test "rootless: a host root-owned file bound read-write stays unwritable" {
	echo secret >"$TESTDIR/rootfile"
	chmod 0644 "$TESTDIR/rootfile"
	rootless_config /bin/sh -c 'cat /rf; echo pwned >> /rf && echo WROTE; chmod 666 /rf && echo CHMOD; stat -c %u /rf'
	rl_jq '.mounts += [{"destination":"/rf","type":"bind","source":"'"$TESTDIR/rootfile"'","options":["bind","rw"]}]'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "${lines[0]}" = secret ]
	[[ "$output" != *WROTE* ]]
	[[ "$output" != *CHMOD* ]]
	# Host root is not mapped: the owner shows as the overflow id.
	[ "$(echo "$output" | tail -1)" = 65534 ]
	[ "$(cat "$TESTDIR/rootfile")" = secret ]
	[ "$(stat -c %a "$TESTDIR/rootfile")" = 644 ]
}

@test "rootless: proc without an own pid namespace is refused with a clear error" {
	rootless_config /bin/true
	rl_jq '.linux.namespaces |= map(select(.type != "pid"))'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"(proc on /proc)"*"pid namespace"* ]]
	assert_no_leftovers ct
}

@test "rootless: exec joins the user namespace; kill, delete leave nothing" {
	rootless_config /bin/sleep 1000
	full_ranges
	rl_create ct
	as_user "$TESTDIR/hutch" start ct
	pid=$(rl_state ct | jq -r .pid)
	[ "$(rl_state ct | jq -r .status)" = running ]
	run as_user "$TESTDIR/hutch" exec ct sh -c 'id -u; readlink /proc/self/ns/user; cat /proc/self/uid_map | wc -l; ps -o pid,comm | grep -c sleep'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/user")" ]
	[ "${lines[2]}" = 2 ]
	[ "${lines[3]}" = 1 ]
	# As another uid of the range.
	run as_user "$TESTDIR/hutch" exec --user 1000:1000 ct id -u
	[ "$status" -eq 0 ]
	[ "$output" = 1000 ]
	# sleep as pid 1 ignores TERM: KILL.
	as_user "$TESTDIR/hutch" kill ct KILL
	wait_pid_gone "$pid"
	[ "$(rl_state ct | jq -r .status)" = stopped ]
	as_user "$TESTDIR/hutch" delete ct
	[ ! -e "$ROOT/ct" ]
	assert_no_leftovers ct "$pid"
	run as_user "$TESTDIR/hutch" list -q
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "rootless: pause/resume say the freezer is unavailable without a cgroup" {
	rootless_config /bin/sleep 1000
	rl_create ct
	as_user "$TESTDIR/hutch" start ct
	run as_user "$TESTDIR/hutch" pause ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no cgroup"* ]]
	[ "$(rl_state ct | jq -r .status)" = running ]
	as_user "$TESTDIR/hutch" delete --force ct
	assert_no_leftovers ct
}

@test "rootless: without a delegated cgroup, limits are dropped, logged once and recorded in the state" {
	rootless_config /bin/sleep 1000
	rl_jq '.linux.resources = {"memory":{"limit":67108864},"pids":{"limit":50}}'
	rl_create ct
	grep -c "running without cgroup limits (memory,pids)" "$TESTDIR/ct.err" | grep -qx 1
	run rl_state ct
	echo "$output"
	[ "$(echo "$output" | jq -r '.annotations["hutch.cgroups.requested"]')" = memory,pids ]
	[ "$(echo "$output" | jq -r '.annotations["hutch.cgroups.applied"]')" = "" ]
	# No limit reached the container: no cgroup of it anywhere.
	pid=$(echo "$output" | jq -r .pid)
	! grep -q "hutch" "/proc/$pid/cgroup"
	as_user "$TESTDIR/hutch" delete --force ct
}

@test "rootless: idmapped mounts are refused for a host filesystem, naming the mount" {
	mkdir "$TESTDIR/vol"
	rootless_config /bin/true
	rl_jq '.mounts += [{"destination":"/vol","type":"bind","source":"'"$TESTDIR/vol"'","options":["bind"],"uidMappings":[{"containerID":0,"hostID":'"$RL_UID"',"size":1}],"gidMappings":[{"containerID":0,"hostID":'"$RL_GID"',"size":1}]}]'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"idmapped bind $TESTDIR/vol on /vol"*"CAP_SYS_ADMIN"* ]]
	assert_no_leftovers ct
}

@test "rootless: XDG_RUNTIME_DIR unset: a private /tmp/hutch-UID, refused when not the user's" {
	[ ! -e "/tmp/hutch-$RL_UID" ] || skip "/tmp/hutch-$RL_UID exists already (not ours to remove)"
	touch "$TESTDIR.fallback-made"
	rootless_config /bin/sleep 1000
	noxdg() { (cd "$BUNDLE" && timeout -k 5 "$HUTCH_TIMEOUT" runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"); }
	noxdg "$TESTDIR/hutch" create ct </dev/null >/dev/null 2>"$TESTDIR/err" 3>&- || {
		cat "$TESTDIR/err"
		false
	}
	[ -f "/tmp/hutch-$RL_UID/ct/state.json" ]
	[ "$(stat -c '%u %a' "/tmp/hutch-$RL_UID")" = "$RL_UID 700" ]
	[ ! -e "$TESTDIR/xdg/hutch/ct" ]
	noxdg "$TESTDIR/hutch" delete --force ct
	[ ! -e "/tmp/hutch-$RL_UID/ct" ]
	# Someone else (here root) made the dir first: refused.
	rm -rf "/tmp/hutch-$RL_UID"
	mkdir -m 0700 "/tmp/hutch-$RL_UID"
	run noxdg "$TESTDIR/hutch" list
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/tmp/hutch-$RL_UID belongs to uid 0"* ]]
	# The user's own but readable by others: refused too.
	chown "$RL_UID" "/tmp/hutch-$RL_UID"
	chmod 0755 "/tmp/hutch-$RL_UID"
	run noxdg "$TESTDIR/hutch" list
	[ "$status" -ne 0 ]
	[[ "$output" == *"want 0700"* ]]
	# Commands without state still work.
	mkdir "$TESTDIR/specdir"
	chown "$RL_UID" "$TESTDIR/specdir"
	noxdg "$TESTDIR/hutch" spec --rootless --bundle "$TESTDIR/specdir"
	[ -f "$TESTDIR/specdir/config.json" ]
}

# The init's /proc/PID/exe must not give a way to overwrite the hutch
# binary (CVE-2019-5736). exec_probe: from a process in the container, try
# to open the created container's init (still hutch) for reading and
# writing through /proc/1/exe.
exec_probe() {
	as_user "$TESTDIR/hutch" exec ct sh -c 'head -c 4 /proc/1/exe >/dev/null 2>&1 && echo READ; (echo x >> /proc/1/exe) 2>/dev/null && echo WROTE; echo done'
}

# assert_exe_sealed PID SUM: neither an exec'd process inside container ct
# nor its owner on the host can write the binary behind /proc/PID/exe, and
# the hutch binary still has checksum SUM; then ct is deleted.
assert_exe_sealed() {
	run exec_probe
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = done ]
	[[ "$output" != *WROTE* ]]
	# Nor from the host as the user who owns the container.
	run as_user sh -c 'echo x >> /proc/$1/exe' sh "$1"
	[ "$status" -ne 0 ]
	[ "$(sha256sum <"$TESTDIR/hutch")" = "$2" ]
	as_user "$TESTDIR/hutch" delete --force ct
}

@test "rootless: CVE-2019-5736: the init's exe cannot be opened for writing (binary owned by root: run in place)" {
	rootless_config /bin/sleep 1000
	sum=$(sha256sum <"$TESTDIR/hutch")
	rl_create ct
	pid=$(rl_state ct | jq -r .pid)
	# No copy: the init runs the root-owned binary itself.
	[ "$(readlink "/proc/$pid/exe")" = "$TESTDIR/hutch" ]
	assert_exe_sealed "$pid" "$sum"
}

@test "rootless: CVE-2019-5736: a binary the user owns runs from a sealed copy" {
	chown "$RL_UID" "$TESTDIR/hutch"
	rootless_config /bin/sleep 1000
	sum=$(sha256sum <"$TESTDIR/hutch")
	rl_create ct
	pid=$(rl_state ct | jq -r .pid)
	[[ "$(readlink "/proc/$pid/exe")" == /memfd:hutch-sealed* ]]
	assert_exe_sealed "$pid" "$sum"
}

@test "rootless: without a mount namespace the user is told to add one" {
	rootless_config /bin/true
	as_user sh -c 'jq ".linux.namespaces |= map(select(.type != \"mount\" and .type != \"user\")) | del(.linux.uidMappings, .linux.gidMappings)" config.json > c.tmp && mv c.tmp config.json'
	run as_user "$TESTDIR/hutch" run ct
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.namespaces: without a mount namespace"*"takes root: add a mount namespace"* ]]
	assert_no_leftovers ct
}
