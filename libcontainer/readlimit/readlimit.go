// Package readlimit reads the files hutch is handed or keeps (a bundle's
// config.json, a state directory's files, an exec --process file) with a
// bound on their size: a symlink to /dev/zero or a file of gigabytes must
// end in a clear error naming the file, not in memory exhaustion.
package readlimit

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// ConfigMax bounds a config.json (the bundle's and the state directory's
// copy) and a state.json, which carries the config's annotations. Real
// configs are kilobytes; the largest seen (seccomp profiles, long
// environments) stay well under 1 MiB.
const ConfigMax = 16 << 20

// TooLargeError is the error for a file over its bound.
type TooLargeError struct {
	Name  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: larger than %d MiB; refusing to read it", e.Name, e.Limit>>20)
}

// File reads a regular file at path (symlinks followed, as a bundle may
// link its config.json) of at most limit bytes.
func File(path string, limit int64) ([]byte, error) {
	fd, err := open(unix.AT_FDCWD, path, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	return readRegular(fd, path, nil, limit)
}

// AppendAt reads the regular file name in the directory dirfd without
// following a symlink in its place, of at most limit bytes, appending to
// buf. display names the file in errors. A missing file gives an error
// that wraps os.ErrNotExist.
func AppendAt(buf []byte, dirfd int, name, display string, limit int64) ([]byte, error) {
	fd, err := open(dirfd, name, unix.O_NOFOLLOW)
	if err != nil {
		if err == unix.ELOOP {
			return nil, fmt.Errorf("%s: is a symlink; refusing to follow it", display)
		}
		return nil, &os.PathError{Op: "open", Path: display, Err: err}
	}
	defer unix.Close(fd)
	return readRegular(fd, display, buf, limit)
}

// Reader reads r to its end, failing once more than limit bytes came (for
// stdin or a pipe, where there is no size to check first).
func Reader(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return data, nil
}

// open opens without blocking: a fifo put where a file is expected must
// not hang the command (readRegular then refuses it).
func open(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK|flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

func readRegular(fd int, name string, buf []byte, limit int64) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, fmt.Errorf("%s: not a regular file (%s); refusing to read it", name, kind(st.Mode))
	}
	if st.Size > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	// One byte of room beyond the size: a file that grew meanwhile is
	// still read to its end, and bounded below.
	if need := len(buf) + int(st.Size) + 1; cap(buf) < need {
		nb := make([]byte, len(buf), need)
		copy(nb, buf)
		buf = nb
	}
	start := len(buf)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: name, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if int64(len(buf)-start) > limit {
			return nil, &TooLargeError{Name: name, Limit: limit}
		}
	}
}

func kind(mode uint32) string {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return "a directory"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFBLK:
		return "a block device"
	case unix.S_IFIFO:
		return "a fifo"
	case unix.S_IFSOCK:
		return "a socket"
	case unix.S_IFLNK:
		return "a symlink"
	}
	return "mode " + fmt.Sprintf("%#o", mode&unix.S_IFMT)
}
