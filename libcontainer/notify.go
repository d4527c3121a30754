package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// sd_notify proxy (NOTIFY_SOCKET), as runc does it: the container gets a
// socket of its own, bind-mounted from the state directory at
// notifyDirInContainer; `start` listens on it and forwards READY=1 (with
// the container's MAINPID) to the caller's NOTIFY_SOCKET, returning only
// once the container is ready.
const (
	notifyDir            = "notify"
	notifySock           = "notify.sock"
	notifyDirInContainer = "/run/notify"
)

// setupNotify prepares the state side and adds the bind mount and the
// environment variable to the container's spec. The directory is the
// runtime's: 0755, and read-only in the container (which only needs to
// connect to the socket), so nothing in the container can fill it or put a
// symlink where start will bind the socket.
func setupNotify(e *state.Entry, s *specs.Spec) (mountIndex int, err error) {
	d, err := e.Mkdir(notifyDir, 0o755)
	if err != nil {
		return -1, fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	d.Close()
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: notifyDirInContainer, Type: "bind", Source: filepath.Join(e.Dir(), notifyDir),
		Options: []string{"bind", "ro", "nosuid", "noexec", "nodev"},
	})
	s.Process.Env = append(s.Process.Env, "NOTIFY_SOCKET="+filepath.Join(notifyDirInContainer, notifySock))
	return len(s.Mounts) - 1, nil
}

// listenNotify binds the container's notify socket; call before the
// container process can run. The socket is made with mode 0777 at bind
// (the container's user may be any uid), through the directory's
// descriptor: no path is resolved that anyone else could have changed.
func listenNotify(e *state.Entry) (*net.UnixConn, error) {
	dir, err := e.OpenFile(notifyDir, unix.O_RDONLY|unix.O_DIRECTORY)
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	defer unix.Close(dir)
	if err := unix.Unlinkat(dir, notifySock, 0); err != nil && err != unix.ENOENT {
		return nil, fmt.Errorf("NOTIFY_SOCKET: remove %s: %w", filepath.Join(e.Dir(), notifyDir, notifySock), err)
	}
	// The umask is the process's; no other goroutine creates files while
	// start binds.
	old := unix.Umask(0)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: "/proc/self/fd/" + strconv.Itoa(dir) + "/" + notifySock, Net: "unixgram"})
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET: listen on %s: %w", filepath.Join(e.Dir(), notifyDir, notifySock), err)
	}
	return conn, nil
}

// forwardReady waits for READY=1 from the container (while it lives) and
// passes it on to the caller's socket with the container's pid.
func forwardReady(conn *net.UnixConn, hostSocket string, st *state.State) error {
	defer conn.Close()
	buf := make([]byte, 4096)
	for st.Alive() {
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := conn.Read(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("NOTIFY_SOCKET: read: %w", err)
		}
		for _, line := range bytes.Split(buf[:n], []byte("\n")) {
			if string(line) != "READY=1" {
				continue
			}
			out, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: hostSocket, Net: "unixgram"})
			if err != nil {
				return fmt.Errorf("NOTIFY_SOCKET %s: %w", hostSocket, err)
			}
			defer out.Close()
			_, err = out.Write([]byte("READY=1\nMAINPID=" + strconv.Itoa(st.Pid) + "\n"))
			return err
		}
	}
	return nil
}
