package userns

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/timerslack"
)

// HoldEnv makes the hutch binary's C constructor wait on stdin and exit:
// the process exists only to own a user namespace (libcontainer/nsenter).
const HoldEnv = "_HUTCH_USERNS_HOLD"

// New returns a handle (/proc/PID/ns/user) on a fresh user namespace with
// the given maps, e.g. for the idmap of a mount. The maps are written like
// a container's: directly, or through newuidmap/newgidmap.
func New(uids, gids []specs.LinuxIDMapping) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	defer w.Close()
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        []string{"hutch-userns"},
		Env:         []string{HoldEnv + "=1"},
		Stdin:       r,
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER},
	}
	if err := timerslack.Start(cmd.Start); err != nil {
		return nil, fmt.Errorf("start user namespace holder: %w", err)
	}
	defer func() {
		w.Close()
		cmd.Wait()
	}()
	if err := WriteMaps(cmd.Process.Pid, uids, gids); err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	ns, err := os.Open("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/ns/user")
	if err != nil {
		cmd.Process.Kill()
		return nil, fmt.Errorf("open user namespace: %w", err)
	}
	return ns, nil
}
