package libcontainer

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/sirupsen/logrus"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/exeseal"
	"github.com/hutch-runtime/hutch/libcontainer/initproc"
)

// spawnInit starts `hutch init` from the sealed binary (CVE-2019-5736) with
// the caller's stdio. The child gets, from fd 3 on: the preserveFds fds of
// the caller (keeping their numbers), the init socket, then extra. With a
// cgroupDir (a cgroup2 directory) the child is created inside it
// (CLONE_INTO_CGROUP), which spares the kernel a migration; inCgroup says
// whether that worked. It returns the parent's end of the init socket.
func spawnInit(preserveFds int, cgroupDir string, extra ...*os.File) (cmd *exec.Cmd, sock *os.File, inCgroup bool, err error) {
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

	files := make([]*os.File, 0, preserveFds+1+len(extra))
	for i := 0; i < preserveFds; i++ {
		files = append(files, os.NewFile(uintptr(3+i), "preserved"))
	}
	files = append(files, childSock)
	files = append(files, extra...)
	newCmd := func() *exec.Cmd {
		return &exec.Cmd{
			Path:       "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())),
			Args:       []string{"hutch", "init"},
			Env:        []string{initproc.SyncEnv + "=" + strconv.Itoa(3+preserveFds)},
			Stdin:      os.Stdin,
			Stdout:     os.Stdout,
			Stderr:     os.Stderr,
			ExtraFiles: files,
		}
	}

	if cgroupDir != "" {
		dir, err := unix.Open(cgroupDir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == nil {
			cmd = newCmd()
			cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: dir}
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
