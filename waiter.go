package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
	"github.com/hutch-runtime/hutch/libcontainer/console"
	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// waiter is what run and restore (without --detach) do for the container
// they wait for: a terminal without a console socket is theirs to serve
// on the caller's stdio (as with runc), they become a subreaper (unless
// --no-subreaper), and they forward signals to it.
type waiter struct {
	fg *console.Foreground
	fw *libcontainer.SignalForwarder
}

// newWaiter sets it up before the container is made, so that a signal that
// arrives meanwhile is queued for the container instead of ending hutch.
// foreground: no console socket, so a terminal would be served here. Call
// close on every way out.
func newWaiter(ctx *cli.Context, foreground bool) (*waiter, error) {
	w := &waiter{}
	if foreground {
		fg, err := console.NewForeground()
		if err != nil {
			return nil, err
		}
		w.fg = fg
	}
	if !ctx.Bool("no-subreaper") {
		if err := libcontainer.PrepareRun(); err != nil {
			w.close()
			return nil, err
		}
	}
	fw, err := libcontainer.ForwardSignals()
	if err != nil {
		w.close()
		return nil, err
	}
	w.fw = fw
	return w, nil
}

// console is the socket the container's pty master is sent to (nil
// without a foreground terminal).
func (w *waiter) console() *os.File {
	if w.fg == nil {
		return nil
	}
	return w.fg.Peer()
}

// attach serves the container's terminal, if it has one, once it is made;
// on failure the container is deleted.
func (w *waiter) attach(store state.Store, id string) error {
	if w.fg == nil {
		return nil
	}
	attached, err := w.fg.Attach()
	if err != nil {
		libcontainer.Delete(store, id, true)
		return fmt.Errorf("process.terminal: %w", err)
	}
	if attached {
		w.fw.OnResize(w.fg.Resize)
	}
	return nil
}

// wait waits for the container's process, deletes the container unless
// keep, and returns its exit status as hutch's.
func (w *waiter) wait(store state.Store, id string, st *state.State, keep bool) error {
	code := w.fw.Wait(st)
	w.close() // the output, then the caller's terminal modes
	if !keep {
		if err := libcontainer.Delete(store, id, true); err != nil {
			return err
		}
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}

func (w *waiter) close() {
	if w.fg != nil {
		w.fg.Close()
	}
}
