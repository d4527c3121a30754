package cgroups

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
)

// Mode is the cgroup layout of the host.
type Mode int

const (
	// Legacy: only cgroup v1 hierarchies.
	Legacy Mode = iota
	// Hybrid: v1 controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
	Hybrid
	// Unified: pure cgroup v2 at /sys/fs/cgroup.
	Unified
)

func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case Hybrid:
		return "hybrid"
	case Unified:
		return "unified"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

const defaultRoot = "/sys/fs/cgroup"

// host describes where the hierarchies are mounted.
type host struct {
	mode Mode
	// v1 maps a v1 controller ("memory", "name=systemd", ...) to the
	// mount point of its hierarchy.
	v1 map[string]string
	// unified is the cgroup2 mount point, "" when there is none.
	unified string
}

var (
	hostOnce sync.Once
	hostInfo *host
	hostErr  error
)

// detect returns the (cached) host layout.
func detect() (*host, error) {
	hostOnce.Do(func() {
		f, err := os.Open("/proc/self/mountinfo")
		if err != nil {
			hostErr = fmt.Errorf("cgroups: detect hierarchies: %w", err)
			return
		}
		defer f.Close()
		hostInfo, hostErr = parseMountinfo(f, isCgroup2(defaultRoot))
	})
	return hostInfo, hostErr
}

// HostMode reports whether this host uses cgroup v1, hybrid or v2.
func HostMode() (Mode, error) {
	h, err := detect()
	if err != nil {
		return 0, err
	}
	return h.mode, nil
}

func isCgroup2(p string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return false
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

// v1Controllers are the mount options that name a v1 controller; named
// hierarchies ("name=systemd") are recognised separately.
var v1Controllers = map[string]bool{
	"cpu": true, "cpuacct": true, "cpuset": true, "memory": true, "devices": true,
	"freezer": true, "net_cls": true, "net_prio": true, "blkio": true,
	"perf_event": true, "hugetlb": true, "pids": true, "rdma": true, "misc": true,
}

// parseMountinfo reads /proc/self/mountinfo. rootIsV2 is the statfs verdict
// for /sys/fs/cgroup, which settles the pure-v2 case without guessing.
func parseMountinfo(r io.Reader, rootIsV2 bool) (*host, error) {
	mounts, err := mountinfo.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("cgroups: read mountinfo: %w", err)
	}
	h := &host{v1: map[string]string{}}
	var v2mounts []string
	for _, m := range mounts {
		switch m.FSType {
		case "cgroup2":
			v2mounts = append(v2mounts, m.Mountpoint)
		case "cgroup":
			for _, opt := range strings.Split(m.SuperOpts, ",") {
				if v1Controllers[opt] || strings.HasPrefix(opt, "name=") {
					// The first mount wins; later ones are usually bind
					// mounts of the same hierarchy.
					if _, ok := h.v1[opt]; !ok {
						h.v1[opt] = m.Mountpoint
					}
				}
			}
		}
	}
	if rootIsV2 {
		return &host{mode: Unified, v1: map[string]string{}, unified: defaultRoot}, nil
	}
	h.unified = pickUnified(v2mounts)
	switch {
	case len(h.v1) == 0 && h.unified != "":
		h.mode = Unified
	case len(h.v1) == 0:
		return nil, errors.New("cgroups: no cgroup hierarchy is mounted")
	case h.unified != "":
		h.mode = Hybrid
	default:
		h.mode = Legacy
	}
	return h, nil
}

// pickUnified prefers the conventional hybrid location over other cgroup2
// mounts (for example ones bind-mounted into containers).
func pickUnified(mounts []string) string {
	for _, m := range mounts {
		if m == filepath.Join(defaultRoot, "unified") || m == defaultRoot {
			return m
		}
	}
	if len(mounts) > 0 {
		return mounts[0]
	}
	return ""
}

// v2Usable lists the controllers that cgroups below the cgroup2 root can
// use. We never write the root's cgroup.subtree_control (it is not ours), so
// only controllers the host already delegates count.
func (h *host) v2Usable() map[string]bool {
	out := map[string]bool{}
	if h.unified == "" {
		return out
	}
	s, err := readFile(h.unified, "cgroup.subtree_control")
	if err != nil {
		return out
	}
	for _, c := range strings.Fields(s) {
		out[c] = true
	}
	return out
}
