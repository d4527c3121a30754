package pathsafe

import (
	"os"

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
	f, err := walk(rootDir, unsafePath, walkOpts{mkdirs: true, dirMode: unixPerm(mode)})
	if err != nil {
		return nil, err
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
	return walk(rootDir, unsafePath, walkOpts{createFile: true, fileMode: unixPerm(mode), dirMode: 0o755})
}

// OpenParentInRoot creates the missing parent directories of unsafePath
// inside root and returns an O_PATH handle to the parent directory plus
// the final name, for *at(2) calls (mknodat, symlinkat, unlinkat) that
// must act on the last component itself. The name is never "", "." or "..".
func OpenParentInRoot(root, unsafePath string, dirMode os.FileMode) (*os.File, string, error) {
	rootDir, err := openRoot(root)
	if err != nil {
		return nil, "", err
	}
	defer rootDir.Close()
	return OpenParentInRootFd(rootDir, unsafePath, dirMode)
}

// OpenParentInRootFd is OpenParentInRoot with an already open root handle.
func OpenParentInRootFd(rootDir *os.File, unsafePath string, dirMode os.FileMode) (*os.File, string, error) {
	parts := splitPath(unsafePath)
	if len(parts) == 0 || parts[len(parts)-1] == ".." {
		return nil, "", &os.PathError{Op: "open parent", Path: unsafePath, Err: unix.EINVAL}
	}
	name := parts[len(parts)-1]
	dir := "/"
	for _, p := range parts[:len(parts)-1] {
		dir += p + "/"
	}
	f, err := MkdirAllInRootFd(rootDir, dir, dirMode)
	if err != nil {
		return nil, "", err
	}
	return f, name, nil
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
