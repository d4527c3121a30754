#!/usr/bin/env bats
# linux.seccomp: real filters, checked by the errno a blocked syscall
# returns inside the container.

load helpers

setup() {
	hutch_setup
}

teardown() {
	[ -z "${AGENT_PID:-}" ] || kill "$AGENT_PID" 2>/dev/null || true
	hutch_teardown
}

profile() { # profile JQ_FRAGMENT: set linux.seccomp
	update_config ".linux.seccomp = $1"
}

# start_agent [-continue | ERRNO]: the test seccomp agent on
# $TESTDIR/agent.sock (pid AGENT_PID); the state it got goes to
# $TESTDIR/agent-state.
start_agent() {
	local agent=$REPO/tests/.cache/seccompagent
	[ -x "$agent" ] || fail "no $agent (make testtools)"
	local args=("$TESTDIR/agent.sock" "$TESTDIR/agent-ready" "$TESTDIR/agent-state")
	if [ "$1" = -continue ]; then
		args=(-continue "${args[@]}")
	else
		args+=("$1")
	fi
	# Not on bats' output: an agent left waiting must not hold the run.
	"$agent" "${args[@]}" </dev/null >>"$TESTDIR/agent.log" 2>&1 3>&- &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -e "$TESTDIR/agent-ready" ] && return 0; sleep 0.1; done
	fail "the seccomp agent did not start"
}

# notify_profile NNP NAMES_JSON: SCMP_ACT_NOTIFY for NAMES, answered by an
# agent that lets every notified syscall run (runc's
# scmp_act_notify_template).
notify_profile() {
	update_config '.process.noNewPrivileges = $nnp
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock, listenerMetadata: "bar",
			architectures: ["SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_X86_64"],
			syscalls: [{names: $names, action: "SCMP_ACT_NOTIFY"}]}' \
		--argjson nnp "$1" --argjson names "$2" --arg sock "$TESTDIR/agent.sock"
}

# run_to_file ID: `run hutch run` with the container's stdio on a file, so
# that an init hung before execve (and left behind when the timeout kills
# hutch) does not hold bats' output pipe. Sets status and output.
run_to_file() {
	status=0
	hutch run --bundle "$BUNDLE" "$1" </dev/null >"$TESTDIR/$1.log" 2>&1 3>&- || status=$?
	output=$(cat "$TESTDIR/$1.log")
	echo "run '$1': status $status: $output"
}

@test "seccomp: ERRNO with errnoRet, with and without noNewPrivileges" {
	profile '{defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38}]}'
	set_args /bin/sh -c 'grep ^Seccomp: /proc/self/status; mkdir /tmp/x 2>&1; echo rc=$?'
	for nnp in true false; do
		update_config ".process.noNewPrivileges = $nnp"
		run hutch run --bundle "$BUNDLE" ct
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == *"2" ]]
		[[ "$output" == *"Function not implemented"* ]]
		[[ "$output" == *rc=1* ]]
	done
}

@test "seccomp: default ERRNO with an allow-list, defaultErrnoRet" {
	# Everything busybox sh + true need, then defaultErrnoRet for the rest.
	profile '{defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1,
		syscalls: [{names: ["read", "write", "close", "execve", "exit", "exit_group", "brk", "mmap", "munmap",
				"mprotect", "arch_prctl", "set_tid_address", "rt_sigaction", "rt_sigprocmask",
				"rt_sigreturn", "getpid", "getppid", "getuid", "geteuid", "getgid", "getegid",
				"fcntl", "dup2", "dup3", "openat", "newfstatat", "fstat", "stat", "lstat", "ioctl",
				"wait4", "clone", "fork", "vfork", "prlimit64", "getcwd", "capget", "capset",
				"prctl", "setgroups", "setresgid", "setresuid", "umask", "futex", "sched_yield",
				"setsid", "getrandom", "statx", "access", "faccessat", "faccessat2", "chdir",
				"getdents64", "lseek", "writev", "readv", "pipe", "pipe2", "kill", "rt_sigsuspend"],
			 action: "SCMP_ACT_ALLOW"}]}'
	set_args /bin/sh -c 'mkdir /tmp/q 2>&1; echo rc=$?'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	# mkdir is not listed: defaultErrnoRet 1 is EPERM.
	[[ "$output" == *"Operation not permitted"* ]]
	[[ "$output" == *rc=1* ]]
}

@test "seccomp: syscalls newer than the profile get ENOSYS, older unnamed ones the default" {
	local nr=$REPO/tests/.cache/syscallnr
	[ -x "$nr" ] || fail "no $nr (make testtools)"
	cp "$nr" "$ROOTFS/bin/syscallnr"
	# What the runtimes' last steps and a static Go binary need, and
	# nothing newer than clone3 (435). Architectures are listed, as in
	# Docker's profile: runc before 1.1.15 patches only listed ones.
	profile '{defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		syscalls: [{names: ["read", "write", "close", "execve", "exit", "exit_group", "brk", "mmap", "munmap",
				"mprotect", "madvise", "arch_prctl", "set_tid_address", "rt_sigaction", "rt_sigprocmask",
				"rt_sigreturn", "sigaltstack", "getpid", "gettid", "tgkill", "getppid", "getuid", "geteuid",
				"getgid", "getegid", "fcntl", "dup2", "dup3", "openat", "pread64", "newfstatat", "fstat",
				"ioctl", "clone", "clone3", "prlimit64", "sched_getaffinity", "sched_yield", "futex",
				"nanosleep", "clock_gettime", "getrandom", "capget", "capset", "prctl", "setgroups",
				"setresgid", "setresuid", "umask", "setsid", "chdir", "fchdir", "getcwd", "kill", "fstatfs",
				"statfs", "getdents64", "readlinkat", "epoll_create1", "epoll_ctl", "epoll_pwait", "pipe2"],
			 action: "SCMP_ACT_ALLOW"}]}'
	# fchmodat2 (452, Linux 6.6) is newer than clone3; mkdirat (258) is
	# older and not named. Both would fail with EFAULT if they ran.
	set_args /bin/syscallnr 452 258
	run hutch run --bundle "$BUNDLE" enosys-newer
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = ENOSYS ]
	[ "${lines[1]}" = EPERM ]
}

@test "seccomp: argument conditions block only the matching call" {
	# personality(0xffffffff) only queries; block exactly that value.
	profile '{defaultAction: "SCMP_ACT_ALLOW",
		syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 13,
			args: [{index: 0, value: 8, op: "SCMP_CMP_EQ"}]}]}'
	update_config '.linux.personality = {domain: "LINUX"}'
	set_args /bin/sh -c 'setarch i686 true 2>&1; echo i686=$?; uname -m'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]] || [[ "$output" == *"i686=1"* ]]
	[[ "$output" == *x86_64* ]]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS kills the process with SIGSYS" {
	profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL_PROCESS"}]}'
	set_args /bin/mkdir /tmp/y
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq $((128 + 31)) ]
}

@test "seccomp: an unknown action names the field and leaves nothing" {
	profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir"], action: "SCMP_ACT_EXPLODE"}]}'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -ne 0 ]
	[[ "$output" == *linux.seccomp.syscalls*action* ]]
	assert_no_leftovers ct
}

@test "seccomp: SCMP_ACT_NOTIFY hands the listener to listenerPath with the state" {
	start_agent 122
	profile '{defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/placeholder", listenerMetadata: "hello-agent",
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' 
	update_config '.linux.seccomp.listenerPath = $sock' --arg sock "$TESTDIR/agent.sock"
	set_args /bin/sh -c 'mkdir /tmp/z 2>&1; echo rc=$?'
	run hutch run --bundle "$BUNDLE" ct
	[ "$status" -eq 0 ]
	# errno 122 is EDQUOT: the agent's answer, not the kernel's.
	[[ "$output" == *"quota exceeded"* ]] || [[ "$output" == *"Disk quota"* ]]
	run jq -r '.fds[0], .metadata, .state.id' "$TESTDIR/agent-state"
	[ "${lines[0]}" = seccompFd ]
	[ "${lines[1]}" = hello-agent ]
	[ "${lines[2]}" = ct ]
}

# The runtime-spec runs startContainer hooks in the container after start;
# runc 1.5 runs them as the process would run: its user, capabilities,
# no_new_privs and seccomp filter. A hook must not do what the filter
# forbids the process.
@test "seccomp: startContainer hooks run under the filter (KILL), with and without noNewPrivileges" {
	profile '{defaultAction: "SCMP_ACT_ALLOW", syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_KILL"}]}'
	update_config '.process.rlimits = [{type: "RLIMIT_CORE", soft: 0, hard: 0}]
		| .hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c", "mkdir /hook-made"]}]'
	set_args /bin/sh -c 'echo ran > /process-ran'
	for nnp in true false; do
		update_config '.process.noNewPrivileges = ($n == "true")' --arg n "$nnp"
		run hutch run --bundle "$BUNDLE" ct
		[ "$status" -ne 0 ]
		[[ "$output" == *"error running startContainer hook"* ]]
		[[ "$output" == *"bad system call"* ]]
		[ ! -e "$ROOTFS/hook-made" ]
		[ ! -e "$ROOTFS/process-ran" ]
		assert_no_leftovers ct
	done
}

@test "seccomp: a startContainer hook's notified syscall goes to the agent, and the hook gets no extra fd" {
	AGENT=$REPO/tests/.cache/seccompagent
	[ -x "$AGENT" ] || fail "no $AGENT (make testtools)"
	# fd 3 closed: an agent left waiting must not hold bats' output open.
	"$AGENT" "$TESTDIR/agent.sock" "$TESTDIR/agent-ready" "$TESTDIR/agent-state" 122 3>&- &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -e "$TESTDIR/agent-ready" ] && break; sleep 0.1; done
	update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", listenerPath: $sock,
		syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_NOTIFY"}]}' --arg sock "$TESTDIR/agent.sock"
	# The hook's fds: 0-2 and the one ls reads /proc/self/fd through.
	update_config '.hooks.startContainer = [{path: "/bin/sh", args: ["sh", "-c",
		"mkdir /hook-made 2>> /hook.log; echo mkdir=$? >> /hook.log; ls /proc/self/fd | wc -l >> /hook.log"]}]'
	set_args /bin/true
	run hutch run --bundle "$BUNDLE" ct
	kill "$AGENT_PID" 2>/dev/null || true
	echo "$output"
	[ "$status" -eq 0 ]
	[ ! -e "$ROOTFS/hook-made" ]
	mapfile -t lines <"$ROOTFS/hook.log"
	printf '%s\n' "${lines[@]}"
	# errno 122 is EDQUOT: the agent's answer.
	[[ "${lines[0]}" == *"quota exceeded"* ]] || [[ "${lines[0]}" == *"Disk quota"* ]]
	[ "${lines[1]}" = mkdir=1 ]
	[ "$(echo "${lines[2]}" | tr -d ' ')" = 4 ]
}

# What the runtime itself may call after loading the filter (runc#4328:
# the init's fcntl on the listener trapped to a listener nobody served
# yet, and the container hung). A hang is killed after HUTCH_TIMEOUT.
@test "seccomp: SCMP_ACT_NOTIFY of the runtime's syscalls (fcntl set), noNewPrivileges false" {
	HUTCH_TIMEOUT=20
	start_agent -continue
	notify_profile false '["execve", "openat", "open", "read", "close", "fcntl"]'
	set_args /bin/sh -c 'echo notified-ok'
	run_to_file ct
	[ "$status" -eq 0 ]
	[ "$output" = notified-ok ]
	run jq -r '.fds[0], .metadata' "$TESTDIR/agent-state"
	[ "${lines[0]}" = seccompFd ]
	[ "${lines[1]}" = bar ]
	assert_no_leftovers ct
}

@test "seccomp: SCMP_ACT_NOTIFY of the runtime's syscalls (fcntl set), noNewPrivileges true" {
	HUTCH_TIMEOUT=20
	start_agent -continue
	notify_profile true '["execve", "openat", "open", "read", "close", "fcntl"]'
	set_args /bin/sh -c 'echo notified-ok'
	run_to_file ct
	[ "$status" -eq 0 ]
	[ "$output" = notified-ok ]
	run jq -r '.fds[0], .metadata' "$TESTDIR/agent-state"
	[ "${lines[0]}" = seccompFd ]
	[ "${lines[1]}" = bar ]
	assert_no_leftovers ct
}

# Every syscall the init (the process executor) makes up to execve, but the two
# the hand-off keeps for itself (write, sendmsg), with create and start
# apart: the privilege drop and execve wait for the agent's answers.
@test "seccomp: SCMP_ACT_NOTIFY of every syscall the init makes, create and start" {
	HUTCH_TIMEOUT=20
	local names='["read", "close", "fcntl", "openat", "open", "execve", "futex", "mmap", "munmap", "madvise",
		"mprotect", "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "sigaltstack", "gettid", "tgkill",
		"getpid", "clone", "clone3", "exit", "exit_group", "nanosleep", "sched_yield", "epoll_pwait",
		"epoll_ctl", "clock_gettime", "getrandom", "dup", "dup2", "dup3", "capget", "capset", "prctl",
		"setresuid", "setresgid", "setgroups", "umask", "close_range", "prlimit64", "newfstatat", "fstat",
		"ioctl", "chdir", "getcwd", "setsid"]'
	for nnp in false true; do
		start_agent -continue
		notify_profile "$nnp" "$names"
		set_args /bin/sh -c 'echo notified-ok > /tmp/out'
		hutch_create ct
		hutch start ct
		wait_status ct stopped
		[ "$(cat "$ROOTFS/tmp/out")" = notified-ok ]
		hutch delete ct
		kill "$AGENT_PID" 2>/dev/null || true
		wait "$AGENT_PID" 2>/dev/null || true
		rm -f "$TESTDIR/agent.sock" "$TESTDIR/agent-ready" "$ROOTFS/tmp/out"
	done
	assert_no_leftovers ct
}

@test "seccomp: with a notify listener no Go runtime starts in the container" {
	command -v strace >/dev/null || skip "strace is not installed"
	start_agent -continue
	notify_profile true '["mkdir", "mkdirat"]'
	set_args /bin/mkdir /tmp/notified
	timeout -k 5 30 strace -f -qq -e trace=execve,execveat,clone,clone3 -o "$TESTDIR/notify" \
		"$HUTCH" --root "$ROOT" run --bundle "$BUNDLE" ct </dev/null >"$TESTDIR/ct.log" 2>&1 3>&-
	[ -d "$ROOTFS/tmp/notified" ]
	# The agent got the listener and answered.
	[ "$(jq -r '.fds[0]' "$TESTDIR/agent-state")" = seccompFd ]
	[ -z "$(go_threads "$TESTDIR/notify")" ] || fail "a thread was made in the container: $(go_threads "$TESTDIR/notify")"
}
