// Package kernfile reads the kernel's pseudo-files on the hot paths (under
// /proc and the cgroup mounts) with open, read and close and nothing else.
// os.ReadFile adds an fstat and os.File's poller registration: two fcntl
// and an epoll_ctl, and for pollable files (cgroup control files) an
// epoll_ctl delete at close. Errors read like os.ReadFile's.
package kernfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// Read reads the file at path to its end, appending to buf.
func Read(path string, buf []byte) ([]byte, error) {
	return read(path, buf, false)
}

// ReadRecord reads a file that the kernel produces in one piece, such as
// /proc/PID/stat or /proc/uptime, appending to buf: a short read is its
// end, which spares the read that would return 0. Not for files of many
// records (cgroup.procs): a seq file may stop a read short of the buffer
// at a record boundary.
func ReadRecord(path string, buf []byte) ([]byte, error) {
	return read(path, buf, true)
}

func read(path string, buf []byte, shortIsEnd bool) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		space := cap(buf) - len(buf)
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if shortIsEnd && n < space {
			return buf, nil
		}
	}
}
