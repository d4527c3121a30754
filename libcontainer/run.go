package libcontainer

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/sigcatch"
	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// PrepareRun makes the caller a child subreaper, as runc does unless told
// --no-subreaper: the processes a container without a pid namespace
// orphans are reparented to the caller, which reaps them. The container
// init is the caller's child either way (the constructor forks it into
// its pid namespace with CLONE_PARENT).
func PrepareRun() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// SignalForwarder catches the signals that Wait forwards to the container.
// Like runc, hutch catches them before the container process starts, so a
// signal that arrives meanwhile is queued for the container instead of
// ending hutch and leaving a created container behind. They are caught
// with libcontainer/sigcatch, not os/signal, whose enabling of 50 signals
// cost a run more CPU than any step of its own.
type SignalForwarder struct {
	sigs   <-chan unix.Signal
	resize func()
}

// ForwardSignals starts catching the forwarded signals. They stay caught:
// the caller exits or deletes the container right after Wait.
func ForwardSignals() (*SignalForwarder, error) {
	sigs, err := sigcatch.Catch(forwardedSignals())
	if err != nil {
		return nil, fmt.Errorf("catch the signals to forward: %w", err)
	}
	return &SignalForwarder{sigs: sigs}, nil
}

// OnResize makes Wait call resize for SIGWINCH instead of forwarding it:
// with a foreground terminal, the new size goes to the pty, whose kernel
// side signals the container's foreground process group.
func (f *SignalForwarder) OnResize(resize func()) { f.resize = resize }

// Wait forwards signals to the container init until it exits, reaps every
// orphan reparented to us meanwhile, and returns the exit status the way a
// shell reports it (128+N for a signal).
func (f *SignalForwarder) Wait(st *state.State) int {
	sigs := f.sigs
	done := make(chan int, 1)
	go func() {
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, 0, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				done <- 255
				return
			}
			if pid != st.Pid {
				continue
			}
			switch {
			case ws.Exited():
				done <- ws.ExitStatus()
			case ws.Signaled():
				done <- 128 + int(ws.Signal())
			default:
				continue
			}
			return
		}
	}()
	for {
		select {
		case code := <-done:
			return code
		case sig := <-sigs:
			if sig == unix.SIGWINCH && f.resize != nil {
				f.resize()
				continue
			}
			unix.Kill(st.Pid, sig)
		}
	}
}

// forwardedSignals is every signal someone may send to the waiting hutch
// for the container, as runc forwards them: all of them except those that
// cannot be caught (KILL, STOP), that report on hutch itself (CHLD, PIPE,
// PROF, and the synchronous faults SEGV, BUS, FPE, ILL, TRAP, SYS), SIGURG
// (the Go runtime's preemption signal) and 32-33 (reserved by the C
// library's threads).
func forwardedSignals() []unix.Signal {
	skip := map[unix.Signal]bool{
		unix.SIGKILL: true, unix.SIGSTOP: true, unix.SIGCHLD: true, unix.SIGPIPE: true,
		unix.SIGPROF: true, unix.SIGSEGV: true, unix.SIGBUS: true, unix.SIGFPE: true,
		unix.SIGILL: true, unix.SIGTRAP: true, unix.SIGSYS: true, unix.SIGURG: true,
		32: true, 33: true,
	}
	out := make([]unix.Signal, 0, 50)
	for s := unix.Signal(1); s <= 64; s++ {
		if !skip[s] {
			out = append(out, s)
		}
	}
	return out
}
