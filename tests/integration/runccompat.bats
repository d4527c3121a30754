#!/usr/bin/env bats
# runc's command line and behaviours that scripts and engines rely on.

load helpers

setup() {
	hutch_setup
	set_args /bin/sleep 1000
}

teardown() {
	hutch_teardown
}

@test "flags after the container id are accepted, as runc 1.5 accepts them" {
	# The id is not the last argument: teardown learns it here.
	echo ct >>"$TESTDIR/.ids"
	hutch run --bundle "$BUNDLE" ct -d </dev/null >"$TESTDIR/ct.out" 2>"$TESTDIR/ct.err" 3>&- ||
		fail "run ct -d: $(cat "$TESTDIR/ct.err")"
	[ "$(ct_status ct)" = running ]
	run hutch update ct --pids-limit 42
	[ "$status" -eq 0 ]
	[ "$(cat /sys/fs/cgroup/pids/hutch/ct/pids.max)" = 42 ]
	run hutch kill ct KILL --all
	[ "$status" -eq 0 ]
	wait_status ct stopped
	run hutch delete ct --force
	[ "$status" -eq 0 ]
	assert_no_leftovers ct
}

@test "features: the keys engines read, each mount option hutch parses" {
	run hutch features
	[ "$status" -eq 0 ]
	local f=$output k
	for k in .linux.seccomp.enabled .linux.seccomp.actions .linux.seccomp.operators .linux.seccomp.archs \
		.linux.seccomp.knownFlags .linux.seccomp.supportedFlags .linux.apparmor.enabled .linux.selinux.enabled \
		.linux.mountExtensions.idmap.enabled .linux.cgroup.systemd .linux.cgroup.systemdUser .linux.cgroup.rdma \
		.linux.intelRdt.enabled .potentiallyUnsafeConfigAnnotations; do
		[ "$(jq "$k | type" <<<"$f")" != '"null"' ] || fail "features lacks $k"
	done
	for k in rro rrw rnoatime ratime rnodiratime rdiratime rnorelatime rrelatime rnostrictatime rstrictatime \
		rnosuid rsuid rnodev rdev rnoexec rexec rnosymfollow rsymfollow nosymfollow symfollow lazytime \
		nolazytime iversion noiversion silent loud tmpcopyup; do
		jq -e --arg k "$k" '.mountOptions | index($k)' <<<"$f" >/dev/null || fail "mountOptions lacks $k"
	done
	[ "$(jq -r .linux.mountExtensions.idmap.enabled <<<"$f")" = true ]
}

@test "linux.intelRdt and linux.memoryPolicy are refused, not ignored" {
	update_config '.linux.intelRdt = {closID: "x"}'
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.intelRdt: Intel RDT (resctrl) is not supported by hutch"* ]]
	update_config 'del(.linux.intelRdt) | .linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
	try_create ct
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.memoryPolicy: "* ]]
	assert_root_empty
}
