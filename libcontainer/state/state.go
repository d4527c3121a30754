// Package state keeps what hutch knows about a container between commands:
// one directory per container under the state root, holding state.json
// (written atomically), a copy of the config used at create, the exec fifo
// while the container is created, and a lock that serializes hutch commands
// working on the same container.
//
// Nothing in state.json decides the status: the status is derived from the
// live init process each time it is asked for.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/readlimit"
)

// File names inside a container's state directory.
const (
	StateFile  = "state.json"
	ConfigFile = "config.json"
	FifoFile   = "exec.fifo"
	// PausedFile marks a created container that pause froze, so that the
	// status of created ones costs a freezer read only then.
	PausedFile = "paused"
)

// Status values, as the OCI runtime spec names them.
const (
	Creating = "creating"
	Created  = "created"
	Running  = "running"
	Paused   = "paused"
	Stopped  = "stopped"
)

// ErrNotExist is returned for a container id with no state directory.
var ErrNotExist = errors.New("container does not exist")

// State is the persisted record of one container.
type State struct {
	ID          string            `json:"id"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Pid         int               `json:"pid"`
	StartTime   uint64            `json:"init_start_time"` // /proc/PID/stat field 22: tells pid reuse apart
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations,omitempty"`
	// Cgroup directories of the container, and those hutch itself created
	// (the only ones delete may remove).
	CgroupPaths   map[string]string `json:"cgroup_paths,omitempty"`
	CgroupCreated []string          `json:"cgroup_created,omitempty"`
	Rootless      bool              `json:"rootless,omitempty"`
	// SystemdUnit: the transient scope systemd made for the container's
	// cgroup (--systemd-cgroup), recorded before it is started; delete
	// stops it. SystemdInvocation is its InvocationID once started (delete
	// stops only that run of the unit), SystemdUser whether the user's
	// manager has it.
	SystemdUnit       string `json:"systemd_unit,omitempty"`
	SystemdInvocation string `json:"systemd_invocation,omitempty"`
	SystemdUser       bool   `json:"systemd_user,omitempty"`
	// NotifySocket is the caller's NOTIFY_SOCKET, which start forwards
	// the container's READY=1 to.
	NotifySocket string `json:"notify_socket,omitempty"`
	// HostRootMount: the container has no mount namespace of its own; its
	// root is the mount with this id on Rootfs, made in the caller's
	// namespace, which delete detaches.
	HostRootMount uint64 `json:"host_root_mount,omitempty"`
	// OwnPidNS: the container's pid namespace was created for it, so
	// every process in it is the container's.
	OwnPidNS bool `json:"own_pid_ns,omitempty"`
	// Keyring: the serial of the init's own session keyring, which exec'd
	// processes join (0: the caller's, --no-new-keyring or no keys).
	Keyring int32 `json:"keyring,omitempty"`

	// Creating: create has not finished. create saves the record as it
	// makes things (the cgroup, the init and, without a mount namespace,
	// the init's root mount), so that whatever a create killed half-way
	// made is found by delete.
	Creating bool `json:"creating,omitempty"`
}

// Store is the state root (--root), e.g. /run/hutch. Everything under it is
// reached through Open or Reserve: ids are validated first, and neither the
// root's last component nor anything below it is followed if it is a
// symlink.
type Store struct{ Root string }

// Entry is one container's state directory, held open: every file in it is
// opened relative to the directory, never by a path that could be swapped.
type Entry struct {
	ID   string
	dir  string // the path, for messages and for the notify mount's source
	root int
	fd   int
	held bool // Lock was taken through this entry
}

// openRoot opens the state root itself. Its last component must not be a
// symlink: a root that pointed elsewhere would put every container's state
// (and delete's removals) there.
func (s Store) openRoot() (int, error) {
	for {
		fd, err := unix.Open(s.Root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		switch err {
		case nil:
			return fd, nil
		case unix.EINTR:
			continue
		case unix.ELOOP, unix.ENOTDIR:
			var st unix.Stat_t
			if unix.Lstat(s.Root, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFLNK {
				return -1, fmt.Errorf("state root %s: is a symlink; refusing it (give --root the real path)", s.Root)
			}
			return -1, fmt.Errorf("state root %s: not a directory", s.Root)
		}
		return -1, &os.PathError{Op: "open state root", Path: s.Root, Err: err}
	}
}

// Open opens container id's state directory. An id that create would
// refuse is refused here, before anything is looked up; a missing entry
// gives an error wrapping ErrNotExist.
func (s Store) Open(id string) (*Entry, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	root, err := s.openRoot()
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, err
	}
	e, err := s.openEntry(root, id)
	if err != nil {
		unix.Close(root)
		return nil, err
	}
	return e, nil
}

// openEntry opens root/id: a directory (not a symlink to one) that belongs
// to the caller and that nobody else can write in. Anything else was not
// made by hutch for this user and is refused.
func (s Store) openEntry(root int, id string) (*Entry, error) {
	dir := filepath.Join(s.Root, id)
	fd, err := unix.Openat(root, id, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	for err == unix.EINTR {
		fd, err = unix.Openat(root, id, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	switch err {
	case nil:
	case unix.ENOENT:
		return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
	case unix.ELOOP, unix.ENOTDIR:
		return nil, fmt.Errorf("container %q: state directory %s is not a directory (a symlink or a file); refusing it", id, dir)
	default:
		return nil, &os.PathError{Op: "open state directory", Path: dir, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "stat state directory", Path: dir, Err: err}
	}
	if euid := os.Geteuid(); int(st.Uid) != euid {
		unix.Close(fd)
		return nil, fmt.Errorf("container %q: state directory %s belongs to uid %d, not to uid %d; refusing it", id, dir, st.Uid, euid)
	}
	if st.Mode&0o022 != 0 {
		unix.Close(fd)
		return nil, fmt.Errorf("container %q: state directory %s is writable by others (mode %#o); refusing it", id, dir, st.Mode&0o7777)
	}
	return &Entry{ID: id, dir: dir, root: root, fd: fd}, nil
}

// Reserve creates and locks the state directory of a new container,
// failing if the id is taken: mkdir is atomic, the directory is the claim.
func (s Store) Reserve(id string) (*Entry, error) {
	if err := ValidateID(id); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.Root, 0o711); err != nil {
		return nil, fmt.Errorf("create state root %s: %w", s.Root, err)
	}
	root, err := s.openRoot()
	if err != nil {
		return nil, err
	}
	// Its owner's alone: the exec fifo must be writable by the container's
	// process, which may be any uid, so nobody else may reach it.
	if err := unix.Mkdirat(root, id, 0o700); err != nil {
		unix.Close(root)
		if err == unix.EEXIST {
			return nil, fmt.Errorf("container %q: container with given ID already exists", id)
		}
		return nil, &os.PathError{Op: "create state directory", Path: filepath.Join(s.Root, id), Err: err}
	}
	e, err := s.openEntry(root, id)
	if err == nil {
		err = e.Lock()
		if err != nil {
			e.Close()
		}
	}
	if err != nil {
		unix.Unlinkat(root, id, unix.AT_REMOVEDIR)
		unix.Close(root)
		return nil, err
	}
	return e, nil
}

// Candidates returns the names of the state root's entries that are
// directories with a valid id: every container, plus possibly one whose
// create has not saved its state yet, which Load reports as not existing.
// Symlinks and other files are not candidates.
func (s Store) Candidates() ([]string, error) {
	root, err := s.openRoot()
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, nil
		}
		return nil, err
	}
	f := os.NewFile(uintptr(root), s.Root)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("read state root %s: %w", s.Root, err)
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.IsDir() && ValidateID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids) // list prints in id order
	return ids, nil
}

// Dir is the path of the state directory, for messages and for what must
// be named by path (the notify socket directory's bind mount source).
func (e *Entry) Dir() string { return e.dir }

// Close releases the directory (and with it the lock, if taken).
func (e *Entry) Close() {
	if e.fd >= 0 {
		unix.Close(e.fd)
		unix.Close(e.root)
		e.fd, e.root = -1, -1
	}
}

// Lock takes an exclusive lock on the state directory, so two hutch
// commands never work on one container at once. It is held until Close.
func (e *Entry) Lock() error {
	for {
		err := unix.Flock(e.fd, unix.LOCK_EX)
		if err == nil {
			e.held = true
			return nil
		}
		if err != unix.EINTR {
			return fmt.Errorf("lock %s: %w", e.dir, err)
		}
	}
}

// locked reports whether another command holds the lock right now (a
// create in progress). It takes and drops a shared lock on a second open
// file description: flock on e.fd would convert the caller's own.
func (e *Entry) locked() bool {
	fd, err := unix.Openat(e.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Flock(fd, unix.LOCK_SH|unix.LOCK_NB) == unix.EWOULDBLOCK
}

// Save writes st atomically.
func (e *Entry) Save(st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return e.WriteFile(StateFile, data, 0o600)
}

// Load reads the container's state.json (a regular file, not a symlink,
// bounded in size). No state.json gives an error wrapping ErrNotExist: a
// create that was killed before it saved anything.
func (e *Entry) Load() (*State, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	data, err := readlimit.AppendAt((*buf)[:0], e.fd, StateFile, filepath.Join(e.dir, StateFile), readlimit.ConfigMax)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", e.ID, ErrNotExist)
		}
		return nil, err
	}
	*buf = data[:0] // keep a grown buffer
	st := &State{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("read state of %q: %s: %w", e.ID, filepath.Join(e.dir, StateFile), err)
	}
	if st.ID != e.ID {
		return nil, fmt.Errorf("read state of %q: %s names container %q", e.ID, filepath.Join(e.dir, StateFile), st.ID)
	}
	return st, nil
}

// ReadFile reads a regular file of the state directory (not a symlink),
// bounded in size.
func (e *Entry) ReadFile(name string) ([]byte, error) {
	return readlimit.AppendAt(nil, e.fd, name, filepath.Join(e.dir, name), readlimit.ConfigMax)
}

// Has reports whether name exists in the state directory (a symlink
// counts as itself, not as its target).
func (e *Entry) Has(name string) bool {
	var st unix.Stat_t
	return unix.Fstatat(e.fd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil
}

// Mkfifo creates the fifo name with exactly mode (no umask) and returns an
// O_PATH handle on it.
func (e *Entry) Mkfifo(name string, mode uint32) (*os.File, error) {
	if err := unix.Mkfifoat(e.fd, name, mode); err != nil {
		return nil, &os.PathError{Op: "mkfifo", Path: filepath.Join(e.dir, name), Err: err}
	}
	fd, err := unix.Openat(e.fd, name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(e.dir, name), Err: err}
	}
	// The umask applied at mkfifo; a chmod through the handle's /proc
	// link acts on this very inode.
	if err := unix.Fchmodat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), mode, 0); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "chmod", Path: filepath.Join(e.dir, name), Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(e.dir, name)), nil
}

// OpenTree returns a detached clone of the mount at name (a directory of
// the state directory), to be attached elsewhere by its descriptor.
func (e *Entry) OpenTree(name string) (*os.File, error) {
	fd, err := unix.OpenTree(e.fd, name, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC|unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		return nil, &os.PathError{Op: "open_tree", Path: filepath.Join(e.dir, name), Err: err}
	}
	return os.NewFile(uintptr(fd), filepath.Join(e.dir, name)), nil
}

// OpenFile opens name in the state directory without following a symlink.
func (e *Entry) OpenFile(name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(e.fd, name, flags|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			if err != nil {
				return -1, &os.PathError{Op: "open", Path: filepath.Join(e.dir, name), Err: err}
			}
			return fd, nil
		}
	}
}

// Mkdir creates the directory name and returns it open.
func (e *Entry) Mkdir(name string, mode uint32) (*os.File, error) {
	path := filepath.Join(e.dir, name)
	if err := unix.Mkdirat(e.fd, name, mode); err != nil {
		return nil, &os.PathError{Op: "mkdir", Path: path, Err: err}
	}
	fd, err := unix.Openat(e.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "chmod", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// Remove deletes name from the state directory (a file, or a directory
// with everything in it), following no symlink.
func (e *Entry) Remove(name string) error {
	return removeAt(e.fd, name, filepath.Join(e.dir, name))
}

// Destroy removes the whole state directory and closes the entry.
func (e *Entry) Destroy() error {
	defer e.Close()
	names, err := readNames(e.fd)
	if err != nil {
		return fmt.Errorf("remove %s: %w", e.dir, err)
	}
	var errs []error
	for _, n := range names {
		if err := e.Remove(n); err != nil {
			errs = append(errs, err)
		}
	}
	if err := unix.Unlinkat(e.root, e.ID, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		errs = append(errs, &os.PathError{Op: "remove", Path: e.dir, Err: err})
	}
	return errors.Join(errs...)
}

// removeAt unlinks name in dirfd; a directory is emptied first, entry by
// entry, through its own descriptor (O_NOFOLLOW: a symlink is unlinked as
// itself, never followed).
func removeAt(dirfd int, name, path string) error {
	err := unix.Unlinkat(dirfd, name, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if err != unix.EISDIR && err != unix.EPERM {
		return &os.PathError{Op: "remove", Path: path, Err: err}
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	names, err := readNames(fd)
	if err == nil {
		for _, n := range names {
			if err = removeAt(fd, n, filepath.Join(path, n)); err != nil {
				break
			}
		}
	}
	unix.Close(fd)
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "remove", Path: path, Err: err}
	}
	return nil
}

// readNames lists a directory through a duplicate of fd (the os.File that
// reads it owns, and closes, the duplicate).
func readNames(fd int) ([]string, error) {
	dup, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), ".")
	defer f.Close()
	return f.Readdirnames(-1)
}

// scratch holds read buffers: `list` reads two small files per container,
// and fresh buffers for each are page faults in a short-lived process.
// json.Unmarshal copies what it keeps, so a buffer is free again after.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// WriteFile writes data to name in the state directory through a temporary
// file and a rename, so readers never see a partial file.
func (e *Entry) WriteFile(name string, data []byte, mode uint32) error {
	return writeAtomic(e.fd, e.dir, name, data, mode)
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename (a pid file the caller names).
func WriteFileAtomic(path string, data []byte, mode uint32) error {
	dir, name := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer unix.Close(fd)
	return writeAtomic(fd, dir, name, data, mode)
}

func writeAtomic(dirfd int, dir, name string, data []byte, mode uint32) error {
	path := filepath.Join(dir, name)
	var fd int
	var tmp string
	var err error
	for i := 0; ; i++ {
		tmp = "." + name + "." + strconv.FormatUint(uint64(rand.Uint32()), 36)
		fd, err = unix.Openat(dirfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != unix.EEXIST || i == 10 {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	werr := writeAll(fd, data)
	if werr == nil {
		werr = unix.Fchmod(fd, mode)
	}
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = unix.Renameat(dirfd, tmp, dirfd, name)
	}
	if werr != nil {
		unix.Unlinkat(dirfd, tmp, 0)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}

func writeAll(fd int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}
