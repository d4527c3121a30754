package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/kernfile"
)

// writeFile writes one value into a cgroup control file. Control files must
// be written with a single write(2) and without O_CREAT/O_TRUNC, so os.WriteFile
// is not used; nor is os.File, whose poller registration (fcntl, epoll_ctl
// add and delete) would double the syscalls of the ~30 writes of a create.
// Errors are *os.PathError, as os.File's.
func writeFile(dir, name, value string) error {
	p := filepath.Join(dir, name)
	fd, err := unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(p, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: p, Err: err}
	}
	for {
		_, err = unix.Write(fd, []byte(value))
		if err != unix.EINTR {
			break
		}
	}
	unix.Close(fd)
	if err != nil {
		return &os.PathError{Op: "write", Path: p, Err: err}
	}
	return nil
}

// readFile reads a cgroup control file, trimmed. Like writeFile it goes
// around os.File and its poller registration (see kernfile).
func readFile(dir, name string) (string, error) {
	b, err := kernfile.Read(filepath.Join(dir, name), make([]byte, 0, 512))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func fileExists(dir, name string) bool {
	_, err := os.Stat(filepath.Join(dir, name))
	return err == nil
}

// fieldErr builds the error for a failed write of a config field, naming the
// field and the file, e.g.
// "linux.resources.memory.limit: write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: device or resource busy".
func fieldErr(field, dir, name string, err error) error {
	p := filepath.Join(dir, name)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("linux.resources.%s: not supported by this host (no %s)", field, p)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("linux.resources.%s: write %s: %w", field, p, err)
}

// set writes value into dir/name and wraps a failure with the field name.
func set(field, dir, name, value string) error {
	if err := writeFile(dir, name, value); err != nil {
		return fieldErr(field, dir, name, err)
	}
	return nil
}
