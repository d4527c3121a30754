package libcontainer

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

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
// environment variable to the container's spec.
func setupNotify(dir string, s *specs.Spec) error {
	d := filepath.Join(dir, notifyDir)
	if err := os.Mkdir(d, 0o777); err != nil {
		return fmt.Errorf("NOTIFY_SOCKET: %w", err)
	}
	// The container's root may be an unprivileged host uid.
	if err := os.Chmod(d, 0o777); err != nil {
		return err
	}
	s.Mounts = append(s.Mounts, specs.Mount{
		Destination: notifyDirInContainer, Type: "bind", Source: d,
		Options: []string{"bind", "nosuid", "noexec", "nodev"},
	})
	s.Process.Env = append(s.Process.Env, "NOTIFY_SOCKET="+filepath.Join(notifyDirInContainer, notifySock))
	return nil
}

// listenNotify binds the container's notify socket; call before the
// container process can run.
func listenNotify(store state.Store, id string) (*net.UnixConn, error) {
	path := filepath.Join(store.Dir(id), notifyDir, notifySock)
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, fmt.Errorf("NOTIFY_SOCKET: listen on %s: %w", path, err)
	}
	os.Chmod(path, 0o777)
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
