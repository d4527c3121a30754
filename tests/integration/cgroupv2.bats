#!/usr/bin/env bats
# cgroup v2 paths on this hybrid host: each hutch call runs in a private
# mount namespace with the host's cgroup2 hierarchy mounted on
# /sys/fs/cgroup, which is what a pure v2 machine looks like to hutch. Only
# the controllers the hierarchy holds are there (hugetlb here), but the
# parts that need none are real: the BPF device filter, CLONE_INTO_CGROUP,
# cgroup.freeze, cgroup.kill and the directory lifecycle.

load helpers

setup_file() {
	# The host's cgroup2 hierarchy, wherever it is mounted.
	V2_HOST=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
	[ -n "$V2_HOST" ] || skip "no cgroup2 hierarchy mounted on this host"
	export V2_HOST
	REAL_HUTCH=${HUTCH:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)/hutch}
	export HUTCH="$BATS_FILE_TMPDIR/hutch-v2"
	cat >"$HUTCH" <<-WRAP
		#!/bin/sh
		exec unshare -m --propagation private sh -c 'mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec "\$0" "\$@"' "$REAL_HUTCH" "\$@"
	WRAP
	chmod +x "$HUTCH"
}

setup() {
	hutch_setup
	# mknod needs the capability; the device cgroup is what must refuse.
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
}

teardown() {
	hutch_teardown
}

# v2dir ID: the container's cgroup as the host sees it.
v2dir() { echo "$V2_HOST/hutch/$1"; }

@test "v2: the init and exec'd processes start in the container's cgroup; delete removes it" {
	set_args sleep 100
	hutch_start_bg v2-life
	pid=$(ct_pid v2-life)
	[ -d "$(v2dir v2-life)" ]
	grep -qx "0::/hutch/v2-life" "/proc/$pid/cgroup"
	grep -qx "$pid" "$(v2dir v2-life)/cgroup.procs"
	# The state records the cgroup2 directory hutch made.
	hutch state v2-life >/dev/null
	run hutch exec v2-life sh -c 'grep "^0::" /proc/self/cgroup'
	[ "$status" -eq 0 ]
	# Inside its cgroup namespace the container's cgroup is the root.
	[ "$output" = "0::/" ]
	# Not under `run`: it would wait for the detached process to close
	# the captured output.
	hutch exec -d --pid-file "$TESTDIR/exec.pid" v2-life sleep 50 </dev/null >/dev/null 2>&1
	grep -qx "$(cat "$TESTDIR/exec.pid")" "$(v2dir v2-life)/cgroup.procs"
	hutch delete --force v2-life
	[ ! -e "$(v2dir v2-life)" ]
	assert_no_leftovers v2-life "$pid"
}

@test "v2: linux.resources.devices is enforced by a BPF device program" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host to test with"
	# The defaults allow mknod of any node but opening only the standard
	# ones: /dev/fuse's numbers (10:229) can be made, not opened.
	set_args sh -c 'echo x >/dev/null && echo null-ok; mknod /dev/f c 10 229 && echo mknod-ok; (exec 3<>/dev/f) && echo open-ok || echo open-refused'
	run hutch run --bundle "$BUNDLE" v2-dev
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *null-ok* ]]
	[[ "$output" == *mknod-ok* ]]
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *open-refused* ]]

	# A rule granting rw: now it opens.
	update_config '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
	run hutch run --bundle "$BUNDLE" v2-dev
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *open-ok* ]]
	assert_no_leftovers v2-dev
}

@test "v2: a later rule overrides an earlier one" {
	[ -c /dev/fuse ] || skip "no /dev/fuse on this host to test with"
	# allow rw, then deny w: reads still open, read+write does not.
	update_config '.linux.resources.devices += [{allow: true, type: "c", major: 10, minor: 229, access: "rw"}, {allow: false, type: "c", major: 10, minor: 229, access: "w"}]'
	set_args sh -c 'mknod /dev/f c 10 229; (exec 3</dev/f) && echo read-ok; (exec 3<>/dev/f) || echo rw-refused'
	run hutch run --bundle "$BUNDLE" v2-order
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *read-ok* ]]
	[[ "$output" == *rw-refused* ]]
}

@test "v2: pause and resume use cgroup.freeze" {
	set_args sleep 100
	hutch_start_bg v2-pause
	hutch pause v2-pause
	[ "$(ct_status v2-pause)" = paused ]
	[ "$(cat "$(v2dir v2-pause)/cgroup.freeze")" = 1 ]
	grep -q '^frozen 1' "$(v2dir v2-pause)/cgroup.events"
	hutch resume v2-pause
	[ "$(ct_status v2-pause)" = running ]
	[ "$(cat "$(v2dir v2-pause)/cgroup.freeze")" = 0 ]
	hutch delete --force v2-pause
	assert_no_leftovers v2-pause
}

@test "v2: a limit on a controller the hierarchy lacks is a clear error, and nothing is left" {
	grep -qw memory "$V2_HOST/cgroup.controllers" && skip "this cgroup2 hierarchy has the memory controller"
	update_config '.linux.resources.memory = {limit: 67108864}'
	try_create v2-nomem
	[ "$status" -ne 0 ]
	[[ "$output" == *memory* ]]
	[ ! -e "$(v2dir v2-nomem)" ]
	assert_no_leftovers v2-nomem
}
