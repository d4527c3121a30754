package kernfile

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestReadGrowsPastTheBufferAndAppends(t *testing.T) {
	// /proc/self/maps of a Go test is several kB: more than the buffer.
	want, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read("/proc/self/maps", append(make([]byte, 0, 16), "x:"...))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "x:") || len(got) < len(want)/2 {
		t.Fatalf("read %d bytes (%q...), want the buffer's prefix and about %d bytes", len(got), got[:min(len(got), 20)], len(want))
	}
}

func TestReadRecordReadsStat(t *testing.T) {
	got, err := ReadRecord("/proc/self/stat", make([]byte, 0, 512))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), strconv.Itoa(os.Getpid())+" (") {
		t.Fatalf("stat starts %q", got[:min(len(got), 30)])
	}
}

func TestErrorsReadLikeOsReadFiles(t *testing.T) {
	_, err := Read("/proc/self/no-such-file", nil)
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != "/proc/self/no-such-file" || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want a *os.PathError naming the file that is os.ErrNotExist", err)
	}
}
