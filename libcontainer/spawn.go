package libcontainer

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"github.com/sirupsen/logrus"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/exeseal"
	"github.com/hutch-runtime/hutch/libcontainer/timerslack"
)

// initSockEnv names the init socket's fd for the C constructor
// (libcontainer/nsenter), which carries out the whole init: the
// namespaces, then the process plan. No Go runtime starts in it.
const initSockEnv = "_HUTCH_INITPIPE"

// initFiles is the one place that hands out the fd numbers of the files
// an init gets: stdio, the caller's --preserve-fds (keeping their numbers
// 3..3+N-1), the init socket, then each added file in order.
type initFiles struct {
	preserve int
	files    []*os.File
}

// add appends f and returns its fd number in the init.
func (l *initFiles) add(f *os.File) int {
	l.files = append(l.files, f)
	return l.sock() + len(l.files)
}

// sock is the init socket's fd number in the init.
func (l *initFiles) sock() int { return 3 + l.preserve }

// spawnInit starts `hutch init` from the sealed binary (CVE-2019-5736) with
// the caller's stdio and the files of fl (see initFiles). With a
// cgroupDir (a cgroup2 directory) the child is created inside it
// (CLONE_INTO_CGROUP), which spares the kernel a migration; inCgroup says
// whether that worked. It returns the parent's end of the init socket.
func spawnInit(fl *initFiles, cgroupDir string) (cmd *initCmd, sock *os.File, inCgroup bool, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, false, fmt.Errorf("socketpair: %w", err)
	}
	parentSock := os.NewFile(uintptr(fds[0]), "init-parent")
	childSock := os.NewFile(uintptr(fds[1]), "init-child")
	defer childSock.Close()

	exe, err := exeseal.Open()
	if err != nil {
		parentSock.Close()
		return nil, nil, false, fmt.Errorf("protect hutch binary: %w", err)
	}
	defer exe.Close()

	files := make([]uintptr, 0, fl.sock()+1+len(fl.files))
	for i := 0; i < fl.sock(); i++ {
		files = append(files, uintptr(i)) // stdio and the preserved fds
	}
	files = append(files, childSock.Fd())
	for _, f := range fl.files {
		files = append(files, f.Fd())
	}
	newCmd := func() *initCmd {
		return &initCmd{
			path: "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())),
			attr: syscall.ProcAttr{
				Env:   []string{initSockEnv + "=" + strconv.Itoa(fl.sock())},
				Files: files,
				Sys:   &syscall.SysProcAttr{},
			},
		}
	}

	if cgroupDir != "" {
		dir, err := unix.Open(cgroupDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			cmd = newCmd()
			cmd.attr.Sys = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: dir}
			err = cmd.Start()
			unix.Close(dir)
			if err == nil {
				return cmd, parentSock, true, nil
			}
		}
		// Older kernels, or a cgroup that refuses direct entry: the
		// caller moves the process in instead.
		logrus.Debugf("start init in %s: %v; joining after start", cgroupDir, err)
	}
	cmd = newCmd()
	if err := cmd.Start(); err != nil {
		parentSock.Close()
		return nil, nil, false, fmt.Errorf("start container init: %w", err)
	}
	return cmd, parentSock, false, nil
}

// initCmd starts the init with syscall.ForkExec: os/exec (os.StartProcess)
// first probes pidfd support once per process, which on Linux forks a
// throw-away child (clone(CLONE_PIDFD)): one process creation more per
// create or exec that buys hutch nothing. The names follow exec.Cmd.
type initCmd struct {
	path string
	attr syscall.ProcAttr

	Process      *initProcess
	ProcessState *unix.WaitStatus // set once waited for
}

type initProcess struct{ Pid int }

// Kill sends SIGKILL to the started process.
func (p *initProcess) Kill() error { return unix.Kill(p.Pid, unix.SIGKILL) }

// Release gives up the process (nothing is held for it here).
func (p *initProcess) Release() error { return nil }

// Start starts the process; the fds of attr.Files become its 0..n-1.
func (c *initCmd) Start() error {
	var pid int
	err := timerslack.Start(func() (err error) {
		pid, err = syscall.ForkExec(c.path, []string{"hutch", "init"}, &c.attr)
		return err
	})
	if err != nil {
		return &os.PathError{Op: "fork/exec", Path: c.path, Err: err}
	}
	c.Process = &initProcess{Pid: pid}
	return nil
}

// Wait reaps the process and, like exec.Cmd, returns an error naming the
// exit status or signal unless it exited 0.
func (c *initCmd) Wait() error {
	if c.ProcessState != nil {
		return fmt.Errorf("wait: init %d already waited for", c.Process.Pid)
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(c.Process.Pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("wait for init %d: %w", c.Process.Pid, err)
		}
		break
	}
	c.ProcessState = &ws
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Exited():
		return fmt.Errorf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return fmt.Errorf("signal: %v", ws.Signal())
	}
	return fmt.Errorf("wait status %#x", uint32(ws))
}
