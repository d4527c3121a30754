package pathsafe

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// maxSymlinks matches the kernel's MAXSYMLINKS so loops fail with ELOOP
// as they would for a normal lookup.
const maxSymlinks = 40

type walkOpts struct {
	noFollowLast bool   // return a trailing symlink itself
	mkdirs       bool   // create missing directories
	dirMode      uint32 // mode for created directories
	createFile   bool   // create the last component as an empty file if missing
	fileMode     uint32 // mode for the created file
}

// walk resolves unsafePath component by component from rootDir, never
// following a symlink with the kernel: each link is read and its target
// spliced into the remaining components, with absolute targets restarting
// at rootDir and ".." never going above it. It returns an O_PATH handle.
func walk(rootDir *os.File, unsafePath string, o walkOpts) (*os.File, error) {
	rootFd, err := unix.Openat(int(rootDir.Fd()), ".", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open root", Path: rootDir.Name(), Err: err}
	}
	// stack holds the fds of the directories walked so far; stack[0] is root.
	stack := []int{rootFd}
	names := []string{}
	closeAll := func() {
		for _, fd := range stack {
			unix.Close(fd)
		}
	}
	fail := func(op string, err error) (*os.File, error) {
		closeAll()
		return nil, &os.PathError{Op: op, Path: joinName(rootDir.Name(), "/"+strings.Join(names, "/")), Err: err}
	}

	remaining := splitPath(unsafePath)
	links := 0
	for len(remaining) > 0 {
		comp := remaining[0]
		remaining = remaining[1:]
		if comp == ".." {
			if len(stack) > 1 {
				unix.Close(stack[len(stack)-1])
				stack = stack[:len(stack)-1]
				names = names[:len(names)-1]
			}
			continue
		}
		last := len(remaining) == 0
		cur := stack[len(stack)-1]
		names = append(names, comp)

		fd, err := unix.Openat(cur, comp, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err == unix.ENOENT {
			switch {
			case last && o.createFile:
				err = createFile(cur, comp, o.fileMode)
			case o.mkdirs || o.createFile:
				err = unix.Mkdirat(cur, comp, o.dirMode)
				if err == unix.EEXIST {
					err = nil // lost a race with another creator: just reopen
				}
			}
			if err != nil {
				return fail("create", err)
			}
			fd, err = unix.Openat(cur, comp, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		}
		if err != nil {
			return fail("openat", err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return fail("fstat", err)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			if last && o.noFollowLast {
				stack = append(stack, fd)
				continue
			}
			links++
			if links > maxSymlinks {
				unix.Close(fd)
				return fail("walk", unix.ELOOP)
			}
			target, err := readlinkFd(fd)
			unix.Close(fd)
			if err != nil {
				return fail("readlink", err)
			}
			names = names[:len(names)-1]
			if strings.HasPrefix(target, "/") {
				for _, fd := range stack[1:] {
					unix.Close(fd)
				}
				stack = stack[:1]
				names = names[:0]
			}
			remaining = append(splitPath(target), remaining...)
		case unix.S_IFDIR:
			stack = append(stack, fd)
		default:
			if !last {
				unix.Close(fd)
				return fail("walk", unix.ENOTDIR)
			}
			stack = append(stack, fd)
		}
	}
	top := stack[len(stack)-1]
	for _, fd := range stack[:len(stack)-1] {
		unix.Close(fd)
	}
	return os.NewFile(uintptr(top), joinName(rootDir.Name(), "/"+strings.Join(names, "/"))), nil
}

func createFile(dirFd int, name string, mode uint32) error {
	fd, err := unix.Openat(dirFd, name, unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_RDONLY|unix.O_CLOEXEC, mode)
	if err == unix.EEXIST {
		return nil
	}
	if err != nil {
		return err
	}
	return unix.Close(fd)
}

func readlinkFd(fd int) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > unix.PathMax*2 {
			return "", unix.ENAMETOOLONG
		}
	}
}

// splitPath drops empty and "." components; ".." is kept for the walk.
func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// relPath makes p relative so openat2 resolves it from the root fd.
func relPath(p string) string {
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "."
	}
	return p
}

// joinName builds a human readable name for error messages only.
func joinName(root, p string) string {
	return strings.TrimRight(root, "/") + "/" + strings.TrimLeft(p, "/")
}
