package state

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLockWithinNamesTheHolder(t *testing.T) {
	s := Store{Root: t.TempDir()}
	holder, err := s.Reserve("h") // locked, as a command at work holds it
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	e, err := s.Open("h")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	start := time.Now()
	err = e.LockWithin(100 * time.Millisecond)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("LockWithin while held: %v, want a *BusyError", err)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond || waited > 2*time.Second {
		t.Errorf("gave up after %s, want about 100ms", waited)
	}
	// /proc/locks names the process that took the lock: this one.
	if busy.Holder != os.Getpid() {
		t.Errorf("holder %d, want this process %d", busy.Holder, os.Getpid())
	}
	self := filepath.Base(os.Args[0])
	if msg := err.Error(); !strings.Contains(msg, "container h is locked by pid "+strconv.Itoa(os.Getpid())+" (") ||
		!strings.Contains(msg, self) || !strings.Contains(msg, "running for ") {
		t.Errorf("message %q does not name the holder %s", msg, self)
	}
	holder.Close()
	if err := e.LockWithin(time.Second); err != nil {
		t.Fatalf("LockWithin once released: %v", err)
	}
	if e.Removed() {
		t.Error("Removed before anything was removed")
	}
}

func TestRemovedWhileWaiting(t *testing.T) {
	s := Store{Root: t.TempDir()}
	holder, err := s.Reserve("r")
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.Open("r")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// The holder removes the container and lets go meanwhile (a create
	// that failed, run's own delete).
	go func() {
		time.Sleep(50 * time.Millisecond)
		holder.Destroy()
	}()
	if err := e.LockWithin(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !e.Removed() {
		t.Error("Removed is false for a state directory the holder removed")
	}
}
