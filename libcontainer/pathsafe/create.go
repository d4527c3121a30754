package pathsafe

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// MkdirAllInRoot creates every missing directory of unsafePath inside
// root (symlinks are resolved inside root, so a dangling link creates its
// target inside root) and returns an O_PATH handle to the final directory.
func MkdirAllInRoot(root, unsafePath string, mode os.FileMode) (*os.File, error) {
	rootDir, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer rootDir.Close()
	return MkdirAllInRootFd(rootDir, unsafePath, mode)
}

// MkdirAllInRootFd is MkdirAllInRoot with an already open root handle.
func MkdirAllInRootFd(rootDir *os.File, unsafePath string, mode os.FileMode) (*os.File, error) {
	f := existingInRoot(rootDir, unsafePath)
	if f == nil {
		f = lastInExistingParent(rootDir, unsafePath, func(dirFd int, name string) error {
			return unix.Mkdirat(dirFd, name, unixPerm(mode))
		})
	}
	if f == nil {
		var err error
		if f, err = walk(rootDir, unsafePath, walkOpts{mkdirs: true, dirMode: unixPerm(mode)}); err != nil {
			return nil, err
		}
	}
	if err := checkDir(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// CreateInRoot makes sure unsafePath exists inside root, creating missing
// parent directories (0755) and, if the last component is missing, an
// empty regular file with mode. An existing object of any type is kept.
// It is the mount point for bind mounts of files and device nodes.
// Returns an O_PATH handle.
func CreateInRoot(root, unsafePath string, mode os.FileMode) (*os.File, error) {
	rootDir, err := openRoot(root)
	if err != nil {
		return nil, err
	}
	defer rootDir.Close()
	return CreateInRootFd(rootDir, unsafePath, mode)
}

// CreateInRootFd is CreateInRoot with an already open root handle.
func CreateInRootFd(rootDir *os.File, unsafePath string, mode os.FileMode) (*os.File, error) {
	if f := existingInRoot(rootDir, unsafePath); f != nil {
		return f, nil
	}
	if f := lastInExistingParent(rootDir, unsafePath, func(dirFd int, name string) error {
		return createFile(dirFd, name, unixPerm(mode))
	}); f != nil {
		return f, nil
	}
	return walk(rootDir, unsafePath, walkOpts{createFile: true, fileMode: unixPerm(mode), dirMode: 0o755})
}

// existingInRoot returns an O_PATH handle to unsafePath when it already
// exists, resolved by the kernel with openat2(RESOLVE_IN_ROOT), which
// follows symlinks inside root exactly as walk does: one syscall instead of
// two or three per component (mount targets mostly exist). It returns nil
// on any failure, including a kernel without openat2; walk then creates
// what is missing and reports errors.
func existingInRoot(rootDir *os.File, unsafePath string) *os.File {
	if forceWalk {
		return nil
	}
	f, err := openat2InRoot(rootDir, unsafePath, unix.O_PATH)
	if err != nil {
		return nil
	}
	return f
}

// lastInExistingParent handles the other common case: only the last
// component is missing (a mount point on a fresh tmpfs). The parent is
// resolved by openat2 inside root, the last component is created in it
// with create and opened without following links. It returns nil when
// that does not apply or fails (a missing parent, a symlink as the last
// component, a create error); walk then does the whole job.
func lastInExistingParent(rootDir *os.File, unsafePath string, create func(dirFd int, name string) error) *os.File {
	if forceWalk {
		return nil
	}
	parts := splitPath(unsafePath)
	if len(parts) == 0 || parts[len(parts)-1] == ".." {
		return nil
	}
	name := parts[len(parts)-1]
	parent, err := openat2InRoot(rootDir, strings.Join(parts[:len(parts)-1], "/"), unix.O_PATH|unix.O_DIRECTORY)
	if err != nil {
		return nil
	}
	defer parent.Close()
	dirFd := int(parent.Fd())
	if err := create(dirFd, name); err != nil && err != unix.EEXIST {
		return nil
	}
	fd, err := unix.Openat(dirFd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT == unix.S_IFLNK {
		unix.Close(fd)
		return nil
	}
	return os.NewFile(uintptr(fd), joinName(rootDir.Name(), unsafePath))
}

func unixPerm(m os.FileMode) uint32 {
	u := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		u |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		u |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		u |= unix.S_ISVTX
	}
	return u
}
