# Helpers for the --systemd-cgroup tests. This machine is not booted with
# systemd: each test file starts a private systemd 252 with its own D-Bus
# (../shared/systemd-env, see its README) in new pid, mount and cgroup
# namespaces, and every hutch call runs inside it (enter.sh), where the
# pids hutch hands systemd are systemd's pids. The layout is SDENV_MODE:
# hybrid (this host's), legacy or unified (cgroup2 without controllers
# here: scopes and placement, no limits); `make systemd` runs all three.
#
#   SDENV_DIR=/path/to/systemd-env   the env's scripts (default ../shared/systemd-env)
#   SDENV_NAME=name                  its cgroups on the host (default sdenv-hutch-bats)

load ../integration/helpers

SDENV_DIR=${SDENV_DIR:-$(cd "$REPO/.." && pwd)/shared/systemd-env}
# Every unit these tests make starts with it (ids start with sd-).
PREFIX=sdbats

# sdenv_start: setup_file's work: the env, in mode $SDENV_MODE.
sdenv_start() {
	[ "$(id -u)" = 0 ] || skip "the systemd env needs root"
	if [ ! -x "$SDENV_DIR/setup.sh" ]; then
		# CI has ../shared: there the tests must run.
		[ -z "${CI:-}" ] || fail "no systemd env at $SDENV_DIR (set SDENV_DIR)"
		skip "no systemd env at $SDENV_DIR (set SDENV_DIR): these tests need the private systemd it starts"
	fi
	export SDENV_MODE=${SDENV_MODE:-hybrid}
	export SDENV_RUN=$BATS_FILE_TMPDIR/sdenv SDENV_NAME=${SDENV_NAME:-sdenv-hutch-bats}
	"$SDENV_DIR/setup.sh" >&2 || fail "systemd env did not start"
	# enter.sh puts each command in the env's sdenv-enter cgroups. When the
	# last unit that needed a v1 controller stops, systemd trims the empty
	# cgroups below its root in that hierarchy, sdenv-enter among them, and
	# the next enter.sh fails. A process kept there keeps them.
	"$SDENV_DIR/enter.sh" sleep infinity </dev/null >/dev/null 2>&1 3>&- &
}

sdenv_stop() {
	[ -n "${SDENV_RUN:-}" ] && [ -e "$SDENV_RUN/pid" ] || return 0
	# Its PID 1 takes every process inside with it (the sleep too).
	"$SDENV_DIR/teardown.sh" >&2
}

# sd CMD...: CMD inside the env.
sd() { timeout -k 5 "$HUTCH_TIMEOUT" "$SDENV_DIR/enter.sh" "$@"; }

# sdhutch ARGS...: the binary under test inside the env, with this test's
# state root and --systemd-cgroup.
sdhutch() { sd "$HUTCH" --root "$ROOT" --systemd-cgroup "$@"; }

# sd_setup: a test's TESTDIR, ROOT and BUNDLE (hutch_setup), the container
# process `sleep 1000`.
sd_setup() {
	hutch_setup
	set_args sleep 1000
}

# sd_teardown: delete every container (inside the env: its pids are the
# env's), stop what is left of this test's units, remove TESTDIR.
sd_teardown() {
	local d u
	if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
		for d in "$ROOT"/*/; do
			[ -d "$d" ] && sdhutch delete --force "$(basename "$d")" >/dev/null 2>&1
		done
	fi
	for u in $(sd systemctl list-units --all --plain --no-legend "$PREFIX-*" | awk '{print $1}'); do
		sd systemctl stop "$u" >/dev/null 2>&1
		sd systemctl reset-failed "$u" >/dev/null 2>&1
	done
	[ -n "${TESTDIR:-}" ] && rm -rf --one-file-system "$TESTDIR"
	return 0
}

# sd_run_d ID [run flags]: run -d from $BUNDLE in the env, the container's
# stdio on files; on failure prints run's output.
sd_run_d() {
	local id=$1
	shift
	sdhutch run -d --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TESTDIR/$id.out" 2>"$TESTDIR/$id.err" || {
		local rc=$?
		cat "$TESTDIR/$id.err"
		return $rc
	}
}

# sd_try ID [run flags]: like `run sd_run_d`, output is run's stderr.
sd_try() {
	local id=$1
	shift
	status=0
	sdhutch run -d --bundle "$BUNDLE" "$@" "$id" </dev/null >"$TESTDIR/try.log" 2>&1 || status=$?
	output=$(cat "$TESTDIR/try.log")
	echo "run '$id': status $status: $output"
}

# scope_path ID [SLICE]: cgroupsPath of the test scope of ID.
scope_path() { echo "${2:-system.slice}:$PREFIX:$1"; }
unit_of() { echo "$PREFIX-$1.scope"; }

# sd_pid ID: the init's pid (in the env).
sd_pid() { sdhutch state "$1" | jq -r .pid; }

# prop UNIT NAME: one unit property, as systemctl shows it.
prop() { sd systemctl show -P "$2" "$1"; }

# unit_gone UNIT: systemd has no such unit loaded (or only an inactive
# record of it, for a unit still referenced).
unit_gone() {
	local s
	s=$(prop "$1" LoadState)
	[ "$s" = not-found ] && return 0
	s=$(prop "$1" ActiveState)
	[ "$s" = inactive ] || { echo "unit $1 is $s" >&2; return 1; }
}

# hierarchies: the cgroup hierarchies mounted in the env, as the keys of
# /proc/PID/cgroup ("memory", "name=systemd", "" for cgroup2).
hierarchies() {
	sd awk '{
		for (i = 1; i <= NF; i++) if ($i == "-") break
		if ($(i + 1) == "cgroup2") print ""
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), o, ",")
		for (j = 1; j <= n; j++) if (o[j] !~ /^(rw|ro|clone_children|noprefix|xattr|nsdelegate|memory_recursiveprot)$/ && o[j] !~ /^release_agent=/) print o[j]
	}' /proc/self/mountinfo
}

# assert_in_scope PID CGROUP: PID is in CGROUP in every mounted hierarchy.
assert_in_scope() {
	local pid=$1 want=$2 h got cg
	cg=$(sd cat "/proc/$pid/cgroup") || fail "no process $pid"
	while read -r h; do
		got=$(awk -F: -v h="$h" '{n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == h) print $3} $2 == "" && h == "" {print $3}' <<<"$cg" | head -n 1)
		[ "$got" = "$want" ] || fail "pid $pid is in ${h:-cgroup2}:$got, not $want; /proc/$pid/cgroup:
$cg"
	done < <(hierarchies)
}

# v1 / unified: the mode has v1 controllers (limits) or not.
has_controllers() { [ "$SDENV_MODE" != unified ]; }
