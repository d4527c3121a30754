// Package timerslack gives the Go runtime's threads in a hutch command a
// coarse timer slack (prctl PR_SET_TIMERSLACK), and every process the
// command starts the caller's slack back.
//
// Why: the runtime's monitor thread (sysmon) sleeps 20 us at a time while a
// goroutine is in a blocking syscall, and starts over each time it takes
// the goroutine's P away: a create or run, which waits on its init most of
// its life, woke it a hundred times or more, each a context switch and a
// timer. The slack lets the kernel defer those wake-ups by up to
// RuntimeSlack. Measured with bench's bt, medians: 60 interleaved runs of
// `run /bin/true`, CPU 24.7 ms without, 23.0 with (crun 22.3); 50
// lifecycles, create's CPU 17.3 and 15.8 ms, and create, start and delete
// 42.8 and 38.8. The size: with the slack set for a whole run (hutch, its
// init and /bin/true) by a wrapper, its CPU was 24.2 ms with the default
// 50 us, 22.6 with 1 ms, 22.8 with 2 ms, 22.1 with 5 ms. 2 ms keeps
// hutch's own polling loops (5 to 20 ms between looks) close to what they
// ask for.
//
// How: the slack is per thread, inherited by new threads and by children,
// and kept across execve. sysmon is the runtime's first thread, made
// before any Go code runs, so a C constructor sets the slack on the main
// thread and every later thread inherits it. A child must not: the
// container's processes, hooks, CRIU and the id-map helpers keep the slack
// of whoever ran hutch. So every child is started through Start (or Run,
// CombinedOutput, which use it).
//
// The constructor runs after nsenter's, which never returns in a container
// process: a container init never takes the coarse slack.
package timerslack

// #include "timerslack.h"
import "C"

import (
	"bytes"
	"os/exec"
	"runtime"

	"golang.org/x/sys/unix"
)

// RuntimeSlack is the slack of the runtime's threads, in ns.
const RuntimeSlack = C.RUNTIME_SLACK

// Caller returns the slack of the process that ran hutch, or 0 when the
// constructor left this process's slack alone (it was RuntimeSlack or more,
// or prctl failed).
func Caller() uint64 { return uint64(C.timerslack_caller) }

// Start calls start, which must start one child process and return, on a
// thread whose slack is the caller's, so that the child inherits that and
// not the runtime's. Go forks from the calling thread.
func Start(start func() error) error {
	caller := Caller()
	if caller == 0 {
		return start()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, uintptr(caller), 0, 0, 0); err != nil {
		return start() // the child gets the runtime's slack; nothing else changes
	}
	defer unix.Prctl(unix.PR_SET_TIMERSLACK, RuntimeSlack, 0, 0, 0)
	return start()
}

// Run is cmd.Run with the child started through Start.
func Run(cmd *exec.Cmd) error {
	if err := Start(cmd.Start); err != nil {
		return err
	}
	return cmd.Wait()
}

// CombinedOutput is cmd.CombinedOutput with the child started through Start.
func CombinedOutput(cmd *exec.Cmd) ([]byte, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := Run(cmd)
	return out.Bytes(), err
}
