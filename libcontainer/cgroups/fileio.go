package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
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
// around os.File: control files are pollable, so os.ReadFile would add each
// to the runtime's epoll set and delete it again, five syscalls more than
// open, read and close for each of the ~20 reads of a create.
func readFile(dir, name string) (string, error) {
	p := filepath.Join(dir, name)
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(p, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return "", &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "read", Path: p, Err: err}
		}
		if n == 0 {
			return strings.TrimSpace(string(buf)), nil
		}
		buf = buf[:len(buf)+n]
	}
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
