package libcontainer

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/console"
)

// pidfdSocket is the caller's --pidfd-socket, dialled before anything is
// made so that a wrong path fails early.
type pidfdSocket struct{ sock *os.File }

func dialPidfdSocket(path string) (*pidfdSocket, error) {
	if path == "" {
		return nil, nil
	}
	sock, err := console.ConnectFlag("--pidfd-socket", path)
	if err != nil {
		return nil, err
	}
	return &pidfdSocket{sock: sock}, nil
}

// send hands a pidfd of pid to the caller (one message, "pidfd" as payload
// and the fd as SCM_RIGHTS, the console socket's format): the engine can
// then wait for and signal that process without pid reuse races.
func (p *pidfdSocket) send(pid int) error {
	if p == nil {
		return nil
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("--pidfd-socket: pidfd_open %d: %w", pid, err)
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	if err := console.SendFile(p.sock, []byte("pidfd"), f); err != nil {
		return fmt.Errorf("--pidfd-socket: send: %w", err)
	}
	return nil
}

func (p *pidfdSocket) Close() {
	if p != nil {
		p.sock.Close()
	}
}
