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
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// File names inside a container's state directory.
const (
	StateFile  = "state.json"
	ConfigFile = "config.json"
	FifoFile   = "exec.fifo"
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
	// NotifySocket is the caller's NOTIFY_SOCKET, which start forwards
	// the container's READY=1 to.
	NotifySocket string `json:"notify_socket,omitempty"`
	// HostRootMount: the container has no mount namespace of its own; its
	// root is the mount with this id on Rootfs, made in the caller's
	// namespace, which delete detaches.
	HostRootMount uint64 `json:"host_root_mount,omitempty"`
}

// Store is the state root (--root), e.g. /run/hutch.
type Store struct{ Root string }

// Dir is the state directory of container id.
func (s Store) Dir(id string) string { return filepath.Join(s.Root, id) }

// Exists reports whether container id has a state directory.
func (s Store) Exists(id string) bool {
	_, err := os.Lstat(s.Dir(id))
	return err == nil
}

// Reserve creates the state directory of a new container, failing if the id
// is taken. The directory is the claim: mkdir is atomic.
func (s Store) Reserve(id string) (string, error) {
	if err := os.MkdirAll(s.Root, 0o711); err != nil {
		return "", fmt.Errorf("create state root %s: %w", s.Root, err)
	}
	dir := s.Dir(id)
	if err := os.Mkdir(dir, 0o711); err != nil {
		if errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("container with id %q already exists", id)
		}
		return "", fmt.Errorf("create state directory %s: %w", dir, err)
	}
	return dir, nil
}

// Lock takes an exclusive lock on container id's state directory, so two
// hutch commands never work on one container at once. Close the file to
// release it.
func (s Store) Lock(id string) (*os.File, error) {
	f, err := os.Open(s.Dir(id))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", s.Dir(id), err)
	}
	return f, nil
}

// Save writes st atomically (temp file + rename).
func (s Store) Save(st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(s.Dir(st.ID), StateFile), data, 0o600)
}

// Load reads container id's state.
func (s Store) Load(id string) (*State, error) {
	buf := scratch.Get().(*[]byte)
	defer scratch.Put(buf)
	data, err := readFile(filepath.Join(s.Dir(id), StateFile), (*buf)[:0])
	if err == nil {
		*buf = data[:0] // keep a grown buffer
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("container %q: %w", id, ErrNotExist)
		}
		return nil, err
	}
	st := &State{}
	if err := json.Unmarshal(data, st); err != nil {
		return nil, fmt.Errorf("read state of %q: %w", id, err)
	}
	return st, nil
}

// Candidates returns the names of all entries of the state root that are
// directories: every container, plus possibly one whose create has not
// saved its state yet, which Load reports as not existing. It is List
// without a stat per container, for callers that Load each one anyway.
func (s Store) Candidates() ([]string, error) {
	ents, err := os.ReadDir(s.Root)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	ids := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.IsDir() {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// List returns the ids of all containers with a state file.
func (s Store) List() ([]string, error) {
	cands, err := s.Candidates()
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range cands {
		if _, err := os.Stat(filepath.Join(s.Root, id, StateFile)); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// Remove deletes container id's state directory: the files hutch puts
// there, then the directory; anything else there (a notify socket) falls
// back to os.RemoveAll, which costs several syscalls per entry more.
func (s Store) Remove(id string) error {
	dir := s.Dir(id)
	for _, f := range []string{StateFile, ConfigFile, FifoFile} {
		unix.Unlink(filepath.Join(dir, f))
	}
	if err := unix.Rmdir(dir); err == nil || err == unix.ENOENT {
		return nil
	}
	return os.RemoveAll(dir)
}

// scratch holds read buffers: `list` reads two small files per container,
// and fresh buffers for each are page faults in a short-lived process.
// json.Unmarshal copies what it keeps, so a buffer is free again after.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// readFile is os.ReadFile for the small files of the hot paths (state.json,
// /proc/PID/stat): open, read, close and nothing else, where os.ReadFile
// adds an fstat and os.File's poller checks. Errors read like os.ReadFile's.
// It appends to buf.
func readFile(path string, buf []byte) ([]byte, error) {
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
		space := cap(buf) - len(buf)
		buf = buf[:len(buf)+n]
		if n < space {
			// A short read of a local file or a proc seq file is its
			// end: spare the read that would return 0.
			return buf, nil
		}
	}
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers never see a partial file.
func WriteFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(mode)
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, werr)
	}
	return nil
}
