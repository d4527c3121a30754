package console

import (
	"errors"
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SetupSlave makes slave the stdin, stdout and stderr of the calling process
// and its controlling terminal, then applies size (process.consoleSize) if
// given. The caller must already be a session leader (setsid). slave's own
// fd keeps its close-on-exec flag; only 0-2 survive execve.
func SetupSlave(slave *os.File, size *specs.Box) error {
	if slave == nil {
		return errors.New("console: nil pty slave")
	}
	var ws *unix.Winsize
	if size != nil {
		if size.Height > math.MaxUint16 || size.Width > math.MaxUint16 {
			return fmt.Errorf("process.consoleSize: %dx%d exceeds %d", size.Height, size.Width, math.MaxUint16)
		}
		ws = &unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)}
	}
	rc, err := slave.SyscallConn()
	if err != nil {
		return fmt.Errorf("console: pty slave %s: %w", slave.Name(), err)
	}
	var setupErr error
	if err := rc.Control(func(fd uintptr) { setupErr = setupFd(int(fd), slave.Name(), ws) }); err != nil {
		return fmt.Errorf("console: pty slave %s: %w", slave.Name(), err)
	}
	return setupErr
}

func setupFd(fd int, name string, ws *unix.Winsize) error {
	// Size first: the process may read it as soon as it owns the terminal.
	if ws != nil {
		if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws); err != nil {
			return fmt.Errorf("process.consoleSize: TIOCSWINSZ on %s: %w", name, err)
		}
	}
	// arg 0: do not steal a terminal that is another session's ctty.
	if err := unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0); err != nil {
		return fmt.Errorf("console: make %s the controlling terminal (TIOCSCTTY): %w", name, err)
	}
	for target := 0; target <= 2; target++ {
		if fd == target {
			// dup3 onto itself is EINVAL; just make it survive execve.
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
				return fmt.Errorf("console: clear FD_CLOEXEC on %s: %w", name, err)
			}
			continue
		}
		if err := retryEINTR(func() error { return unix.Dup3(fd, target, 0) }); err != nil {
			return fmt.Errorf("console: dup %s onto fd %d: %w", name, target, err)
		}
	}
	return nil
}
