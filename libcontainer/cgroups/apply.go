package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"
)

func (m *manager) Apply(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("cgroups: apply: invalid pid %d", pid)
	}
	if err := m.Create(); err != nil {
		return err
	}
	return m.join(pid, true)
}

func (m *manager) Create() error {
	if m.loaded || m.made {
		return nil
	}
	if err := m.create(); err != nil {
		return err
	}
	m.made = true
	return nil
}

func (m *manager) CloneInto() string {
	if !m.loaded && !m.made {
		return ""
	}
	return m.paths[""]
}

func (m *manager) ApplyCloned(pid int) error {
	if pid <= 0 {
		return fmt.Errorf("cgroups: apply: invalid pid %d", pid)
	}
	return m.join(pid, false)
}

// create makes every hierarchy's leaf. A failure in a v1 hierarchy (or
// pure v2) removes whatever this call created; a failure under the hybrid
// cgroup2 mount only drops that hierarchy.
func (m *manager) create() error {
	// Group controller keys by root so co-mounted controllers are
	// created once.
	byRoot := map[string][]string{}
	for k, root := range m.roots {
		byRoot[root] = append(byRoot[root], k)
	}
	roots := make([]string, 0, len(byRoot))
	for r := range byRoot {
		roots = append(roots, r)
	}
	sort.Strings(roots)
	for _, root := range roots {
		keys := byRoot[root]
		v2 := len(keys) == 1 && keys[0] == ""
		cpuset := false
		for _, k := range keys {
			cpuset = cpuset || k == "cpuset"
		}
		var made []string
		var err error
		// ENOENT means another container's Destroy removed a shared parent
		// between our mkdirs; start again from the root.
		for try := 0; try < 5; try++ {
			if made, err = mkdirFromRoot(root, m.rel, cpuset, v2); !errors.Is(err, os.ErrNotExist) {
				break
			}
		}
		if err == nil {
			m.created = append(m.created, made...)
			continue
		}
		if v2 && m.hybrid {
			logrus.Warnf("cgroups: not using the cgroup2 hierarchy of this hybrid host: %v", err)
			delete(m.paths, "")
			continue
		}
		m.rollback()
		return err
	}
	m.warnShared()
	return nil
}

// rollback removes what create made before anything joined it.
func (m *manager) rollback() {
	for i := len(m.created) - 1; i >= 0; i-- {
		_ = os.Remove(m.created[i])
	}
	m.created = nil
}

// mkdirFromRoot creates root/rel one component at a time so it knows which
// directories are its own (only those are removed by Destroy). An existing
// leaf is joined (see joinable).
func mkdirFromRoot(root, rel string, cpuset, v2 bool) ([]string, error) {
	var made []string
	undo := func() {
		for i := len(made) - 1; i >= 0; i-- {
			_ = os.Remove(made[i])
		}
	}
	parts := strings.Split(strings.Trim(rel, "/"), "/")
	cur := root
	for i, c := range parts {
		next := filepath.Join(cur, c)
		leaf := i == len(parts)-1
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			made = append(made, next)
			if err := initDir(cur, next, cpuset, v2, leaf); err != nil {
				undo()
				return nil, err
			}
		case errors.Is(err, os.ErrExist) && !leaf:
			// An existing parent (e.g. /hutch shared by containers) is
			// used as is and never written to. One that holds processes
			// is a container's (or a process's) own cgroup: nested in it,
			// this container's processes would be that one's too (its kill
			// --all, pause and delete reach the whole subtree).
			if procs, err := readFile(next, "cgroup.procs"); err == nil && procs != "" {
				undo()
				return nil, fmt.Errorf("linux.cgroupsPath: %s holds processes (it is another container's or a process's cgroup); a container's cgroup cannot be nested in it", next)
			}
		case errors.Is(err, os.ErrExist):
			// An existing leaf is joined, as runc joins it (delegated
			// subtrees and rootless setups prepare it for the runtime).
			// It is not hutch's: delete leaves it, and only a cgroup hutch
			// created is taken as the container's list of processes.
			if err := joinable(next); err != nil {
				undo()
				return nil, err
			}
		default:
			undo()
			return nil, fmt.Errorf("linux.cgroupsPath: mkdir %s: %w", next, unwrapPath(err))
		}
		cur = next
	}
	return made, nil
}

// joinable checks an existing leaf: a frozen one is refused (the init
// would stop as it joins it).
func joinable(dir string) error {
	if st, err := readFile(dir, "freezer.state"); err == nil && st != "THAWED" {
		return fmt.Errorf("linux.cgroupsPath: %s exists and is frozen (freezer.state %s): thaw it or choose another path", dir, st)
	}
	if f, err := readFile(dir, "cgroup.freeze"); err == nil && f == "1" {
		return fmt.Errorf("linux.cgroupsPath: %s exists and is frozen (cgroup.freeze 1): thaw it or choose another path", dir)
	}
	return nil
}

// warnShared warns, once, when an existing leaf the container joins holds
// processes: they share the container's limits, and are never its own.
func (m *manager) warnShared() {
	made := map[string]bool{}
	for _, c := range m.created {
		made[c] = true
	}
	for _, leaf := range m.paths {
		if made[leaf] {
			continue
		}
		if procs, err := readFile(leaf, "cgroup.procs"); err == nil && procs != "" {
			pids := strings.Fields(procs)
			if len(pids) > 5 {
				pids = append(pids[:5], "...")
			}
			logrus.Warnf("linux.cgroupsPath: the existing cgroup %s holds processes that are not the container's (pid %s): the container shares it with them, its limits apply to them too, and pause is refused", m.rel, strings.Join(pids, " "))
			return
		}
	}
}

// initDir prepares a directory we just created. v1 cpuset children start
// with empty cpus/mems and refuse tasks until they are filled, so copy the
// parent's. On v2 a non-leaf dir must delegate its controllers to its child.
func initDir(parent, dir string, cpuset, v2, leaf bool) error {
	if cpuset {
		for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
			cur, err := readFile(dir, f)
			if err != nil || cur != "" {
				continue
			}
			val, err := readFile(parent, f)
			if err != nil {
				return fmt.Errorf("linux.cgroupsPath: read %s: %w", filepath.Join(parent, f), unwrapPath(err))
			}
			if err := writeFile(dir, f, val); err != nil {
				return fmt.Errorf("linux.cgroupsPath: write %s: %w", filepath.Join(dir, f), unwrapPath(err))
			}
		}
	}
	if v2 && !leaf {
		avail, err := readFile(dir, "cgroup.controllers")
		if err != nil {
			return fmt.Errorf("linux.cgroupsPath: read %s: %w", filepath.Join(dir, "cgroup.controllers"), unwrapPath(err))
		}
		// One controller per write so one refusal does not hide the rest.
		for _, c := range strings.Fields(avail) {
			if err := writeFile(dir, "cgroup.subtree_control", "+"+c); err != nil {
				logrus.Debugf("cgroups: enable %s in %s: %v", c, dir, err)
			}
		}
	}
	return nil
}

// join moves pid into every v1 leaf and, with v2, into the cgroup2 one. A
// failure under the hybrid cgroup2 mount is only logged: the v1
// controllers carry the limits there.
func (m *manager) join(pid int, v2 bool) error {
	p := strconv.Itoa(pid)
	for _, d := range m.v1Dirs() {
		if err := writeFile(d, "cgroup.procs", p); err != nil {
			return fmt.Errorf("linux.cgroupsPath: add pid %d to %s: %w", pid, filepath.Join(d, "cgroup.procs"), unwrapPath(err))
		}
	}
	if d, ok := m.paths[""]; ok && v2 {
		if err := writeFile(d, "cgroup.procs", p); err != nil {
			err = fmt.Errorf("linux.cgroupsPath: add pid %d to %s: %w", pid, filepath.Join(d, "cgroup.procs"), unwrapPath(err))
			if len(m.v1Dirs()) == 0 {
				return err
			}
			logrus.Warn(err)
		}
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
