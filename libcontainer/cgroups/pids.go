package cgroups

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// pidsDir picks the hierarchy to list processes from. Every hierarchy holds
// every container process, but on hybrid hosts the cgroup2 leaf may have
// been skipped, so v1 is preferred.
func (m *manager) pidsDir() (string, bool) {
	for _, c := range []string{"pids", "freezer", "memory", "devices", "cpu", "name=systemd"} {
		if d, ok := m.paths[c]; ok {
			return d, true
		}
	}
	if d := m.v1Dirs(); len(d) > 0 {
		return d[0], true
	}
	d, ok := m.paths[""]
	return d, ok
}

func (m *manager) GetPids() ([]int, error) {
	dir, ok := m.pidsDir()
	if !ok {
		return nil, errors.New("cgroups: no cgroup paths known")
	}
	return pidsUnder(dir)
}

func (m *manager) FreezerPids() ([]int, error) {
	dir, _, err := m.freezer()
	if err != nil {
		return nil, err
	}
	return pidsUnder(dir)
}

// pidsUnder lists the pids of the cgroup dir and its descendants.
func pidsUnder(dir string) ([]int, error) {
	seen := map[int]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			// A nested cgroup removed during the walk is fine.
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		s, err := readFile(p, "cgroup.procs")
		if err != nil {
			if p != dir && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(s) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("cgroups: bad pid %q in %s", f, filepath.Join(p, "cgroup.procs"))
			}
			seen[pid] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cgroups: list pids of %s: %w", dir, err)
	}
	out := make([]int, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Ints(out)
	return out, nil
}
