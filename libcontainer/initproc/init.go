package initproc

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/lsm"
	"github.com/hutch-runtime/hutch/libcontainer/rootfs"
	"github.com/hutch-runtime/hutch/libcontainer/syncmsg"
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
	s := c.Spec
	unix.CloseOnExec(c.FifoFd)
	// The binary we run from (the sealed one, CVE-2019-5736), reachable
	// after pivot_root, for the process executor (see handOff).
	self, err := unix.Open("/proc/self/exe", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /proc/self/exe: %w", err)
	}
	opts := rootfs.Options{
		Rootfs: c.Rootfs, InUserNS: c.InUserNS,
		NewNetNS: c.NewNetNS, NewCgroupNS: c.NewCgroupNS, TreeFds: c.TreeFds,
		SharedMountNS: c.HostMountNS || c.JoinedMountNS,
	}
	if s.Linux != nil && s.Linux.MountLabel != "" {
		opts.MountLabel, opts.SELinux = s.Linux.MountLabel, lsm.SELinuxEnabled()
	}
	if !c.NoRootfs {
		if err := rootfs.Mount(s, opts); err != nil {
			return err
		}
	}
	t.Mark("mounts")
	// The answer is the process plan, which the executor reads.
	if err := syncmsg.Send(sock, syncmsg.Mounted, t.Encode()); err != nil {
		return err
	}
	return handOff(&c, sock, self)
}

// handOff re-executes the sealed hutch binary (self, an O_PATH handle) as
// the process executor (libcontainer/nsenter/process.c), which reads the
// process plan the parent sent after the hooks and does the rest without
// a Go runtime: a created container waits for start in a few pages, and
// every container process is set up and exec'd by that one piece of code.
// Only the socket, the fifo, the console socket connection, the seccomp
// agent connection and the preserved fds cross into it.
func handOff(c *Config, sock *os.File, self int) error {
	if err := unix.CloseRange(uint(3+c.PreserveFds), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close_range: %w", err)
	}
	sfd := int(sock.Fd())
	for _, fd := range []int{sfd, c.FifoFd, c.ConsoleFd, c.SeccompFd} {
		if fd <= 0 {
			continue
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return fmt.Errorf("keep fd %d for the process executor: %w", fd, err)
		}
	}
	env := []string{ProcessEnv + "=" + strconv.Itoa(sfd)}
	return fmt.Errorf("exec the process executor: %w", execveat(self, []string{"hutch", "init"}, env))
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
