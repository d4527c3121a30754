package readlimit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("hello"), 0o600)
	if got, err := File(p, 5); err != nil || string(got) != "hello" {
		t.Fatalf("File at the bound: %q, %v", got, err)
	}
	if _, err := File(p, 4); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("File over the bound: %v", err)
	}
	// A symlink is followed by File, refused by AppendAt.
	os.Symlink(p, filepath.Join(dir, "l"))
	if got, err := File(filepath.Join(dir, "l"), 10); err != nil || string(got) != "hello" {
		t.Fatalf("File through a symlink: %q, %v", got, err)
	}
	fd, _ := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	defer unix.Close(fd)
	if _, err := AppendAt(nil, fd, "l", "l", 10); err == nil || !strings.Contains(err.Error(), "is a symlink") {
		t.Fatalf("AppendAt through a symlink: %v", err)
	}
	if got, err := AppendAt([]byte("x:"), fd, "f", "f", 10); err != nil || string(got) != "x:hello" {
		t.Fatalf("AppendAt: %q, %v", got, err)
	}
	for _, special := range []string{"/dev/zero", dir} {
		if _, err := File(special, 1<<20); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("File(%s): %v", special, err)
		}
	}
	// A fifo is refused without blocking on its open.
	unix.Mkfifo(filepath.Join(dir, "fifo"), 0o600)
	if _, err := File(filepath.Join(dir, "fifo"), 10); err == nil || !strings.Contains(err.Error(), "a fifo") {
		t.Fatalf("fifo: %v", err)
	}
}

func TestReader(t *testing.T) {
	if got, err := Reader(strings.NewReader("abc"), "r", 3); err != nil || string(got) != "abc" {
		t.Fatalf("at the bound: %q, %v", got, err)
	}
	f, _ := os.Open("/dev/zero")
	defer f.Close()
	if _, err := Reader(f, "/dev/zero", 1<<20); err == nil || err.Error() != "/dev/zero: larger than 1 MiB; refusing to read it" {
		t.Fatalf("/dev/zero: %v", err)
	}
}
