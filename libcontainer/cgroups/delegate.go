package cgroups

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// DelegatedParent returns, for an unprivileged caller on a pure cgroup v2
// host, a cgroup (path relative to the cgroup2 root) under which the caller
// may create container cgroups: a subtree delegated to it (systemd's
// Delegate=yes chowns the directory and its cgroup.procs and
// cgroup.subtree_control to the user). The parent of the caller's own cgroup
// is preferred: the caller's own cgroup holds processes, and cgroup v2 lets
// no cgroup with processes enable controllers for its children. ok is false
// when there is no such subtree (v1 or hybrid hosts, or nothing delegated).
func DelegatedParent() (rel string, ok bool) {
	h, err := detect()
	if err != nil || h.mode != Unified || h.unified == "" {
		return "", false
	}
	own, err := ownV2Cgroup("/proc/self/cgroup")
	if err != nil {
		return "", false
	}
	return pickDelegated(h.unified, own, os.Geteuid())
}

// pickDelegated is DelegatedParent on an explicit cgroup2 mount.
func pickDelegated(mnt, own string, euid int) (string, bool) {
	if parent := filepath.Dir(own); own != "/" && parent != "/" && ownedCgroup(filepath.Join(mnt, parent), euid) {
		return parent, true
	}
	if own != "/" && ownedCgroup(filepath.Join(mnt, own), euid) {
		return own, true
	}
	return "", false
}

// ownedCgroup: the directory and the files that creating a child cgroup,
// moving a process and enabling controllers write belong to euid.
func ownedCgroup(dir string, euid int) bool {
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		var st unix.Stat_t
		if unix.Stat(p, &st) != nil || int(st.Uid) != euid {
			return false
		}
		if unix.Access(p, unix.W_OK) != nil {
			return false
		}
	}
	return true
}

// ownV2Cgroup reads the "0::/path" line of a /proc/PID/cgroup file.
func ownV2Cgroup(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "0::"); ok {
			return filepath.Clean("/" + p), nil
		}
	}
	return "", fmt.Errorf("%s: no cgroup v2 entry", file)
}
