package pathsafe

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// forceWalk disables openat2 so tests can exercise the fallback walk.
var forceWalk = false

// OpenInRoot opens unsafePath as if root were "/": absolute symlinks are
// relative to root and ".." stops at root. Magic links (/proc/self/fd/N
// style) are refused. flags are open(2) flags; O_CLOEXEC is always added.
// O_CREAT is not supported (use MkdirAllInRoot or CreateInRoot).
func OpenInRoot(root, unsafePath string, flags int) (*os.File, error) {
	if flags&unix.O_CREAT != 0 {
		return nil, fmt.Errorf("open %q in %q: O_CREAT not supported", unsafePath, root)
	}
	rootDir, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer rootDir.Close()
	return OpenInRootFd(rootDir, unsafePath, flags)
}

// OpenInRootFd is OpenInRoot with an already open root directory handle.
func OpenInRootFd(rootDir *os.File, unsafePath string, flags int) (*os.File, error) {
	if !forceWalk {
		f, err := openat2InRoot(rootDir, unsafePath, flags)
		if !errors.Is(err, unix.ENOSYS) {
			return f, err
		}
	}
	return walkOpen(rootDir, unsafePath, flags)
}

func openRoot(root string) (*os.File, error) {
	fd, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open root", Path: root, Err: err}
	}
	return os.NewFile(uintptr(fd), root), nil
}

func openat2InRoot(rootDir *os.File, unsafePath string, flags int) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	name := joinName(rootDir.Name(), unsafePath)
	var err error
	// EAGAIN means a concurrent rename/mount raced with the lookup; the
	// kernel asks us to retry.
	for i := 0; i < 32; i++ {
		var fd int
		fd, err = unix.Openat2(int(rootDir.Fd()), relPath(unsafePath), &how)
		if err == nil {
			return os.NewFile(uintptr(fd), name), nil
		}
		if err != unix.EAGAIN && err != unix.EINTR {
			break
		}
	}
	if err == unix.ENOSYS {
		return nil, err
	}
	return nil, &os.PathError{Op: "openat2", Path: name, Err: err}
}

// walkOpen is the openat2 fallback: resolve with the manual walk to an
// O_PATH handle, then reopen it with the requested flags.
func walkOpen(rootDir *os.File, unsafePath string, flags int) (*os.File, error) {
	f, err := walk(rootDir, unsafePath, walkOpts{noFollowLast: flags&unix.O_NOFOLLOW != 0})
	if err != nil {
		return nil, err
	}
	if flags&unix.O_PATH != 0 {
		if flags&unix.O_DIRECTORY != 0 {
			if err := checkDir(f); err != nil {
				f.Close()
				return nil, err
			}
		}
		return f, nil
	}
	defer f.Close()
	return Reopen(f, flags)
}

// Reopen opens the object an O_PATH handle refers to with new flags,
// through procfs, so no path lookup can be raced.
func Reopen(f *os.File, flags int) (*os.File, error) {
	fd, err := unix.Open(ProcFdPath(f), flags|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "reopen", Path: f.Name(), Err: err}
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// ProcFdPath returns the /proc/self/fd path of f, usable as a mount(2)
// source or target that refers to exactly the object f was opened on.
func ProcFdPath(f *os.File) string {
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd())
}

func checkDir(f *os.File) error {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return &os.PathError{Op: "open", Path: f.Name(), Err: unix.ENOTDIR}
	}
	return nil
}
