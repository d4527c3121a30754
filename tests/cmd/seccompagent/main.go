// seccompagent is the test suite's seccomp notify agent: it listens on
// SOCKET, receives the container state and the notify fd from hutch
// (linux.seccomp.listenerPath), writes the state JSON to STATEFILE, and
// answers every notified syscall with ERRNO until the container exits.
package main

import (
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

type notif struct {
	id    uint64
	pid   uint32
	flags uint32
	nr    int32
	arch  uint32
	ip    uint64
	args  [6]uint64
}

type notifResp struct {
	id    uint64
	val   int64
	error int32
	flags uint32
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: seccompagent SOCKET READYFILE STATEFILE ERRNO")
		os.Exit(2)
	}
	errno, err := strconv.Atoi(os.Args[4])
	check(err)
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	check(err)
	check(unix.Bind(l, &unix.SockaddrUnix{Name: os.Args[1]}))
	check(unix.Listen(l, 1))
	check(os.WriteFile(os.Args[2], nil, 0o644))
	conn, _, err := unix.Accept(l)
	check(err)
	buf := make([]byte, 64<<10)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(conn, buf, oob, 0)
	check(err)
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	check(err)
	if len(msgs) != 1 {
		check(fmt.Errorf("want one control message, got %d", len(msgs)))
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	check(err)
	check(os.WriteFile(os.Args[3], buf[:n], 0o644))
	fd := fds[0]
	for {
		var req notif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req))); e != 0 {
			if e == unix.EINTR {
				continue
			}
			return // ENOENT/EBADF: the filter's last user is gone
		}
		resp := notifResp{id: req.id, error: -int32(errno)}
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "seccompagent:", err)
		os.Exit(1)
	}
}
