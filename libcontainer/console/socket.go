package console

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxNameLen bounds the pty name in a console-socket message. Receivers
// (go-runc, conmon) read one message into a buffer of about this size.
const maxNameLen = 4096

// SendMaster sends master over the connected console socket as one message:
// the pty name as payload and the fd as a single SCM_RIGHTS control message,
// which is what go-runc's and conmon's receivers read.
func SendMaster(sock *os.File, master *os.File) error {
	if sock == nil || master == nil {
		return errors.New("console socket: nil socket or master")
	}
	name := []byte(master.Name())
	if len(name) == 0 || len(name) > maxNameLen {
		name = []byte(ptmxPath)
	}
	if err := SendFile(sock, name, master); err != nil {
		return fmt.Errorf("console socket: send pty master: %w", err)
	}
	return nil
}

// SendFile sends f over the connected unix socket sock as one message: name
// as payload, the fd as a single SCM_RIGHTS control message (the console
// socket's and the pidfd socket's format).
func SendFile(sock *os.File, name []byte, f *os.File) error {
	fconn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	sconn, err := sock.SyscallConn()
	if err != nil {
		return err
	}
	var sendErr error
	ctlErr := fconn.Control(func(ffd uintptr) {
		oob := unix.UnixRights(int(ffd))
		werr := sconn.Write(func(sfd uintptr) bool {
			var n int
			// Retry EINTR here: returning false on a blocking (non-pollable)
			// fd would make the runtime fail instead of waiting.
			sendErr = retryEINTR(func() (err error) {
				n, err = unix.SendmsgN(int(sfd), name, oob, nil, unix.MSG_NOSIGNAL)
				return err
			})
			if sendErr == nil && n != len(name) {
				sendErr = fmt.Errorf("short write: %d of %d bytes", n, len(name))
			}
			return !errors.Is(sendErr, unix.EAGAIN)
		})
		if sendErr == nil {
			sendErr = werr
		}
	})
	if ctlErr != nil {
		return ctlErr
	}
	return sendErr
}

// Connect dials the engine's console socket. The returned file is blocking
// and close-on-exec, ready to be handed to the container init as an extra fd.
func Connect(path string) (*os.File, error) {
	return ConnectFlag("--console-socket", path)
}

// ConnectFlag dials the unix socket at path, given by flag (named in errors).
func ConnectFlag(flag, path string) (*os.File, error) {
	if path == "" {
		return nil, fmt.Errorf("%s: empty path", flag)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%s %q: socket: %w", flag, path, err)
	}
	if err := connectPath(fd, path); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("%s %q: connect: %w", flag, path, err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// connectPath connects fd to the socket at path. sun_path holds only 107
// bytes, so longer paths go through an O_PATH fd and its /proc/self/fd link.
func connectPath(fd int, path string) error {
	const sunPathMax = 107
	if len(path) <= sunPathMax {
		return retryEINTR(func() error { return unix.Connect(fd, &unix.SockaddrUnix{Name: path}) })
	}
	pfd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(pfd)
	via := "/proc/self/fd/" + strconv.Itoa(pfd)
	return retryEINTR(func() error { return unix.Connect(fd, &unix.SockaddrUnix{Name: via}) })
}

func retryEINTR(f func() error) error {
	for {
		if err := f(); !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// RecvMaster accepts one connection on listener and receives the pty master
// sent by SendMaster. It is the engine side, used by tests.
func RecvMaster(listener *net.UnixListener) (*os.File, error) {
	if listener == nil {
		return nil, errors.New("console socket: nil listener")
	}
	conn, err := listener.AcceptUnix()
	if err != nil {
		return nil, fmt.Errorf("console socket: accept: %w", err)
	}
	defer conn.Close()
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("console socket: %w", err)
	}
	return recvFd(rc)
}

// errNoMaster: the peer closed the console socket without sending.
var errNoMaster = errors.New("console socket: peer closed without sending a pty master")

// recvFd reads one message carrying exactly one fd from rc.
func recvFd(rc syscall.RawConn) (*os.File, error) {
	name := make([]byte, maxNameLen)
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn, flags int
	var rerr error
	err := rc.Read(func(fd uintptr) bool {
		rerr = retryEINTR(func() (err error) {
			n, oobn, flags, _, err = unix.Recvmsg(int(fd), name, oob, unix.MSG_CMSG_CLOEXEC)
			return err
		})
		return !errors.Is(rerr, unix.EAGAIN)
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return nil, fmt.Errorf("console socket: recvmsg: %w", err)
	}
	fds, perr := parseRights(oob[:oobn])
	if perr == nil && flags&unix.MSG_CTRUNC != 0 {
		perr = errors.New("control message truncated (more than one fd sent?)")
	}
	if perr == nil && len(fds) != 1 {
		perr = fmt.Errorf("expected 1 fd, got %d", len(fds))
	}
	if perr != nil {
		for _, fd := range fds {
			unix.Close(fd)
		}
		if n == 0 && oobn == 0 {
			return nil, errNoMaster
		}
		return nil, fmt.Errorf("console socket: %w", perr)
	}
	return os.NewFile(uintptr(fds[0]), string(name[:n])), nil
}

// parseRights collects the fds of every SCM_RIGHTS message in oob.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("parse control message: %w", err)
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			return fds, fmt.Errorf("parse SCM_RIGHTS: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}
