package seccomp

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ConnectListener connects to the seccomp agent at listenerPath. hutch
// connects from the host and hands the connection to the container init,
// which cannot reach host paths once it has pivoted.
func ConnectListener(listenerPath string) (*os.File, error) {
	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp.listenerPath %q: socket: %w", listenerPath, err)
	}
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: listenerPath}); err != nil {
		unix.Close(sock)
		return nil, fmt.Errorf("linux.seccomp.listenerPath %q: connect: %w", listenerPath, err)
	}
	return os.NewFile(uintptr(sock), "seccomp-agent"), nil
}

// ListenerMessage is the data sent with the notify fd, as the
// runtime-spec's "seccomp notify" section describes: the container process
// state JSON, whose fds names the passed fd "seccompFd". Version and Fds
// are filled in; the caller sets pid, state and metadata
// (listenerMetadata).
func ListenerMessage(state *specs.ContainerProcessState) ([]byte, error) {
	st := specs.ContainerProcessState{}
	if state != nil {
		st = *state
	}
	if st.Version == "" {
		st.Version = specs.Version
	}
	st.Fds = []string{specs.SeccompFdName}
	data, err := json.Marshal(&st)
	if err != nil {
		return nil, fmt.Errorf("linux.seccomp.listenerPath: encoding container process state: %w", err)
	}
	return data, nil
}

// ApplyNotify compiles s, a profile with SCMP_ACT_NOTIFY rules, and loads
// it with InstallNotify.
func ApplyNotify(s *specs.LinuxSeccomp, conn int, msg []byte) error {
	f, err := Compile(s)
	if err != nil {
		return err
	}
	return f.InstallNotify(conn, msg)
}

// InstallNotify loads f, a filter with SCMP_ACT_NOTIFY rules, on the calling
// thread (locked to its goroutine) and sends its listener fd, with msg (see
// ListenerMessage), over conn, a connected unix stream socket to the agent.
//
// From the moment the filter is loaded until the fd has reached the agent,
// a syscall the profile notifies waits for an agent that cannot answer yet:
// had this thread made one, the container would hang there for good (runc
// issue 4328: os.NewFile's fcntl(F_GETFL) on the listener, with a profile
// notifying fcntl). So everything is made ready before (the checks, the
// message, the control buffer with a slot for the fd), and that window
// holds two syscalls on this thread, nothing else:
//
//	seccomp(SECCOMP_SET_MODE_FILTER, flags|NEW_LISTENER, prog)  -> fd
//	sendmsg(conn, msg with SCM_RIGHTS [fd])
//
// Both are made raw, so the Go scheduler does not run in between (it may
// make syscalls of its own on the way back from one); the code between
// them writes the fd into its slot and allocates nothing; every signal is
// blocked on the thread meanwhile (rt_sigprocmask before and after), so no
// handler runs there. The profile may not notify sendmsg, nor write, which
// finishes a short send (see notifyForbidden). Other threads may stop in
// a notified syscall meanwhile (with TSYNC, or when this thread starts one);
// nothing here waits for them, and the agent answers them once it has the fd.
//
// Once the message is sent, the listener is closed; a notified close is
// answered by the agent. If the send fails, the filter stays loaded with
// nobody to answer it, and the listener stays open: closing it would be a
// syscall the profile may notify. The error names the step.
func (f *Filter) InstallNotify(conn int, msg []byte) error {
	if !f.Notify {
		return errors.New("seccomp: InstallNotify of a filter without SCMP_ACT_NOTIFY rules")
	}
	if len(msg) == 0 {
		return errors.New("seccomp: the notify fd needs a message to go with it")
	}
	prog, err := f.fprog()
	if err != nil {
		return err
	}
	oob := unix.UnixRights(-1)
	slot := (*int32)(unsafe.Pointer(&oob[unix.CmsgLen(0)]))
	var iov unix.Iovec
	iov.Base = &msg[0]
	iov.SetLen(len(msg))
	var hdr unix.Msghdr
	hdr.Iov = &iov
	hdr.Iovlen = 1
	hdr.Control = &oob[0]
	hdr.SetControllen(len(oob))

	w := handOff(uintptr(f.Flags), prog, &hdr, slot, conn)
	if w.installErrno != 0 {
		return installError(f.Flags, w.installErrno)
	}
	if w.sendErrno != 0 {
		return fmt.Errorf("linux.seccomp.listenerPath: sending the notify fd: %w (the filter is loaded with nobody to answer it: a notified syscall of this process waits until it is killed)", w.sendErrno)
	}
	// The fd went with the first byte; the rest of the state (write is
	// never notified) before anything the agent may have to answer.
	for n := w.sent; n < len(msg); {
		m, err := unix.Write(conn, msg[n:])
		if err != nil {
			return fmt.Errorf("linux.seccomp.listenerPath: sending the container state: %w", err)
		}
		n += m
	}
	unix.Close(w.listener)
	return nil
}

// window is what handOff did.
type window struct {
	listener     int
	sent         int
	installErrno unix.Errno
	sendErrno    unix.Errno
}

// handOff is the window of InstallNotify: raw syscalls only, and no call
// that could grow the stack (RawSyscall and RawSyscall6 are nosplit all the
// way down) or allocate. Its own stack check is at entry, before the window.
//
//go:noinline
func handOff(flags uintptr, prog *unix.SockFprog, hdr *unix.Msghdr, slot *int32, conn int) (w window) {
	all, old := ^uint64(0), uint64(0)
	// The kernel's sigset is 8 bytes on every architecture Go supports.
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(prog)))
	if errno != 0 {
		w.installErrno = errno
	} else {
		w.listener = int(r)
		*slot = int32(r)
		for {
			n, _, errno := unix.RawSyscall(unix.SYS_SENDMSG, uintptr(conn), uintptr(unsafe.Pointer(hdr)), unix.MSG_NOSIGNAL)
			if errno == unix.EINTR {
				continue
			}
			w.sent, w.sendErrno = int(n), errno
			break
		}
	}
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
	return w
}
