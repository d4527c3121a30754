// seccompagent is the test suite's seccomp notify agent: it listens on
// SOCKET, receives the container state and the notify fd from hutch
// (linux.seccomp.listenerPath), writes the state JSON to STATEFILE, and
// answers every notified syscall until the container exits: with ERRNO,
// or, with -continue, by letting the syscall run (as runc's test agent
// does, so a profile may notify what the container init itself needs).
package main

import (
	"flag"
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
	cont := flag.Bool("continue", false, "answer SECCOMP_USER_NOTIF_FLAG_CONTINUE instead of an errno")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: seccompagent SOCKET READYFILE STATEFILE ERRNO\n       seccompagent -continue SOCKET READYFILE STATEFILE")
	}
	flag.Parse()
	args := flag.Args()
	if (*cont && len(args) != 3) || (!*cont && len(args) != 4) {
		flag.Usage()
		os.Exit(2)
	}
	var resp notifResp
	if *cont {
		resp.flags = unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE
	} else {
		errno, err := strconv.Atoi(args[3])
		check(err)
		resp.error = -int32(errno)
	}
	l, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	check(err)
	check(unix.Bind(l, &unix.SockaddrUnix{Name: args[0]}))
	check(unix.Listen(l, 1))
	check(os.WriteFile(args[1], nil, 0o644))
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
	check(os.WriteFile(args[2], buf[:n], 0o644))
	fd := fds[0]
	for {
		var req notif
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&req))); e != 0 {
			if e == unix.EINTR {
				continue
			}
			return // ENOENT/EBADF: the filter's last user is gone
		}
		r := resp
		r.id = req.id
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "seccompagent:", err)
		os.Exit(1)
	}
}
