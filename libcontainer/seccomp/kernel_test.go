package seccomp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// The kernel tests re-execute the test binary: the child (selected by
// envChild) installs the profile from envProfile, runs the calls of its
// case and prints "label=errno" lines; the parent checks them.
const (
	envChild   = "HUTCH_SECCOMP_TEST_CHILD"
	envProfile = "HUTCH_SECCOMP_TEST_PROFILE"
	envDir     = "HUTCH_SECCOMP_TEST_DIR"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envChild); name != "" {
		os.Exit(runChild(name))
	}
	os.Exit(m.Run())
}

type childCall struct {
	label string
	nr    uintptr
	args  [3]uintptr
}

func pathArg(p string) uintptr {
	b, _ := unix.BytePtrFromString(p)
	return uintptr(unsafe.Pointer(b))
}

func runChild(name string) int {
	runtime.LockOSThread()
	var s specs.LinuxSeccomp
	if err := json.Unmarshal([]byte(os.Getenv(envProfile)), &s); err != nil {
		fmt.Println("profile:", err)
		return 90
	}
	dir := os.Getenv(envDir)
	buf := make([]byte, 4096) // big enough for getcwd and struct utsname
	calls := []childCall{
		{"mkdir", unix.SYS_MKDIR, [3]uintptr{pathArg(filepath.Join(dir, "m")), 0o755}},
		{"getcwd", unix.SYS_GETCWD, [3]uintptr{uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf))}},
		{"getpid", unix.SYS_GETPID, [3]uintptr{}},
		{"uname", unix.SYS_UNAME, [3]uintptr{uintptr(unsafe.Pointer(&buf[0]))}},
		{"personality_query", unix.SYS_PERSONALITY, [3]uintptr{0xffffffff}},
		{"personality_linux", unix.SYS_PERSONALITY, [3]uintptr{0}},
		{"socket_inet", unix.SYS_SOCKET, [3]uintptr{unix.AF_INET, unix.SOCK_STREAM | unix.SOCK_CLOEXEC}},
		{"socket_unix", unix.SYS_SOCKET, [3]uintptr{unix.AF_UNIX, unix.SOCK_STREAM | unix.SOCK_CLOEXEC}},
		{"getppid_big", unix.SYS_GETPPID, [3]uintptr{0x100000005}},
		{"getppid_small", unix.SYS_GETPPID, [3]uintptr{5}},
		// Newer (Linux 6.6) than every syscall some profiles name; with
		// no path it fails with EFAULT when it runs.
		{"fchmodat2", unix.SYS_FCHMODAT2, [3]uintptr{atFdcwd}},
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Println("no_new_privs:", err)
		return 91
	}
	if strings.HasPrefix(name, "notify") {
		// As the container init does: the connection and the message are
		// made before the filter is loaded.
		conn, err := ConnectListener(s.ListenerPath)
		if err != nil {
			fmt.Println("connect:", err)
			return 93
		}
		st := &specs.ContainerProcessState{Pid: os.Getpid(), Metadata: s.ListenerMetadata,
			State: specs.State{Version: specs.Version, ID: "ctr", Status: specs.StateCreating, Pid: os.Getpid(), Bundle: dir}}
		msg, err := ListenerMessage(st)
		if err != nil {
			fmt.Println("message:", err)
			return 93
		}
		if err := ApplyNotify(&s, int(conn.Fd()), msg); err != nil {
			fmt.Println("apply:", err)
			return 92
		}
		conn.Close()
		calls = []childCall{{"mkdirat", unix.SYS_MKDIRAT, [3]uintptr{atFdcwd, pathArg(filepath.Join(dir, "n")), 0o755}}}
	} else if err := Apply(&s); err != nil {
		fmt.Println("apply:", err)
		return 92
	}
	var out strings.Builder
	for _, c := range calls {
		_, _, errno := unix.Syscall(c.nr, c.args[0], c.args[1], c.args[2])
		fmt.Fprintf(&out, "%s=%d\n", c.label, int(errno))
	}
	os.Stdout.WriteString(out.String())
	return 0
}

// runProfile runs a child with s and returns its parsed results.
func runProfile(t *testing.T, name string, s *specs.LinuxSeccomp, dir string) (map[string]int, *exec.Cmd, error) {
	t.Helper()
	if err := Validate(s); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	// A child stuck in a notified syscall must not hang the test run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+name, envProfile+"="+string(js), envDir+"="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res := map[string]int{}
	for _, l := range strings.Split(stdout.String(), "\n") {
		var k string
		var v int
		if i := strings.IndexByte(l, '='); i > 0 {
			k = l[:i]
			fmt.Sscan(l[i+1:], &v)
			res[k] = v
		}
	}
	if err != nil {
		t.Logf("child stdout: %s\nchild stderr: %.2000s", stdout.String(), stderr.String())
	}
	return res, cmd, err
}

func expect(t *testing.T, res map[string]int, want map[string]int) {
	t.Helper()
	for k, v := range want {
		got, ok := res[k]
		if !ok {
			t.Errorf("%s: no result", k)
		} else if got != v {
			t.Errorf("%s: errno %d (%v), want %d (%v)", k, got, syscall.Errno(got), v, syscall.Errno(v))
		}
	}
}

func TestKernelErrno(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Flags:         []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir", "no_such_syscall_xyz"}, Action: specs.ActErrno, ErrnoRet: uptr(38)},
			{Names: []string{"getcwd"}, Action: specs.ActErrno, ErrnoRet: uptr(1)},
			{Names: []string{"uname"}, Action: specs.ActErrno}, // EPERM by default
			{Names: []string{"getpid"}, Action: specs.ActLog},
		},
	}
	res, _, err := runProfile(t, "basic", s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, map[string]int{"mkdir": 38, "getcwd": 1, "uname": int(unix.EPERM), "getpid": 0, "personality_query": 0, "socket_unix": 0})
}

func TestKernelArgs(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Flags:         []specs.LinuxSeccompFlag{flagTSYNC},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"personality"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.EINVAL)),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 0xffffffff}}},
			{Names: []string{"socket"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.EAFNOSUPPORT)),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: unix.AF_INET}}},
			{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: uptr(uint(unix.E2BIG)),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: 0xffffffff}}},
		},
	}
	res, _, err := runProfile(t, "args", s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, map[string]int{
		"personality_query": int(unix.EINVAL), "personality_linux": 0,
		"socket_inet": int(unix.EAFNOSUPPORT), "socket_unix": 0,
		"getppid_big": int(unix.E2BIG), "getppid_small": 0,
	})
}

// The Go runtime keeps running on the filtered thread, so the allow-list
// has to cover what it may call there.
var goRuntimeSyscalls = []string{
	"write", "read", "futex", "mmap", "munmap", "madvise", "mprotect", "rt_sigprocmask", "rt_sigaction",
	"rt_sigreturn", "sigaltstack", "gettid", "tgkill", "getpid", "clone", "clone3", "exit", "exit_group",
	"nanosleep", "sched_yield", "epoll_pwait", "epoll_ctl", "fcntl", "close", "clock_gettime", "getrandom",
}

func TestKernelDefaultErrnoAllowList(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uptr(uint(unix.ENOSYS)),
		Syscalls: []specs.LinuxSyscall{
			{Names: append([]string{"uname"}, goRuntimeSyscalls...), Action: specs.ActAllow},
			{Names: []string{"socket"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: unix.AF_UNIX}}},
		},
	}
	res, _, err := runProfile(t, "allowlist", s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, map[string]int{"uname": 0, "getpid": 0, "mkdir": int(unix.ENOSYS), "getcwd": int(unix.ENOSYS),
		"socket_unix": 0, "socket_inet": int(unix.ENOSYS)})
}

func TestKernelNewerSyscallENOSYS(t *testing.T) {
	// goRuntimeSyscalls names nothing newer than clone3 (Linux 5.3).
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls:      []specs.LinuxSyscall{{Names: append([]string{"uname"}, goRuntimeSyscalls...), Action: specs.ActAllow}},
	}
	res, _, err := runProfile(t, "newer", s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, map[string]int{"uname": 0, "fchmodat2": int(unix.ENOSYS), "mkdir": int(unix.EPERM), "getcwd": int(unix.EPERM)})
}

func TestKernelTraceWithoutTracer(t *testing.T) {
	// With no tracer attached the kernel fails a SECCOMP_RET_TRACE
	// syscall with ENOSYS.
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActTrace, ErrnoRet: uptr(5)}},
	}
	res, _, err := runProfile(t, "trace", s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, res, map[string]int{"getcwd": int(unix.ENOSYS), "getpid": 0})
}

func wantSignal(t *testing.T, err error, sig syscall.Signal) {
	t.Helper()
	ee, ok := err.(*exec.ExitError)
	if !ok {
		t.Fatalf("child: %v, want killed by %v", err, sig)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != sig {
		t.Fatalf("child: %v, want killed by %v", ee, sig)
	}
}

func TestKernelKillProcess(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActKillProcess}},
	}
	res, _, err := runProfile(t, "kill", s, t.TempDir())
	wantSignal(t, err, syscall.SIGSYS)
	if len(res) != 0 {
		t.Errorf("child printed results after the kill: %v", res)
	}
}

func TestKernelTrap(t *testing.T) {
	// SIGSYS reaches the Go runtime, which dies reporting it.
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"getcwd"}, Action: specs.ActTrap}},
	}
	_, cmd, err := runProfile(t, "trap", s, t.TempDir())
	if err == nil {
		t.Fatal("child survived SCMP_ACT_TRAP")
	}
	if se := cmd.Stderr.(*bytes.Buffer).String(); !strings.Contains(se, "SIGSYS") {
		t.Errorf("child stderr does not mention SIGSYS: %.500s", se)
	}
}

// seccompNotif and seccompNotifResp mirror struct seccomp_notif and struct
// seccomp_notif_resp.
type seccompNotif struct {
	id    uint64
	pid   uint32
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

type seccompNotifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

// notifyAgent is a listener at dir/listener.sock standing for the
// seccomp agent.
type notifyAgent struct {
	path string
	lfd  int
}

func newNotifyAgent(t *testing.T, dir string) *notifyAgent {
	t.Helper()
	a := &notifyAgent{path: filepath.Join(dir, "listener.sock")}
	lfd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(lfd) })
	if err := unix.Bind(lfd, &unix.SockaddrUnix{Name: a.path}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(lfd, 1); err != nil {
		t.Fatal(err)
	}
	tv := unix.Timeval{Sec: 10}
	if err := unix.SetsockoptTimeval(lfd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	a.lfd = lfd
	return a
}

type childResult struct {
	res map[string]int
	err error
}

// accept takes the runtime's message: the state JSON plus the notify fd.
func (a *notifyAgent) accept(t *testing.T, done chan childResult) (specs.ContainerProcessState, int) {
	t.Helper()
	// With SO_RCVTIMEO set, the kernel does not restart these calls after
	// the Go runtime's preemption signals.
	var cfd int
	var err error
	for {
		cfd, _, err = unix.Accept(a.lfd)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		t.Fatalf("accept: %v (child: %+v)", err, <-done)
	}
	defer unix.Close(cfd)
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4*4))
	var n, oobn int
	for {
		n, oobn, _, _, err = unix.Recvmsg(cfd, buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil || n == 0 {
		t.Fatalf("recvmsg: %d bytes, %v: no state and fd from the child (child: %+v)", n, err, <-done)
	}
	var st specs.ContainerProcessState
	if err := json.Unmarshal(buf[:n], &st); err != nil {
		t.Fatalf("state JSON %q: %v", buf[:n], err)
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(cmsgs) != 1 {
		t.Fatalf("control messages: %v, %d", err, len(cmsgs))
	}
	fds, err := unix.ParseUnixRights(&cmsgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("fds: %v, %v", fds, err)
	}
	return st, fds[0]
}

// recvNotif waits for the next notification; false once the filter has no
// task left.
func recvNotif(fd int, req *seccompNotif) bool {
	for {
		*req = seccompNotif{}
		_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(req)))
		if e == unix.EINTR {
			continue
		}
		return e == 0
	}
}

func sendResp(fd int, resp *seccompNotifResp) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(resp)))
	return e
}

func TestKernelNotify(t *testing.T) {
	dir := t.TempDir()
	a := newNotifyAgent(t, dir)
	s := &specs.LinuxSeccomp{
		DefaultAction:    specs.ActAllow,
		ListenerPath:     a.path,
		ListenerMetadata: "hello-agent",
		Flags:            []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv, flagTSYNC},
		Syscalls:         []specs.LinuxSyscall{{Names: []string{"mkdirat"}, Action: specs.ActNotify}},
	}
	done := make(chan childResult, 1)
	go func() {
		res, _, err := runProfile(t, "notify", s, dir)
		done <- childResult{res, err}
	}()
	st, notifyFd := a.accept(t, done)
	defer unix.Close(notifyFd)
	if len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.Metadata != "hello-agent" ||
		st.Version == "" || st.State.ID != "ctr" || st.Pid == 0 {
		t.Errorf("unexpected state: %+v", st)
	}

	// Answer the child's mkdirat with EDQUOT.
	var req seccompNotif
	if !recvNotif(notifyFd, &req) {
		t.Fatal("SECCOMP_IOCTL_NOTIF_RECV failed")
	}
	if req.nr != unix.SYS_MKDIRAT || int(req.pid) != st.Pid || req.arch != auditX86_64 {
		t.Errorf("notification: nr %d pid %d arch %#x, want nr %d pid %d", req.nr, req.pid, req.arch, unix.SYS_MKDIRAT, st.Pid)
	}
	resp := seccompNotifResp{id: req.id, error: -int32(unix.EDQUOT)}
	if e := sendResp(notifyFd, &resp); e != 0 {
		t.Fatalf("SECCOMP_IOCTL_NOTIF_SEND: %v", e)
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		expect(t, r.res, map[string]int{"mkdirat": int(unix.EDQUOT)})
	case <-time.After(10 * time.Second):
		t.Fatal("child did not finish")
	}
	if _, err := os.Stat(filepath.Join(dir, "n")); !os.IsNotExist(err) {
		t.Errorf("directory was created despite the listener's error: %v", err)
	}
}

// A profile may notify what the runtime itself calls right after loading
// the filter (runc issue 4328: fcntl on the listener fd hung the init): the
// fd must reach the agent before the loading thread makes any of them.
// Every syscall the Go runtime makes is notified here, except the two
// hutch keeps for itself; the agent lets each run.
func TestKernelNotifyRuntimeSyscalls(t *testing.T) {
	dir := t.TempDir()
	a := newNotifyAgent(t, dir)
	var names []string
	for _, n := range append([]string{"mkdirat", "openat", "open", "execve", "dup", "dup3", "ioctl"}, goRuntimeSyscalls...) {
		if !notifyForbidden[n] {
			names = append(names, n)
		}
	}
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		ListenerPath:  a.path,
		Syscalls:      []specs.LinuxSyscall{{Names: names, Action: specs.ActNotify}},
	}
	done := make(chan childResult, 1)
	go func() {
		res, _, err := runProfile(t, "notify-continue", s, dir)
		done <- childResult{res, err}
	}()
	_, notifyFd := a.accept(t, done)
	defer unix.Close(notifyFd)
	seen := map[int32]int{}
	for {
		var req seccompNotif
		if !recvNotif(notifyFd, &req) {
			break // the child is gone
		}
		seen[req.nr]++
		resp := seccompNotifResp{id: req.id, flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
		sendResp(notifyFd, &resp) // ENOENT if the task died meanwhile
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatal(r.err)
		}
		expect(t, r.res, map[string]int{"mkdirat": 0})
	case <-time.After(10 * time.Second):
		t.Fatal("child did not finish")
	}
	// The runtime closes the listener once it is sent, and the child its
	// connection: both after the hand-off, both answered here.
	if seen[unix.SYS_CLOSE] == 0 || seen[unix.SYS_MKDIRAT] != 1 {
		t.Errorf("notifications by syscall number: %v, want close and one mkdirat", seen)
	}
}

var atFdcwd = func() uintptr { fd := unix.AT_FDCWD; return uintptr(fd) }()
