package libcontainer

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// PrepareRun makes the caller a child subreaper, so that a container init
// forked into its pid namespace (whose parent exits) is reparented to the
// caller, which can then wait for it.
func PrepareRun() error {
	return unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// Wait forwards signals to the container init until it exits, reaps every
// orphan reparented to us meanwhile, and returns the exit status the way a
// shell reports it (128+N for a signal).
func Wait(st *state.State) int {
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs)
	defer signal.Stop(sigs)
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
		case s := <-sigs:
			sig, ok := s.(unix.Signal)
			// SIGURG is the Go runtime's own preemption signal.
			if !ok || sig == unix.SIGCHLD || sig == unix.SIGURG {
				continue
			}
			unix.Kill(st.Pid, sig)
		}
	}
}
