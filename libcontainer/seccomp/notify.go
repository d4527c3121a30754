package seccomp

import (
	"encoding/json"
	"fmt"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// SendListener connects to the unix socket at listenerPath and sends, in
// one message, the container process state JSON as data and the notify fd
// as SCM_RIGHTS, as the runtime-spec's "seccomp notify" section describes:
// state.fds names the passed fd "seccompFd". Version and Fds are filled in
// when empty; the caller sets pid, state and metadata (listenerMetadata).
func SendListener(listenerPath string, listener *os.File, state *specs.ContainerProcessState) error {
	if listener == nil {
		return fmt.Errorf("linux.seccomp.listenerPath %q: no notify fd to send", listenerPath)
	}
	sock, err := ConnectListener(listenerPath)
	if err != nil {
		return err
	}
	defer sock.Close()
	if err := SendListenerConn(sock, listener, state); err != nil {
		return fmt.Errorf("%q: %w", listenerPath, err)
	}
	return nil
}

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

// SendListenerConn sends the state and the notify fd over a connected
// socket (see SendListener).
func SendListenerConn(conn *os.File, listener *os.File, state *specs.ContainerProcessState) error {
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
		return fmt.Errorf("linux.seccomp.listenerPath: encoding container process state: %w", err)
	}
	sock := int(conn.Fd())
	n, err := unix.SendmsgN(sock, data, unix.UnixRights(int(listener.Fd())), nil, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath: sending state and notify fd: %w", err)
	}
	// The fd went with the first byte; finish the JSON if the send was short.
	for n < len(data) {
		m, err := unix.Write(sock, data[n:])
		if err != nil {
			return fmt.Errorf("linux.seccomp.listenerPath: sending state: %w", err)
		}
		n += m
	}
	return nil
}
