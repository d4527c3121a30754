package cgroups

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

func (m *manager) Destroy() error {
	dirs := m.ownedDirs()
	// Deepest first so every leaf goes before its parents.
	sort.Slice(dirs, func(i, j int) bool {
		di, dj := strings.Count(dirs[i], "/"), strings.Count(dirs[j], "/")
		if di != dj {
			return di > dj
		}
		return dirs[i] > dirs[j]
	})
	leaves := map[string]bool{}
	for _, d := range m.paths {
		leaves[filepath.Clean(d)] = true
	}
	// One deadline for the whole call: a container whose processes are
	// still alive should fail once, not once per hierarchy.
	deadline := time.Now().Add(2 * time.Second)
	var errs []error
	for _, d := range dirs {
		if leaves[d] {
			// Sub-cgroups in the container's own cgroup (exec --cgroup,
			// or made by the container) are the container's too.
			if err := removeSubdirs(d, deadline, 0); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := removeDir(d, leaves[d], deadline); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ownedDirs is Created() filtered down to directories that are a leaf of
// this manager or an ancestor of one, inside a cgroup filesystem. It guards
// against a corrupted or hand-edited state file making us rmdir elsewhere.
func (m *manager) ownedDirs() []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range m.created {
		c = filepath.Clean(c)
		if seen[c] || !filepath.IsAbs(c) {
			continue
		}
		for _, leaf := range m.paths {
			leaf = filepath.Clean(leaf)
			if (leaf == c || strings.HasPrefix(leaf, c+"/")) && onCgroupFS(filepath.Dir(c)) {
				seen[c] = true
				out = append(out, c)
				break
			}
		}
	}
	return out
}

func onCgroupFS(p string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP_SUPER_MAGIC || st.Type == unix.CGROUP2_SUPER_MAGIC
}

// removeDir rmdirs one cgroup. A leaf may stay busy for a moment after its
// last task exited, so EBUSY is retried briefly. A parent that still has
// children belongs to other containers as well and is left alone.
func removeDir(d string, leaf bool, deadline time.Time) error {
	delay := 5 * time.Millisecond
	for {
		err := unix.Rmdir(d)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			return fmt.Errorf("cgroups: rmdir %s: %w", d, err)
		}
		if !leaf && hasSubdirs(d) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroups: rmdir %s: %w (processes still in it?)", d, err)
		}
		time.Sleep(delay)
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

func hasSubdirs(d string) bool {
	ents, err := os.ReadDir(d)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.IsDir() {
			return true
		}
	}
	return false
}

// removeSubdirs removes the cgroups below d, deepest first. Only
// directories: cgroupfs has no symlinks, and its files go with their dir.
func removeSubdirs(d string, deadline time.Time, depth int) error {
	if depth > 64 {
		return fmt.Errorf("cgroups: %s: sub-cgroups nested too deep", d)
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("cgroups: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		sub := filepath.Join(d, e.Name())
		if err := removeSubdirs(sub, deadline, depth+1); err != nil {
			return err
		}
		if err := removeDir(sub, true, deadline); err != nil {
			return err
		}
	}
	return nil
}
