package sigcatch

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestCatchRelaysInOrderAndKeepsTheProcess sends the test process signals
// whose default action would end it (TERM, USR1) or that Go would handle
// itself (HUP ends a Go program too): caught, they arrive on the channel
// in order, and the test lives on.
func TestCatchRelaysInOrderAndKeepsTheProcess(t *testing.T) {
	sigs, err := Catch([]unix.Signal{unix.SIGTERM, unix.SIGUSR1, unix.SIGHUP, unix.Signal(40)})
	if err != nil {
		t.Fatal(err)
	}
	want := []unix.Signal{unix.SIGTERM, unix.SIGUSR1, unix.SIGHUP, unix.Signal(40)}
	for _, s := range want {
		// One at a time: the kernel coalesces a standard signal that is
		// still pending.
		if err := unix.Kill(unix.Getpid(), s); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-sigs:
			if got != s {
				t.Fatalf("caught %v, want %v", got, s)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%v was not relayed", s)
		}
	}
	if _, err := Catch([]unix.Signal{unix.SIGUSR2}); err == nil {
		t.Fatal("a second Catch was accepted; the first one's handler would lose its pipe")
	}
}
