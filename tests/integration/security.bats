#!/usr/bin/env bats
# Regression tests for the defences in DESIGN.md section 4.

load helpers

setup() {
	hutch_setup
}

teardown() {
	hutch_teardown
}

# A private copy of the binary: if a defence is broken, the test damages
# this copy and not the one everybody else uses.
use_binary_copy() {
	cp "$HUTCH" "$TESTDIR/hutch-copy"
	HUTCH=$TESTDIR/hutch-copy
	SUM=$(sha256sum <"$HUTCH")
}

@test "CVE-2019-5736: the init's /proc/PID/exe cannot be written, during or after create" {
	use_binary_copy
	set_args /bin/sleep 1000
	hutch_create ct
	pid=$(ct_pid ct)
	run readlink "/proc/$pid/exe"
	[ "$status" -eq 0 ]
	echo "init exe: $output"
	run sh -c "echo x >> /proc/$pid/exe"
	[ "$status" -ne 0 ]
	# The exploit keeps a handle on the init's exe and writes through it once
	# nothing executes the binary any more (the kernel's ETXTBSY no longer
	# protects it then): only a read-only or sealed exe stops that.
	exec 7<"/proc/$pid/exe"
	hutch start ct
	wait_status ct running
	for i in $(seq 50); do
		[ "$(readlink "/proc/$pid/exe")" = /bin/busybox ] && break
		sleep 0.1
	done
	run sh -c 'echo x >> /proc/self/fd/7'
	exec 7<&-
	echo "write through the kept handle: status $status: $output"
	[ "$status" -ne 0 ]
	[ "$(sha256sum <"$HUTCH")" = "$SUM" ]
}

@test "CVE-2019-5736: a process that re-executes /proc/self/exe cannot touch the binary" {
	use_binary_copy
	# If the init execs this script, the kernel runs the init's own exe as
	# the interpreter: the container would then be running the hutch binary.
	printf '#!/proc/self/exe\n' >"$ROOTFS/evil"
	chmod +x "$ROOTFS/evil"
	set_args /evil
	run hutch run --bundle "$BUNDLE" ct
	echo "status $status: $output"
	[ "$(sha256sum <"$HUTCH")" = "$SUM" ]
	assert_no_leftovers ct
}

@test "fd hygiene: only 0, 1, 2 reach the process" {
	set_args /bin/ls /proc/self/fd
	exec 5</etc/hostname 6>"$TESTDIR/extra"
	run hutch run --bundle "$BUNDLE" ct
	exec 5<&- 6>&-
	[ "$status" -eq 0 ]
	# The fourth fd is ls's own handle of the directory it lists.
	[ "$(echo "$output" | tr '\n' ' ')" = "0 1 2 3 " ]
}

@test "fd hygiene: no fd of the process points outside the container" {
	set_args /bin/sh -c 'for f in /proc/self/fd/*; do echo "$f $(readlink $f)"; done'
	exec 5<"$TESTDIR"
	run hutch run --bundle "$BUNDLE" ct
	exec 5<&-
	[ "$status" -eq 0 ]
	[[ "$output" != *"$TESTDIR"* ]]
	[[ "$output" != *hutch* ]]
}

@test "--preserve-fds 1 passes fd 3 and nothing more" {
	echo preserved >"$TESTDIR/pf"
	set_args /bin/sh -c 'cat <&3; ls /proc/self/fd | tr "\n" " "'
	run hutch run --preserve-fds 1 --bundle "$BUNDLE" ct 3<"$TESTDIR/pf" 4<"$TESTDIR/pf"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = preserved ]
	# 0-2, 3, and ls's directory handle (4).
	[ "${lines[1]}" = "0 1 2 3 4 " ]
}

@test "cwd: /tmp/../../../ resolves inside the rootfs" {
	update_config '.process.cwd = "/tmp/../../../"'
	set_args /bin/sh -c 'pwd; ls -d bin'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = / ]
	[ "${lines[1]}" = bin ]
}

@test "CVE-2024-21626: a cwd through /proc/self/fd/N is never a host directory" {
	echo HOSTSECRET42 >"$TESTDIR/host-marker"
	local n
	for n in 3 4 5 6 7 8 9; do
		ln -sfn "/proc/self/fd/$n" "$ROOTFS/badcwd$n"
		update_config '.process.cwd = $c' --arg c "/badcwd$n"
		set_args /bin/sh -c "pwd; cat ../../../../../../../..$TESTDIR/host-marker; ls ../../../../../../../.."
		run hutch run --bundle "$BUNDLE" "ct$n"
		echo "fd $n: status $status: $output"
		[[ "$output" != *HOSTSECRET42* ]]
		# The host's / has /work; the container's does not.
		[[ "$output" != *work* ]]
		assert_no_leftovers "ct$n"
	done
}

@test "CVE-2021-30465: a mount through an absolute symlink stays inside the rootfs" {
	mkdir -p "$TESTDIR/hostdir"
	echo untouched >"$TESTDIR/hostdir/sentinel"
	# /link in the rootfs points at an absolute path that exists on the host.
	ln -s "$TESTDIR/hostdir" "$ROOTFS/link"
	update_config '.mounts += [{destination: "/link/sub", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_args /bin/sh -c 'touch /link/sub/ct-file && echo inside-ok; awk '"'"'$5 ~ /\/sub$/ {print $5}'"'"' /proc/self/mountinfo'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = inside-ok ]
	[ "${lines[1]}" = "$TESTDIR/hostdir/sub" ]
	# The host path is untouched.
	[ "$(ls -A "$TESTDIR/hostdir")" = sentinel ]
	[ "$(cat "$TESTDIR/hostdir/sentinel")" = untouched ]
	[ -z "$(mounts_under "$TESTDIR/hostdir")" ]
	# It was created in the rootfs instead.
	[ -d "$ROOTFS$TESTDIR/hostdir/sub" ]
	assert_no_leftovers ct
}

@test "a mount destination with .. does not escape the rootfs" {
	mkdir -p "$TESTDIR/escape-target"
	update_config '.mounts += [{destination: "/../../../../escape-target", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]'
	set_args /bin/sh -c 'ls -d /escape-target'
	run hutch run --bundle "$BUNDLE" ct
	echo "$output"
	[ ! -e "/escape-target" ]
	[ -z "$(mounts_under "$TESTDIR/escape-target")" ]
}

@test "proc must not be mounted over a symlink" {
	rm -rf "$ROOTFS/proc"
	mkdir -p "$ROOTFS/fakeproc"
	ln -s /fakeproc "$ROOTFS/proc"
	set_args /bin/true
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *proc* ]]
	assert_no_leftovers ct
}

# runc's mask.bats "prohibit symlink /proc" and "/sys": following the link
# would put the filesystem elsewhere, and the masked and read-only paths
# with it. Refused with runc's words, the field named, nothing made.
refuses_special_dest() { # refuses_special_dest DIR: $ROOTFS/DIR a symlink, then a file
	local dir=$1
	rm -rf "${ROOTFS:?}/$dir"
	ln -s /symlink "$ROOTFS/$dir"
	set_args /bin/true
	run hutch run --bundle "$BUNDLE" symdest
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"].destination"* ]]
	[[ "$output" == *"must be mounted on ordinary directory"* ]]
	[ ! -e "$ROOTFS/symlink" ]
	[ -L "$ROOTFS/$dir" ]
	assert_no_leftovers symdest
	assert_root_empty
	# A file there is no better.
	rm "$ROOTFS/$dir"
	touch "$ROOTFS/$dir"
	run hutch run --bundle "$BUNDLE" symdest
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mounts["*"].destination"* ]]
	[[ "$output" == *"must be mounted on ordinary directory"* ]]
	[ -f "$ROOTFS/$dir" ]
	assert_no_leftovers symdest
	assert_root_empty
	# A directory again, and the same bundle runs.
	rm "$ROOTFS/$dir"
	mkdir "$ROOTFS/$dir"
	run hutch run --bundle "$BUNDLE" symdest
	[ "$status" -eq 0 ]
}

@test "proc: a symlink or a file at the destination is refused, as runc" {
	refuses_special_dest proc
}

@test "sysfs: a symlink or a file at the destination is refused, as runc" {
	refuses_special_dest sys
}

@test "noNewPrivileges is set when configured" {
	update_config '.process.noNewPrivileges = true'
	set_args /bin/sh -c 'grep NoNewPrivs /proc/self/status'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[[ "$output" =~ NoNewPrivs:[[:space:]]+1 ]]
}

@test "capabilities: only the configured sets" {
	# CAP_KILL (5) and CAP_NET_BIND_SERVICE (10) = 0x420.
	update_config '.process.capabilities = {
		bounding: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		effective: ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		permitted: ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	set_args /bin/sh -c 'grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/self/status'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq '^CapEff:[[:space:]]+0000000000000420$'
	echo "$output" | grep -Eq '^CapPrm:[[:space:]]+0000000000000420$'
	echo "$output" | grep -Eq '^CapBnd:[[:space:]]+0000000000000420$'
	echo "$output" | grep -Eq '^CapInh:[[:space:]]+0000000000000000$'
}
