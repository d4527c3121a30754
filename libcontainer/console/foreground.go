package console

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Foreground is the caller's side of a terminal for `hutch run` and
// `hutch exec -t` without --console-socket: hutch plays the engine. The
// container init gets one end of a socket pair as its console socket and
// sends the pty master there, as it would to an engine; hutch connects the
// master to its own stdin and stdout, in raw mode when stdin is a terminal,
// and passes on the caller's window size changes (Resize).
type Foreground struct {
	peer, local *os.File
	master      *os.File
	in, out     *os.File
	saved       *unix.Termios // stdin's modes before raw mode
	outDone     chan struct{}
	exited      chan struct{}
	once        sync.Once
}

// NewForeground prepares the socket pair; hand Peer to the container init.
func NewForeground() (*Foreground, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, &os.SyscallError{Syscall: "socketpair", Err: err}
	}
	return &Foreground{
		peer: os.NewFile(uintptr(fds[0]), "console-socket"), local: os.NewFile(uintptr(fds[1]), "console-socket"),
		in: os.Stdin, out: os.Stdout, outDone: make(chan struct{}), exited: make(chan struct{}),
	}, nil
}

// Peer is the console socket connection for the container init.
func (f *Foreground) Peer() *os.File { return f.peer }

// Size is the caller's terminal size (stdin's, else stdout's), for a
// process whose config sets no consoleSize; nil without a terminal.
func (f *Foreground) Size() *specs.Box {
	for _, t := range []*os.File{f.in, f.out} {
		if ws, err := unix.IoctlGetWinsize(int(t.Fd()), unix.TIOCGWINSZ); err == nil && ws.Row > 0 && ws.Col > 0 {
			return &specs.Box{Height: uint(ws.Row), Width: uint(ws.Col)}
		}
	}
	return nil
}

// Attach receives the pty master (sent while the container was set up),
// puts the caller's terminal in raw mode and starts copying both ways.
// Without a terminal in the container's process nothing was sent: it
// reports false and does nothing. Call Close on every way out, and Resize
// on SIGWINCH.
func (f *Foreground) Attach() (bool, error) {
	f.peer.Close() // the init has its copy if it has a terminal
	rc, err := f.local.SyscallConn()
	if err != nil {
		return false, err
	}
	master, err := recvFd(rc)
	f.local.Close()
	if errors.Is(err, errNoMaster) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	// A non-blocking copy, so that reads go through the poller and can
	// time out when draining at the end (os.NewFile of a blocking fd
	// would not).
	fd, err := unix.FcntlInt(master.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	master.Close()
	if err != nil {
		return false, &os.SyscallError{Syscall: "fcntl", Err: err}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return false, err
	}
	// The container's newlines stay "\n", as runc leaves them (it clears
	// ONLCR too): a script reading `hutch run` through a pipe gets the
	// lines it would get without a terminal, and a terminal of the
	// caller's adds the carriage return itself.
	if t, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
		t.Oflag &^= unix.ONLCR
		unix.IoctlSetTermios(fd, unix.TCSETS, t)
	}
	f.master = os.NewFile(uintptr(fd), master.Name())
	if t, err := unix.IoctlGetTermios(int(f.in.Fd()), unix.TCGETS); err == nil {
		saved := *t
		raw := *t
		// cfmakeraw, but output processing stays on (as runc's console
		// leaves it): the container's bare "\n" gets its "\r" here.
		raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		raw.Oflag |= unix.OPOST
		raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		raw.Cflag &^= unix.CSIZE | unix.PARENB
		raw.Cflag |= unix.CS8
		raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
		if err := unix.IoctlSetTermios(int(f.in.Fd()), unix.TCSETS, &raw); err == nil {
			f.saved = &saved
		}
	}
	go f.copyIn()
	go f.copyOut()
	return true, nil
}

// Resize gives the pty the caller's terminal size (on SIGWINCH).
func (f *Foreground) Resize() {
	if s := f.Size(); s != nil && f.master != nil {
		f.onMaster(func(fd int) {
			unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: uint16(s.Height), Col: uint16(s.Width)})
		})
	}
}

// copyIn copies the caller's input to the pty. At its end (a pipe or file
// given as stdin), the terminal's end-of-file character follows, so that a
// program reading a line-mode terminal sees the end as it would in a shell.
func (f *Foreground) copyIn() {
	io.Copy(f.master, f.in)
	select {
	case <-f.exited:
		return
	default:
	}
	eof := byte(4)
	f.onMaster(func(fd int) {
		if t, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil && t.Cc[unix.VEOF] != 0 {
			eof = t.Cc[unix.VEOF]
		}
	})
	f.master.Write([]byte{eof})
}

// onMaster runs do with the master's fd (File.Fd would make it blocking).
func (f *Foreground) onMaster(do func(fd int)) {
	if rc, err := f.master.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { do(int(fd)) })
	}
}

// copyOut copies the pty's output until the last process holding the
// terminal closed it (EIO), or, after the container process exited, until
// nothing more comes for a moment (a process left in the background may
// keep the terminal open).
func (f *Foreground) copyOut() {
	defer close(f.outDone)
	buf := make([]byte, 32<<10)
	for {
		n, err := f.master.Read(buf)
		if n > 0 {
			if _, werr := f.out.Write(buf[:n]); werr != nil {
				return
			}
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return
		}
		if err != nil {
			return // EIO: every slave fd is closed
		}
		select {
		case <-f.exited:
			f.master.SetReadDeadline(time.Now().Add(drainIdle))
		default:
		}
	}
}

// drainIdle is how long output may pause after the process exited before
// the copy ends.
const drainIdle = 100 * time.Millisecond

// Close ends the session: the output written before the process exited is
// copied out, and the caller's terminal gets its modes back.
func (f *Foreground) Close() {
	f.once.Do(func() {
		close(f.exited)
		if f.master != nil {
			f.master.SetReadDeadline(time.Now().Add(drainIdle))
			<-f.outDone
		}
		f.Restore()
		f.peer.Close()
		f.local.Close()
	})
}

// Restore gives the caller's terminal its modes back (idempotent).
func (f *Foreground) Restore() {
	if f.saved != nil {
		unix.IoctlSetTermios(int(f.in.Fd()), unix.TCSETS, f.saved)
	}
}
