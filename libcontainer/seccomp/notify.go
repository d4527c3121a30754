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

	sock, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %q: socket: %w", listenerPath, err)
	}
	defer unix.Close(sock)
	if err := unix.Connect(sock, &unix.SockaddrUnix{Name: listenerPath}); err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %q: connect: %w", listenerPath, err)
	}
	oob := unix.UnixRights(int(listener.Fd()))
	n, err := unix.SendmsgN(sock, data, oob, nil, 0)
	if err != nil {
		return fmt.Errorf("linux.seccomp.listenerPath %q: sending state and notify fd: %w", listenerPath, err)
	}
	// The fd went with the first byte; finish the JSON if the send was short.
	for n < len(data) {
		m, err := unix.Write(sock, data[n:])
		if err != nil {
			return fmt.Errorf("linux.seccomp.listenerPath %q: sending state: %w", listenerPath, err)
		}
		n += m
	}
	return nil
}
