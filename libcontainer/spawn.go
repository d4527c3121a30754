package libcontainer

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/exeseal"
	"github.com/hutch-runtime/hutch/libcontainer/initproc"
)

// spawnInit starts `hutch init` from the sealed binary (CVE-2019-5736) with
// the caller's stdio. The child gets, from fd 3 on: the preserveFds fds of
// the caller (keeping their numbers), the init socket, then extra. It
// returns the parent's end of the init socket.
func spawnInit(preserveFds int, extra ...*os.File) (*exec.Cmd, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	parentSock := os.NewFile(uintptr(fds[0]), "init-parent")
	childSock := os.NewFile(uintptr(fds[1]), "init-child")
	defer childSock.Close()

	exe, err := exeseal.Open()
	if err != nil {
		parentSock.Close()
		return nil, nil, fmt.Errorf("protect hutch binary: %w", err)
	}
	defer exe.Close()

	cmd := &exec.Cmd{
		Path:   "/proc/self/fd/" + strconv.Itoa(int(exe.Fd())),
		Args:   []string{"hutch", "init"},
		Env:    []string{initproc.SyncEnv + "=" + strconv.Itoa(3+preserveFds)},
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}
	for i := 0; i < preserveFds; i++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(3+i), "preserved"))
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, childSock)
	cmd.ExtraFiles = append(cmd.ExtraFiles, extra...)
	if err := cmd.Start(); err != nil {
		parentSock.Close()
		return nil, nil, fmt.Errorf("start container init: %w", err)
	}
	return cmd, parentSock, nil
}
