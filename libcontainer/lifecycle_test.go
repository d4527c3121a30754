package libcontainer

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/state"
)

func fifoEntry(t *testing.T) *state.Entry {
	t.Helper()
	e, err := state.Store{Root: t.TempDir()}.Reserve("c")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	f, err := e.Mkfifo(state.FifoFile, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return e
}

// The init writes its byte, execs a process as short as /bin/true, which
// exits, all between two of start's looks at the fifo: start must still
// see the byte, not report an init that never got to start the process.
func TestStartSeesTheByteOfAnInitGoneSinceItsLastRead(t *testing.T) {
	e := fifoEntry(t)
	calls := 0
	alive := func() bool {
		calls++
		if calls == 1 {
			return true // not there yet
		}
		if calls == 2 {
			fd, err := e.OpenFile(state.FifoFile, unix.O_WRONLY|unix.O_NONBLOCK)
			if err != nil {
				t.Fatal(err)
			}
			unix.Write(fd, []byte{0})
			unix.Close(fd)
		}
		return false // wrote, exec'd, exited
	}
	if err := waitFifo(e, alive); err != nil {
		t.Fatalf("start: %v", err)
	}
}

func TestStartReportsAnInitGoneWithoutItsByte(t *testing.T) {
	e := fifoEntry(t)
	err := waitFifo(e, func() bool { return false })
	if err == nil || !strings.Contains(err.Error(), "exited before it could start the process") {
		t.Fatalf("start: %v", err)
	}
}
