package cgroups

import (
	"path/filepath"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Manager controls the cgroup(s) of one container.
type Manager interface {
	// Apply creates the container's cgroup directories (remembering which
	// ones it created) and moves pid into them. On a manager from Load it
	// only moves pid (used by exec). If Apply fails after pid was moved,
	// the caller should kill pid and call Destroy.
	Apply(pid int) error
	// Create makes the directories without moving any process, so limits
	// can be set before the first process arrives. Apply calls it when it
	// has not run yet.
	Create() error
	// CloneInto is the cgroup2 directory a new process can be started in
	// directly with CLONE_INTO_CGROUP, or "" (no cgroup2 hierarchy, or
	// not created yet).
	CloneInto() string
	// ApplyCloned is Apply for a process that was started in CloneInto():
	// it joins only the v1 hierarchies, without migrating it again.
	ApplyCloned(pid int) error
	// Set writes every configured resource.
	Set(r *specs.LinuxResources) error
	// Destroy removes the directories this manager created, leaf first.
	// Directories that are already gone are not an error.
	Destroy() error
	// Paths maps a controller name (or "" for the cgroup2 directory) to its
	// absolute directory, to persist in the state file.
	Paths() map[string]string
	// GetPids lists every pid in the container's cgroup, recursively.
	GetPids() ([]int, error)
	Freeze() error
	Thaw() error
	// FreezerPids lists every pid in the cgroup Freeze would freeze (the
	// v1 freezer's, which may differ from GetPids' hierarchy when the
	// container joined an existing freezer cgroup).
	FreezerPids() ([]int, error)
	IsFrozen() (bool, error)
	// Stats reads the resource counters (events --stats).
	Stats() (*Stats, error)
	// NotifyOOM starts watching the memory cgroup for OOM events.
	NotifyOOM() (OOMWatcher, error)
	// Created lists the directories Apply created, to persist.
	Created() []string
	// Owned reports whether hutch created the container's cgroup (every
	// leaf directory is in Created): only then is every process in it the
	// container's, to be killed with it.
	Owned() bool
	// SignalAll signals every process of the cgroup, none missed by a
	// fork meanwhile (cgroup.kill, or freeze, signal, thaw).
	SignalAll(sig unix.Signal) error
}

type manager struct {
	// rel is the resolved cgroupsPath ("/hutch/id"); empty for loaded managers.
	rel string
	// roots maps each hierarchy's key in paths to its mount point; only
	// New fills it, Apply needs it to mkdir from the root.
	roots map[string]string
	// paths: controller -> dir for v1, "" -> dir for cgroup2.
	paths map[string]string
	// hybrid is true when the "" entry is the optional hybrid cgroup2 dir
	// whose failures are not fatal.
	hybrid  bool
	created []string
	loaded  bool
	made    bool
}

// New prepares a manager for a new container. cgroupsPath is
// linux.cgroupsPath; see ResolvePath for how it is placed. Nothing is
// created until Apply.
func New(cgroupsPath, id string) (Manager, error) {
	rel, err := ResolvePath(cgroupsPath, id)
	if err != nil {
		return nil, err
	}
	h, err := detect()
	if err != nil {
		return nil, err
	}
	m := &manager{rel: rel, roots: map[string]string{}, paths: map[string]string{}, hybrid: h.mode == Hybrid}
	for ctrl, mnt := range h.v1 {
		m.roots[ctrl] = mnt
		m.paths[ctrl] = filepath.Join(mnt, rel)
	}
	if h.unified != "" {
		m.roots[""] = h.unified
		m.paths[""] = filepath.Join(h.unified, rel)
	}
	return m, nil
}

// Load rebuilds a manager from persisted Paths() and Created(), for
// exec/kill/pause/delete.
func Load(paths map[string]string, created []string) Manager {
	m := &manager{paths: map[string]string{}, loaded: true}
	for k, v := range paths {
		m.paths[k] = v
	}
	m.created = append([]string(nil), created...)
	return m
}

func (m *manager) Paths() map[string]string {
	out := make(map[string]string, len(m.paths))
	for k, v := range m.paths {
		out[k] = v
	}
	return out
}

func (m *manager) Created() []string {
	return append([]string(nil), m.created...)
}

func (m *manager) Owned() bool {
	if len(m.paths) == 0 {
		return false
	}
	made := make(map[string]bool, len(m.created))
	for _, c := range m.created {
		made[filepath.Clean(c)] = true
	}
	for _, leaf := range m.paths {
		if !made[filepath.Clean(leaf)] {
			return false
		}
	}
	return true
}

// v1Dirs returns the distinct v1 leaf dirs (co-mounted controllers share
// one), sorted for deterministic behaviour.
func (m *manager) v1Dirs() []string {
	seen := map[string]bool{}
	var out []string
	for k, d := range m.paths {
		if k == "" || seen[d] {
			continue
		}
		seen[d] = true
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// dirFor finds where a controller's files live: its v1 hierarchy when it
// has one, otherwise the cgroup2 dir (where the file may still be missing if
// the controller is not enabled; writes then report "not supported").
func (m *manager) dirFor(ctrl string) (dir string, v2 bool, ok bool) {
	if d, ok := m.paths[ctrl]; ok && ctrl != "" {
		return d, false, true
	}
	if d, ok := m.paths[""]; ok {
		return d, true, true
	}
	return "", false, false
}
