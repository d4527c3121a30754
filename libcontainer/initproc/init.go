package initproc

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/console"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
	"github.com/hutch-runtime/hutch/libcontainer/lsm"
	"github.com/hutch-runtime/hutch/libcontainer/procattr"
	"github.com/hutch-runtime/hutch/libcontainer/rlimits"
	"github.com/hutch-runtime/hutch/libcontainer/rootfs"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
	"github.com/hutch-runtime/hutch/libcontainer/syncmsg"
	"github.com/hutch-runtime/hutch/libcontainer/sysctl"
	"github.com/hutch-runtime/hutch/libcontainer/timing"
)

// Main runs the container init and never returns. The caller has locked the
// main goroutine to its OS thread: capabilities and no_new_privs are per
// thread, and the thread that sets them must be the one that calls execve.
func Main() {
	fd, err := strconv.Atoi(os.Getenv(SyncEnv))
	if err != nil || fd < 3 {
		fmt.Fprintf(os.Stderr, "hutch init: must be started by hutch create (%s=%q)\n", SyncEnv, os.Getenv(SyncEnv))
		os.Exit(1)
	}
	os.Unsetenv(SyncEnv)
	unix.CloseOnExec(fd)
	sock := os.NewFile(uintptr(fd), "init-sock")
	err = run(sock)
	// run returns only on failure; before `ready` the parent reports the
	// error, afterwards nobody listens on the socket but stderr.
	if serr := syncmsg.Send(sock, syncmsg.Error, []byte(err.Error())); serr != nil {
		// After ready the parent is gone: the container's stderr is
		// the only place left to report to, one line as runc writes it
		// ("exec /run.sh: no such file or directory").
		fmt.Fprintf(os.Stderr, "%v\n", err)
	}
	os.Exit(1)
}

func run(sock *os.File) error {
	payload, err := syncmsg.Expect(sock, syncmsg.Config)
	received := time.Now()
	if err != nil {
		return fmt.Errorf("read init config: %w", err)
	}
	cp, err := Decode(payload)
	if err != nil {
		return fmt.Errorf("decode init config: %w", err)
	}
	c := *cp
	t := timing.NewAt(c.Timings, received)
	t.Mark("decode_config")
	if c.Exec {
		return runExec(&c, sock, t)
	}
	s := c.Spec
	unix.CloseOnExec(c.FifoFd)
	// The binary we run from (the sealed one), reachable after
	// pivot_root, for the waiter (see execWait).
	self := -1
	if !c.Run && canExecWait(s) {
		if fd, err := unix.Open("/proc/self/exe", unix.O_PATH|unix.O_CLOEXEC, 0); err == nil {
			self = fd
		}
	}
	if err := procattr.ApplyInitialAffinity(s.Process); err != nil {
		return err
	}
	if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if c.NewNetNS {
		// A new network namespace starts with lo down: 127.0.0.1 would
		// be unreachable (podman --network none), as runc and crun do not
		// leave it.
		if err := loopbackUp(); err != nil {
			return fmt.Errorf("linux.namespaces (network): bring lo up: %w", err)
		}
	}
	opts := rootfs.Options{
		Rootfs: c.Rootfs, NoPivot: c.NoPivot, InUserNS: c.InUserNS,
		NewNetNS: c.NewNetNS, NewCgroupNS: c.NewCgroupNS, TreeFds: c.TreeFds,
		SharedMountNS: c.HostMountNS || c.JoinedMountNS,
	}
	if s.Linux != nil && s.Linux.MountLabel != "" {
		opts.MountLabel, opts.SELinux = s.Linux.MountLabel, lsm.SELinuxEnabled()
	}
	setupRootfs := true
	if c.JoinedMountNS {
		// Another's namespace: where root.path exists in it, the container
		// gets its mounts there under a bind of its root and a chroot,
		// never a change of the namespace's own root or propagation. Where
		// it does not, the namespace is used as it is.
		if fi, err := os.Stat(c.Rootfs); err != nil || !fi.IsDir() {
			if len(s.Mounts) > 0 || s.Root.Readonly || len(s.Linux.MaskedPaths) > 0 || len(s.Linux.ReadonlyPaths) > 0 {
				return fmt.Errorf("root.path: %s is not a directory in the mount namespace joined by path: mounts, root.readonly, linux.maskedPaths and linux.readonlyPaths cannot be applied (leave them empty to use that namespace as it is)", c.Rootfs)
			}
			setupRootfs = false
		}
	}
	if setupRootfs {
		if err := rootfs.Mount(s, opts); err != nil {
			return err
		}
	}
	t.Mark("mounts")

	// The parent runs prestart and createRuntime hooks now (after the
	// environment exists, before pivot_root) and answers with the state the
	// in-container hooks must see.
	if err := syncmsg.Send(sock, syncmsg.Hooks, nil); err != nil {
		return err
	}
	stateJSON, err := syncmsg.Expect(sock, syncmsg.HooksDone)
	if err != nil {
		return err
	}
	var st specs.State
	if err := json.Unmarshal(stateJSON, &st); err != nil {
		return fmt.Errorf("decode hook state: %w", err)
	}
	t.Mark("wait_hooks")
	if s.Hooks != nil {
		if err := hooks.Run("createContainer", s.Hooks.CreateContainer, &st); err != nil {
			return err
		}
	}
	t.Mark("create_container_hooks")

	if setupRootfs {
		if err := rootfs.PivotRoot(opts); err != nil {
			return err
		}
	}
	t.Mark("pivot_root")
	if c.NewUTSNS {
		if s.Hostname != "" {
			if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
				return fmt.Errorf("hostname: sethostname %q: %w", s.Hostname, err)
			}
		}
		if s.Domainname != "" {
			if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
				return fmt.Errorf("domainname: setdomainname %q: %w", s.Domainname, err)
			}
		}
	}
	if s.Linux != nil && len(s.Linux.Sysctl) > 0 {
		if err := sysctl.Apply(s.Linux.Sysctl); err != nil {
			return err
		}
	}
	t.Mark("hostname_sysctl")
	if setupRootfs {
		if err := rootfs.Finalize(s, opts); err != nil {
			return err
		}
	}
	t.Mark("masked_readonly_paths")
	p := s.Process
	if c.ConsoleFd > 0 {
		if err := setupTerminal(c.ConsoleFd, p); err != nil {
			return err
		}
	}
	if p.OOMScoreAdj != nil {
		if err := os.WriteFile("/proc/self/oom_score_adj", []byte(strconv.Itoa(*p.OOMScoreAdj)), 0); err != nil {
			return fmt.Errorf("process.oomScoreAdj: %w", err)
		}
	}
	if err := rlimits.Apply(p.Rlimits); err != nil {
		return err
	}
	if err := setupCwd(p.Cwd); err != nil {
		return err
	}
	path, err := lookPath(p.Args[0], p.Env)
	if err != nil {
		return err
	}
	if err := closeExtraFds(c.PreserveFds); err != nil {
		return err
	}

	t.Mark("process_setup")
	if self >= 0 {
		// Everything but the wait is done before ready, so that a
		// failure is still reported to create.
		if err := execve(&c, "", self); err != nil {
			return err
		}
		return execWait(&c, path, sock, t, self)
	}
	if err := syncmsg.Send(sock, syncmsg.Ready, t.Encode()); err != nil {
		return err
	}
	sock.Close()

	// Block until `hutch start` opens the fifo for reading. The fifo is
	// reached through our O_PATH handle: its path is outside the new root.
	fifo, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(c.FifoFd), os.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open exec fifo: %w", err)
	}
	if _, err := fifo.Write([]byte("0")); err != nil {
		return fmt.Errorf("write exec fifo: %w", err)
	}
	// The write end stays open (close-on-exec): `start` reads until EOF, so
	// it returns, and runs poststart hooks, only once execve happened.
	unix.Close(c.FifoFd)

	// The user program has not run yet: still "created" for these hooks,
	// which execve runs once the process's attributes are in place.
	st.Status = specs.StateCreated
	return execveTimed(&c, path, nil, nil, -1, &st)
}

// canExecWait reports whether the created container may wait in the small
// C waiter (nsenter.c exec_wait) instead of this Go runtime: a full Go
// process per idle container costs several MB, the waiter a few pages.
// The waiter is an execve more between the privilege drop and the
// process, so configurations that act at that execve stay here: LSM
// labels (they would confine the waiter), a seccomp filter (it would have
// to allow the waiter's syscalls), startContainer hooks (they run after
// the wait), and address-space rlimits (the waiter's image must fit).
func canExecWait(s *specs.Spec) bool {
	p := s.Process
	if p.ApparmorProfile != "" || p.SelinuxLabel != "" {
		return false
	}
	if s.Linux != nil && s.Linux.Seccomp != nil {
		return false
	}
	if s.Hooks != nil && len(s.Hooks.StartContainer) > 0 {
		return false
	}
	for _, r := range p.Rlimits {
		switch r.Type {
		case "RLIMIT_AS", "RLIMIT_DATA", "RLIMIT_STACK", "RLIMIT_MEMLOCK":
			return false
		}
	}
	return true
}

// execWait reports ready and re-executes the hutch binary (self, an O_PATH
// handle of the sealed binary) as the waiter, which keeps the fifo handle
// and execs the process once `hutch start` opened the fifo. The process's
// user, capabilities and no_new_privs are already in place: the kernel
// computes the same capability sets at each of the two execs.
func execWait(c *Config, path string, sock *os.File, t *timing.Phases, self int) error {
	p := c.Spec.Process
	argv := append([]string{"hutch", "init", "--exec-wait", strconv.Itoa(c.FifoFd), path}, p.Args...)
	// Only the fifo handle crosses into the waiter.
	if _, err := unix.FcntlInt(uintptr(c.FifoFd), unix.F_SETFD, 0); err != nil {
		return fmt.Errorf("exec fifo handle: %w", err)
	}
	t.Mark("user_caps")
	if err := syncmsg.Send(sock, syncmsg.Ready, t.Encode()); err != nil {
		return err
	}
	sock.Close()
	return fmt.Errorf("exec the waiting init: %w", execveat(self, argv, p.Env))
}

// execveat is execveat(fd, "", argv, envv, AT_EMPTY_PATH), which neither
// syscall nor x/sys/unix wrap; it returns only on failure.
func execveat(fd int, argv, envv []string) error {
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		return err
	}
	envvp, err := syscall.SlicePtrFromStrings(envv)
	if err != nil {
		return err
	}
	empty, _ := syscall.BytePtrFromString("")
	_, _, errno := unix.Syscall6(unix.SYS_EXECVEAT, uintptr(fd), uintptr(unsafe.Pointer(empty)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envvp[0])), unix.AT_EMPTY_PATH, 0)
	return errno
}

// execve applies the per-thread attributes, the user, capabilities,
// no_new_privs and seccomp on this thread and executes the process; it
// returns only on failure.
func execve(c *Config, path string, waiter int) error {
	return execveTimed(c, path, nil, nil, waiter, nil)
}

// execveTimed is execve that, with timings on, reports its phases on sock
// right before the execve (exec: the parent reads them, then sees EOF).
// With waiter >= 0, it stops before the execve: execWait follows.
// With hookState (a started container), the startContainer hooks run
// right before the execve, as the process would run: its user,
// capabilities, no_new_privs and seccomp filter apply to them (runc 1.5
// runs them so; a hook must not do what the filter forbids the process).
// This is their only place: the C waiter is never used with them
// (canExecWait) and an exec runs none.
func execveTimed(c *Config, path string, sock *os.File, t *timing.Phases, waiter int, hookState *specs.State) error {
	s := c.Spec
	p := s.Process
	if err := procattr.Apply(s); err != nil {
		return err
	}
	t.Mark("procattr")
	sc := seccompStep(c)
	if t != nil {
		inner := sc
		sc = func() error {
			t.Mark("user_caps")
			err := inner()
			t.Mark("seccomp")
			return err
		}
	}
	if err := finalizeProcess(p, sc); err != nil {
		return err
	}
	if waiter >= 0 {
		return nil
	}
	if hookState != nil && s.Hooks != nil {
		// This goroutine is locked to this thread, and the hooks are
		// forked from it: they inherit its credentials and filter.
		if err := hooks.Run("startContainer", s.Hooks.StartContainer, hookState); err != nil {
			return err
		}
	}
	t.Mark("finalize")
	if t != nil && sock != nil {
		if err := syncmsg.Send(sock, syncmsg.Timings, t.Encode()); err != nil {
			return err
		}
	}
	if err := unix.Exec(path, p.Args, p.Env); err != nil {
		return &os.PathError{Op: "exec", Path: p.Args[0], Err: err}
	}
	return errors.New("unreachable")
}

// runExec prepares and execs a process inside a running container.
func runExec(c *Config, sock *os.File, t *timing.Phases) error {
	p := c.Spec.Process
	if c.RootFd > 0 {
		err := rootfs.EnterRoot(c.RootFd)
		unix.Close(c.RootFd)
		if err != nil {
			return err
		}
	}
	if err := procattr.ApplyInitialAffinity(p); err != nil {
		return err
	}
	if c.ConsoleFd > 0 {
		// A terminal needs a session of its own to be the controlling tty.
		if _, err := unix.Setsid(); err != nil {
			return fmt.Errorf("setsid: %w", err)
		}
		if err := setupTerminal(c.ConsoleFd, p); err != nil {
			return err
		}
	}
	if err := rlimits.Apply(p.Rlimits); err != nil {
		return err
	}
	if err := enterCwd(p.Cwd); err != nil {
		return err
	}
	path, err := lookPath(p.Args[0], p.Env)
	if err != nil {
		return err
	}
	if err := closeExtraFds(c.PreserveFds); err != nil {
		return err
	}
	t.Mark("process_setup")
	return execveTimed(c, path, sock, t, -1, nil)
}

// setupTerminal makes a pty inside the container (its devpts), sends the
// master to the console socket the parent connected, and makes the slave
// the process's stdio and controlling terminal, owned by process.user.uid
// as runc leaves it (its group is devpts's gid= option, tty in the default
// config).
func setupTerminal(fd int, p *specs.Process) error {
	sock := os.NewFile(uintptr(fd), "console-socket")
	defer sock.Close()
	master, slave, err := console.OpenPty()
	if err != nil {
		return fmt.Errorf("process.terminal: %w", err)
	}
	defer slave.Close()
	if err := unix.Fchown(int(slave.Fd()), int(p.User.UID), -1); err != nil {
		master.Close()
		return fmt.Errorf("process.terminal: chown the pty to process.user.uid %d: %w", p.User.UID, err)
	}
	err = console.SendMaster(sock, master)
	master.Close()
	if err != nil {
		return fmt.Errorf("--console-socket: %w", err)
	}
	if err := console.SetupSlave(slave, p.ConsoleSize); err != nil {
		return fmt.Errorf("process.terminal: %w", err)
	}
	return nil
}

// setupCwd changes into process.cwd inside the new root, creating it like
// runc does, and checks that the result is reachable from the root: a cwd
// reached through a leaked host fd would show as "(unreachable)".
func setupCwd(cwd string) error {
	if err := os.MkdirAll(cwd, 0o755); err != nil {
		return fmt.Errorf("process.cwd: create %s: %w", cwd, err)
	}
	return enterCwd(cwd)
}

// enterCwd changes into cwd and checks the result is below the root.
func enterCwd(cwd string) error {
	if err := unix.Chdir(cwd); err != nil {
		return fmt.Errorf("process.cwd: chdir to %s: %w", cwd, err)
	}
	if wd, err := unix.Getwd(); err != nil || !strings.HasPrefix(wd, "/") {
		return fmt.Errorf("process.cwd: %s resolves outside the container root", cwd)
	}
	return nil
}

// closeExtraFds marks every fd above 2 (and above the preserved ones)
// close-on-exec, so nothing from the host reaches the container process
// (CVE-2024-21626). close_range needs no /proc, which may belong to another
// pid namespace when the mount namespace was joined.
func closeExtraFds(preserve int) error {
	if err := unix.CloseRange(uint(3+preserve), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	return nil
}

// finalizeProcess switches to the configured user and applies the
// capability sets and no_new_privs on this thread, right before execve.
func finalizeProcess(p *specs.Process, installSeccomp func() error) error {
	// The LSM attributes take effect at execve; writing them needs the
	// privileges the init still has here.
	if err := lsm.Apply(p); err != nil {
		return err
	}
	// Without no_new_privs, loading a filter needs CAP_SYS_ADMIN, which the
	// uid switch below takes away: load it now, while privileged (the
	// profile must then allow the few syscalls up to execve, as with runc).
	if !p.NoNewPrivileges {
		if err := installSeccomp(); err != nil {
			return err
		}
	}
	if err := capabilities.DropBounding(p.Capabilities); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS): %w", err)
	}
	u := p.User
	groups := make([]int, 0, len(u.AdditionalGids))
	for _, g := range u.AdditionalGids {
		groups = append(groups, int(g))
	}
	if err := unix.Setgroups(groups); err != nil && !(errors.Is(err, unix.EPERM) && len(groups) == 0) {
		return fmt.Errorf("process.user.additionalGids: setgroups %v: %w", groups, err)
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return fmt.Errorf("process.user.gid: setresgid %d: %w", u.GID, err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return fmt.Errorf("process.user.uid: setresuid %d: %w", u.UID, err)
	}
	if err := capabilities.Apply(p.Capabilities); err != nil {
		return err
	}
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_KEEPCAPS): %w", err)
	}
	umask := 0o022
	if u.Umask != nil {
		umask = int(*u.Umask)
	}
	unix.Umask(umask)
	if p.NoNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("process.noNewPrivileges: %w", err)
		}
		// As late as possible: only execve follows.
		if err := installSeccomp(); err != nil {
			return err
		}
	}
	return nil
}

// seccompStep returns the function that loads linux.seccomp on this thread
// and, for SCMP_ACT_NOTIFY, sends the listener fd with the container state
// over the agent connection the parent made (listenerPath is a host path).
// Everything that can be done before the filter is loaded is: until the fd
// has reached the agent, this thread must make no syscall the profile may
// notify (see seccomp.Filter.InstallNotify).
func seccompStep(c *Config) func() error {
	return func() error {
		if c.Spec.Linux == nil || c.Spec.Linux.Seccomp == nil {
			return nil
		}
		f, err := seccomp.Compile(c.Spec.Linux.Seccomp)
		if err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
		if !f.Notify {
			if err := f.Install(); err != nil {
				return fmt.Errorf("linux.seccomp: %w", err)
			}
			return nil
		}
		if c.SeccompFd <= 0 {
			return errors.New("linux.seccomp: a notify filter needs linux.seccomp.listenerPath")
		}
		msg, err := seccomp.ListenerMessage(c.SeccompState)
		if err != nil {
			return err
		}
		if err := f.InstallNotify(c.SeccompFd, msg); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
		// The agent has the fd: it answers this close if notified.
		unix.Close(c.SeccompFd)
		return nil
	}
}

// lookPath finds the executable the way execvp would with the container's
// PATH, and words its errors like runc (Go's os/exec): engines map
// "executable file not found" and "no such file" to 127 and "permission
// denied" to 126.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		if err := executable(file); err != nil {
			return "", fmt.Errorf("exec: %q: %w", file, err)
		}
		return file, nil
	}
	pathEnv := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			pathEnv = v
		}
	}
	var firstErr error
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, file)
		err := executable(p)
		if err == nil {
			return p, nil
		}
		if firstErr == nil && errors.Is(err, os.ErrPermission) {
			firstErr = fmt.Errorf("exec: %q: %w", file, err)
		}
	}
	if firstErr != nil {
		return "", firstErr
	}
	return "", fmt.Errorf("exec: %q: executable file not found in $PATH", file)
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return errors.New("no such file or directory")
		}
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return os.ErrPermission
	}
	return nil
}

// loopbackUp sets IFF_UP on lo in the current network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
