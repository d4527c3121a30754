#!/usr/bin/env bats
# --systemd-cgroup against a real systemd (see helpers.bash): the scope,
# its properties and files, placement in every hierarchy, the lifecycle on
# it, annotations, bad input, ownership, and the user's manager.

load helpers

setup_file() {
	sdenv_start
}

teardown_file() {
	sdenv_stop
}

setup() {
	sd_setup
}

teardown() {
	local user=
	[ -e "${TESTDIR:-}/.made-user" ] && user=$(cat "$TESTDIR/.user")
	# Stops the user's manager too (a unit named $PREFIX-*), and with it
	# the processes of its scopes.
	sd_teardown
	[ -z "$user" ] || userdel "$user"
}

@test "run: a scope in the slice, Delegate=yes, the container's Description, limits as properties and in the files" {
	local id=sd-run u cg pid d
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	if has_controllers; then
		update_config '.linux.resources.memory = {limit: 134217728}
			| .linux.resources.cpu = {quota: 50000, period: 100000, shares: 512}
			| .linux.resources.pids = {limit: 64}'
	fi
	sd_run_d $id
	[ "$(prop "$u" ActiveState)" = active ]
	[ "$(prop "$u" Delegate)" = yes ]
	[ "$(prop "$u" Slice)" = system.slice ]
	[ "$(prop "$u" Description)" = "hutch container $id" ]
	cg=$(prop "$u" ControlGroup)
	[ "$cg" = "/system.slice/$u" ]
	pid=$(sd_pid $id)
	assert_in_scope "$pid" "$cg"
	# state.json names this run of the unit.
	[ "$(jq -r .systemd_unit "$ROOT/$id/state.json")" = "$u" ]
	[ "$(jq -r .systemd_invocation "$ROOT/$id/state.json")" = "$(prop "$u" InvocationID)" ]
	has_controllers || return 0
	[ "$(prop "$u" MemoryLimit)" = 134217728 ]
	[ "$(prop "$u" CPUQuotaPerSecUSec)" = 500ms ]
	[ "$(prop "$u" CPUShares)" = 512 ]
	[ "$(prop "$u" TasksMax)" = 64 ]
	d=/sys/fs/cgroup
	[ "$(sd cat $d/memory$cg/memory.limit_in_bytes)" = 134217728 ]
	[ "$(sd cat $d/cpu$cg/cpu.cfs_quota_us)" = 50000 ]
	[ "$(sd cat $d/cpu$cg/cpu.cfs_period_us)" = 100000 ]
	[ "$(sd cat $d/cpu$cg/cpu.shares)" = 512 ]
	[ "$(sd cat $d/pids$cg/pids.max)" = 64 ]
}

@test "run: the init and exec'd processes are in the scope in every hierarchy, also where systemd does not put them" {
	local id=sd-place cg pid
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	sd_run_d $id
	cg=/system.slice/$(unit_of $id)
	pid=$(sd_pid $id)
	assert_in_scope "$pid" "$cg"
	# systemd manages neither freezer nor cpuset on v1: hutch joined them.
	if [ "$SDENV_MODE" != unified ]; then
		sd test -d "/sys/fs/cgroup/freezer$cg"
		sd test -d "/sys/fs/cgroup/cpuset$cg"
	fi
	sdhutch exec -d --pid-file "$TESTDIR/exec.pid" $id sleep 500
	assert_in_scope "$(cat "$TESTDIR/exec.pid")" "$cg"
	sdhutch exec $id true
}

@test "a slice name expands as systemd expands it: a-b-c.slice lives in a.slice/a-b.slice/" {
	local id=sd-nest u
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p' --arg p "$PREFIX-x-y.slice:$PREFIX:$id"
	sd_run_d $id
	[ "$(prop "$u" Slice)" = "$PREFIX-x-y.slice" ]
	[ "$(prop "$u" ControlGroup)" = "/$PREFIX.slice/$PREFIX-x.slice/$PREFIX-x-y.slice/$u" ]
	assert_in_scope "$(sd_pid $id)" "/$PREFIX.slice/$PREFIX-x.slice/$PREFIX-x-y.slice/$u"
}

@test "an empty linux.cgroupsPath is the scope hutch-<id>.scope in system.slice" {
	local id=sd-default
	sd_run_d $id
	[ "$(prop hutch-$id.scope ControlGroup)" = "/system.slice/hutch-$id.scope" ]
	[ "$(prop hutch-$id.scope Description)" = "hutch container $id" ]
	sdhutch delete -f $id
	unit_gone hutch-$id.scope
}

@test "device rules: DevicePolicy=strict with the allowed nodes, and the scope's cgroup denies the rest" {
	local id=sd-dev u
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	# mknod needs the capability: the device cgroup is what must refuse.
	update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
	sd_run_d $id
	[ "$(prop "$u" DevicePolicy)" = strict ]
	sd systemctl show -p DeviceAllow "$u" | grep -qx 'DeviceAllow=/dev/char/1:3 rwm'
	sd systemctl show -p DeviceAllow "$u" | grep -qx 'DeviceAllow=char-136 rwm'
	if [ "$SDENV_MODE" != unified ]; then
		# No "a *:* rwm": the rules are in force in the scope's cgroup.
		sd cat "/sys/fs/cgroup/devices/system.slice/$u/devices.list" | grep -qx 'c 1:3 rwm'
		! sd cat "/sys/fs/cgroup/devices/system.slice/$u/devices.list" | grep -q '^a '
	fi
	# /dev/mem (1:1) is not allowed; /dev/null (1:3) is.
	run sdhutch exec $id sh -c 'mknod /tmp/mem c 1 1 && head -c 1 /tmp/mem'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Operation not permitted"* ]]
	sdhutch exec $id sh -c 'mknod /tmp/null c 1 3 && echo x >/tmp/null'
}

@test "update: SetUnitProperties and the files" {
	has_controllers || skip "$SDENV_MODE mode here has no cgroup controllers: no limits to update"
	local id=sd-update u cg d=/sys/fs/cgroup
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p | .linux.resources.cpu = {quota: 20000, period: 50000}' --arg p "$(scope_path $id)"
	sd_run_d $id
	cg=$(prop "$u" ControlGroup)
	[ "$(prop "$u" CPUQuotaPerSecUSec)" = 400ms ]
	sdhutch update --memory 64M --cpu-quota 30000 --pids-limit 99 --cpu-share 256 $id
	[ "$(prop "$u" MemoryLimit)" = 67108864 ]
	# The saved period (50000) with the new quota: 60%.
	[ "$(prop "$u" CPUQuotaPerSecUSec)" = 600ms ]
	[ "$(prop "$u" TasksMax)" = 99 ]
	[ "$(prop "$u" CPUShares)" = 256 ]
	[ "$(sd cat $d/memory$cg/memory.limit_in_bytes)" = 67108864 ]
	[ "$(sd cat $d/cpu$cg/cpu.cfs_quota_us)" = 30000 ]
	[ "$(sd cat $d/cpu$cg/cpu.cfs_period_us)" = 50000 ]
	[ "$(sd cat $d/pids$cg/pids.max)" = 99 ]
	[ "$(sdhutch events --stats $id | jq -r .data.pids.limit)" = 99 ]
}

@test "pause, resume, ps, events, kill --all on the scope" {
	local id=sd-life u pid
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	sd_run_d $id
	sdhutch exec -d --pid-file "$TESTDIR/exec.pid" $id sleep 500
	pid=$(sd_pid $id)
	run sdhutch ps $id
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep 1000"* ]] && [[ "$output" == *"sleep 500"* ]]
	sdhutch pause $id
	[ "$(sdhutch state $id | jq -r .status)" = paused ]
	if [ "$SDENV_MODE" = unified ]; then
		[ "$(sd cat "/sys/fs/cgroup/system.slice/$u/cgroup.freeze")" = 1 ]
	else
		[ "$(sd cat "/sys/fs/cgroup/freezer/system.slice/$u/freezer.state")" = FROZEN ]
	fi
	[ "$(sd awk '/^State:/ {print $2}' "/proc/$(cat "$TESTDIR/exec.pid")/status")" != R ]
	sdhutch resume $id
	[ "$(sdhutch state $id | jq -r .status)" = running ]
	if has_controllers; then
		[ "$(sdhutch events --stats $id | jq -r .data.pids.current)" = 2 ]
	fi
	sdhutch kill --all $id KILL
	for _ in $(seq 50); do
		[ "$(sdhutch state $id | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	[ "$(sdhutch state $id | jq -r .status)" = stopped ]
	! sd kill -0 "$(cat "$TESTDIR/exec.pid")" 2>/dev/null
	sdhutch delete $id
	unit_gone "$u"
}

@test "delete stops the unit, resets its failed state and removes every directory: the name can be used again" {
	local id=sd-del u cg
	u=$(unit_of $id)
	# A process that ignores SIGTERM: systemd's stop then fails the unit
	# after TimeoutStopSec (SIGKILL), and it stays loaded as failed.
	set_args sh -c 'trap "" TERM; while :; do sleep 1; done'
	update_config '.linux.cgroupsPath = $p | .annotations["org.systemd.property.TimeoutStopSec"] = "uint64 1"' --arg p "$(scope_path $id)"
	sd_run_d $id
	cg=$(prop "$u" ControlGroup)
	sd systemctl stop "$u" || true
	[ "$(prop "$u" ActiveState)" = failed ]
	sdhutch delete $id
	[ "$(prop "$u" LoadState)" = not-found ]
	run sd sh -c "ls -d /sys/fs/cgroup/*$cg /sys/fs/cgroup$cg"
	[ "$status" -ne 0 ] || fail "left: $output"
	# Again, with the same name; delete -f of a running one.
	sd_run_d $id
	[ "$(prop "$u" ActiveState)" = active ]
	sdhutch delete -f $id
	unit_gone "$u"
	[ ! -e "$ROOT/$id" ]
}

@test "org.systemd.property.* annotations become unit properties, parsed as runc parses them" {
	local id=sd-ann u
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p
		| .annotations["org.systemd.property.TimeoutStopSec"] = "uint64 7"
		| .annotations["org.systemd.property.CollectMode"] = "'"'inactive-or-failed'"'"
		| .annotations["org.systemd.property.SendSIGHUP"] = "true"' --arg p "$(scope_path $id)"
	sd_run_d $id
	[ "$(prop "$u" TimeoutStopUSec)" = 7s ]
	[ "$(prop "$u" CollectMode)" = inactive-or-failed ]
	[ "$(prop "$u" SendSIGHUP)" = yes ]
}

@test "a bad annotation is refused, naming it; nothing is left" {
	local id=sd-badann
	update_config '.linux.cgroupsPath = $p | .annotations["org.systemd.property.TimeoutStopSec"] = "seven"' --arg p "$(scope_path $id)"
	sd_try $id
	[ "$status" -ne 0 ]
	[[ "$output" == *"annotations: org.systemd.property.TimeoutStopSec: value "*"seven"*" is not in GVariant text format"* ]]
	# One systemd refuses (a bare number is an int32; TasksMax is a uint64).
	update_config '.annotations = {"org.systemd.property.TasksMax": "5"}'
	sd_try $id
	[ "$status" -ne 0 ]
	[[ "$output" == *"start $(unit_of $id)"*"org.systemd.property.* annotations: TasksMax=5"* ]]
	unit_gone "$(unit_of $id)"
	update_config '.annotations = {"org.systemd.property.Description": "'"'mine'"'"}'
	sd_try $id
	[ "$status" -ne 0 ]
	[[ "$output" == *"the Description property is hutch's to set"* ]]
	assert_root_empty
}

@test "linux.cgroupsPath is validated once, naming the part; nothing is left" {
	local p
	for p in "/sdbats/x" "system.slice:sdbats" "system:sdbats:sd-x" "system.slice:sdbats:.." \
		"system.slice:../sdbats:sd-x" "system.slice:sdbats:a/b" "sdbats--a.slice:sdbats:sd-x" \
		"system.slice:sdbats:sd-x.slice" "system.slice:sdbats:"; do
		update_config '.linux.cgroupsPath = $p' --arg p "$p"
		sd_try sd-path
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.cgroupsPath: "* ]] || fail "$p: $output"
	done
	assert_root_empty
	[ -z "$(sd systemctl list-units --all --plain --no-legend "$PREFIX-*")" ]
}

@test "a create that fails after the scope started leaves no unit, state or cgroup" {
	local id=sd-fail u
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	set_args /nonexistent
	sd_try $id
	[ "$status" -ne 0 ]
	[[ "$output" == *"/nonexistent"* ]]
	unit_gone "$u"
	run sd sh -c "ls -d /sys/fs/cgroup/*/system.slice/$u /sys/fs/cgroup/system.slice/$u"
	[ "$status" -ne 0 ] || fail "left: $output"
	assert_root_empty
}

@test "delete stops only the scope hutch started: a later unit of the same name is left alone" {
	local id=sd-own u
	u=$(unit_of $id)
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	sd_run_d $id
	# Someone ends the container's scope and starts another of that name.
	# (Its processes first: the init, pid 1 of its namespace, ignores the
	# SIGTERM of a stop. On legacy, systemd is told of no empty cgroup
	# here: the stop ends the unit.)
	sd systemctl kill -s KILL "$u"
	for _ in $(seq 50); do [ -z "$(sd cat "/sys/fs/cgroup/$(h=systemd; [ "$SDENV_MODE" = unified ] && h=; echo $h)/system.slice/$u/cgroup.procs" 2>/dev/null)" ] && break; sleep 0.1; done
	sd systemctl stop "$u" 2>/dev/null || true
	sd systemctl reset-failed "$u" 2>/dev/null || true
	sd sh -c "systemd-run --scope --unit=$u --description=other sleep 1000 </dev/null >/dev/null 2>&1 &"
	for _ in $(seq 50); do [ "$(prop "$u" ActiveState)" = active ] && break; sleep 0.1; done
	[ "$(prop "$u" Description)" = other ]
	run sdhutch delete -f $id
	[ "$status" -eq 0 ]
	[[ "$output" == *"not stopping $u: it is not the scope hutch started for container $id"* ]]
	[ "$(prop "$u" ActiveState)" = active ]
	[ "$(prop "$u" Description)" = other ]
	[ ! -e "$ROOT/$id" ]
}

@test "a create killed half-way: delete stops the scope it started" {
	local id=sd-killed u i
	u=$(unit_of $id)
	# The createRuntime hook runs once the scope exists; it tells its
	# parent (create, in the env's pid namespace) and waits.
	update_config '.linux.cgroupsPath = $p
		| .hooks.createRuntime = [{path: "/bin/sh", args: ["sh", "-c", "echo $$ >" + $f + ".hook; echo $PPID >" + $f + "; exec sleep 100"]}]' \
		--arg p "$(scope_path $id)" --arg f "$TESTDIR/create.pid"
	sdhutch create --bundle "$BUNDLE" $id </dev/null >"$TESTDIR/create.log" 2>&1 &
	for i in $(seq 100); do [ -s "$TESTDIR/create.pid" ] && break; sleep 0.1; done
	[ -s "$TESTDIR/create.pid" ] || fail "the hook did not run: $(cat "$TESTDIR/create.log")"
	[ "$(prop "$u" ActiveState)" = active ]
	sd kill -KILL "$(cat "$TESTDIR/create.pid")"
	wait || true
	[ "$(jq -r .creating "$ROOT/$id/state.json")" = true ]
	[ "$(jq -r .systemd_unit "$ROOT/$id/state.json")" = "$u" ]
	sdhutch delete $id
	unit_gone "$u"
	[ ! -e "$ROOT/$id" ]
	sd kill -KILL "$(cat "$TESTDIR/create.pid.hook")"
}

@test "checkpoint and restore: the restored container gets a scope of its own" {
	local c=${CRIU:-$(command -v criu || true)} out id=sd-cp id2=sd-rs pid
	[ -n "$c" ] || skip "no CRIU: neither \$CRIU nor criu on PATH (CRIU >= 4.1 needed on kernels from 6.13 on)"
	out=$(sd "$c" check -v4 --log-file /dev/stderr 2>&1) || skip "'$c check' fails ($("$c" --version 2>&1 | head -1)): $(echo "$out" | grep -m1 Error | sed "s/^([0-9.]*) //")"
	# Silent: its stdout (a file opened without O_APPEND) keeps its size,
	# which CRIU checks on restore.
	set_args sh -c 'while :; do sleep 0.1; done'
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id)"
	sd_run_d $id
	sdhutch --criu "$c" checkpoint --image-path "$TESTDIR/img" $id
	unit_gone "$(unit_of $id)"
	[ ! -e "$ROOT/$id" ]
	update_config '.linux.cgroupsPath = $p' --arg p "$(scope_path $id2)"
	sdhutch --criu "$c" restore -d --bundle "$BUNDLE" --image-path "$TESTDIR/img" $id2 </dev/null >"$TESTDIR/$id2.out" 2>&1 ||
		fail "restore: $(cat "$TESTDIR/$id2.out")"
	[ "$(prop "$(unit_of $id2)" ActiveState)" = active ]
	pid=$(sd_pid $id2)
	assert_in_scope "$pid" "/system.slice/$(unit_of $id2)"
	sdhutch exec $id2 true
	sdhutch delete -f $id2
	unit_gone "$(unit_of $id2)"
}

@test "features: linux.cgroup.systemd and systemdUser" {
	run "$HUTCH" features
	[ "$status" -eq 0 ]
	[ "$(jq -r .linux.cgroup.systemd <<<"$output")" = true ]
	[ "$(jq -r .linux.cgroup.systemdUser <<<"$output")" = true ]
	jq -e '.potentiallyUnsafeConfigAnnotations | index("org.systemd.property.")' <<<"$output"
}

# user_manager UID GID: a systemd --user of UID, as a delegated service of
# the env's systemd, with its bus at /run/user/UID/bus (its dbus.socket).
user_manager() {
	local uid=$1 gid=$2 i
	mkdir -p "$TESTDIR/userunits"
	printf '[Unit]\nDescription=sdbats user target\nWants=dbus.socket\n' >"$TESTDIR/userunits/sdbats.target"
	sd sh -c "mkdir -p /run/user/$uid && chown $uid:$gid /run/user/$uid && chmod 700 /run/user/$uid"
	sd systemd-run --unit="$PREFIX-user-$uid.service" -p User="$uid" -p Delegate=yes -p Type=notify \
		-E XDG_RUNTIME_DIR="/run/user/$uid" -E SYSTEMD_UNIT_PATH="$TESTDIR/userunits:/usr/lib/systemd/user" \
		/lib/systemd/systemd --user --unit=sdbats.target
	for i in $(seq 50); do sd test -S "/run/user/$uid/bus" && return 0; sleep 0.1; done
	fail "the user's systemd did not start"
}

@test "rootless: the user's manager and user.slice; limits only for the controllers it delegates, said in the state" {
	[ "$SDENV_MODE" != legacy ] || skip "legacy mode has no cgroup2 hierarchy for a user's systemd to manage"
	local user=hutch-sdbats uid gid id=sd-user as
	command -v useradd >/dev/null || skip "useradd missing"
	if ! id $user >/dev/null 2>&1; then
		useradd --system --shell /bin/sh --home-dir /nonexistent --no-create-home $user
		touch "$TESTDIR/.made-user"
	fi
	uid=$(id -u $user) gid=$(id -g $user)
	echo "$user" >"$TESTDIR/.user"
	user_manager "$uid" "$gid"
	as="setpriv --reuid $uid --regid $gid --clear-groups env XDG_RUNTIME_DIR=/run/user/$uid"
	cp "$HUTCH" "$TESTDIR/hutch" && chmod 0755 "$TESTDIR/hutch"
	rm "$BUNDLE/config.json"
	chown -R "$uid:$gid" "$BUNDLE"
	sd sh -c "cd $BUNDLE && $as $TESTDIR/hutch spec --rootless"
	# The env's /proc has read-only binds over a few files (setup.sh), which
	# keeps a user namespace from mounting a new proc: bind the env's.
	update_config '.process.terminal = false | .process.args = ["sleep", "1000"]
		| .mounts |= map(if .type == "proc" then {destination: "/proc", type: "bind", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]} else . end)
		| .linux.resources = {memory: {limit: 134217728}, pids: {limit: 64}}'
	chown "$uid:$gid" "$BUNDLE/config.json"
	mkdir -p "$TESTDIR/userstate" && chown "$uid:$gid" "$TESTDIR/userstate"
	local uh="$as $TESTDIR/hutch --root $TESTDIR/userstate"
	sd sh -c "cd $BUNDLE && $uh --systemd-cgroup run -d $id </dev/null >$TESTDIR/user.out 2>$TESTDIR/user.err" ||
		fail "run: $(cat "$TESTDIR/user.err")"
	grep -q "running without cgroup limits (memory,pids): the user's systemd does not delegate their controllers to hutch-$id.scope" "$TESTDIR/user.err"
	run sd sh -c "$uh state $id"
	[ "$(jq -r '.annotations["hutch.cgroups.requested"]' <<<"$output")" = memory,pids ]
	[ "$(jq -r '.annotations["hutch.cgroups.applied"]' <<<"$output")" = "" ]
	[ "$(jq -r .systemd_user "$TESTDIR/userstate/$id/state.json")" = true ]
	local cg="/system.slice/$PREFIX-user-$uid.service/user.slice/hutch-$id.scope" pid
	[ "$(sd sh -c "$as systemctl --user show -P ControlGroup hutch-$id.scope")" = "$cg" ]
	[ "$(sd sh -c "$as systemctl --user show -P Description hutch-$id.scope")" = "hutch container $id" ]
	pid=$(sd sh -c "$uh state $id" | jq -r .pid)
	sd grep -qx "0::$cg" "/proc/$pid/cgroup"
	sd sh -c "$uh pause $id"
	[ "$(sd sh -c "$uh state $id" | jq -r .status)" = paused ]
	sd sh -c "$uh resume $id"
	sd sh -c "$uh delete -f $id"
	[ "$(sd sh -c "$as systemctl --user show -P LoadState hutch-$id.scope")" = not-found ]
}
