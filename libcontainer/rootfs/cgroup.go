package rootfs

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
)

const hostCgroupRoot = "/sys/fs/cgroup"

// CgroupView is what the container init sees of the host's cgroups, read
// by the parent through /proc/PID once the init is in its namespaces: the
// init's mounts, its cgroups, the layout under /sys/fs/cgroup.
type CgroupView struct {
	pid     int
	unified bool
	mounts  []mountinfo.Mount
	own     map[string]string // controllers ("" for v2) -> cgroup path
	links   [][2]string       // co-mount aliases in /sys/fs/cgroup: {name, target}
}

// ReadCgroupView reads the view of the init with host pid pid.
func ReadCgroupView(pid int) (*CgroupView, error) {
	v := &CgroupView{pid: pid}
	root := fmt.Sprintf("/proc/%d/root", pid)
	var sfs unix.Statfs_t
	if err := unix.Statfs(root+hostCgroupRoot, &sfs); err != nil {
		return nil, fmt.Errorf("statfs %s: %w", hostCgroupRoot, err)
	}
	v.unified = sfs.Type == unix.CGROUP2_SUPER_MAGIC
	var err error
	if v.mounts, err = mountinfo.Read(fmt.Sprintf("/proc/%d/mountinfo", pid)); err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	if v.own, err = readCgroups(fmt.Sprintf("/proc/%d/cgroup", pid)); err != nil {
		return nil, fmt.Errorf("read /proc/%d/cgroup: %w", pid, err)
	}
	if !v.unified {
		ents, err := os.ReadDir(root + hostCgroupRoot)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", hostCgroupRoot, err)
		}
		for _, ent := range ents {
			if ent.Type()&os.ModeSymlink == 0 {
				continue
			}
			target, err := os.Readlink(filepath.Join(root+hostCgroupRoot, ent.Name()))
			if err != nil {
				return nil, fmt.Errorf("readlink: %w", err)
			}
			v.links = append(v.links, [2]string{ent.Name(), target})
		}
	}
	return v, nil
}

// cgroup mounts the container's view of its cgroups at the destination,
// following the host's layout (v2, or v1/hybrid with one dir per hierarchy).
func (e *entry) cgroup(opts mountOpts) error {
	v := e.o.Cgroups
	if v == nil {
		return e.err("cgroup", errors.New("the host's cgroups were not read"))
	}
	if v.unified {
		return e.cgroup2(e.m.Destination, opts)
	}
	return e.cgroup1(opts)
}

// cgroupOpts are the flags of every cgroup (sub)mount: the user's ro,
// always nosuid/nodev/noexec.
func cgroupOpts(opts mountOpts) mountOpts {
	return mountOpts{flags: opts.flags&unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC}
}

// cgroup2 mounts cgroup2 in a cgroup namespace of the container's own,
// and binds the container's own cgroup where that is not possible (not the
// owner of the cgroup namespace: EPERM).
func (e *entry) cgroup2(dest string, opts mountOpts) error {
	sub := cgroupOpts(opts)
	bind := func() error {
		// The last mount wins: a later one on the same place hides the
		// earlier (a private cgroup2 mounted over a hybrid layout).
		var found *mountinfo.Mount
		for i, m := range e.o.Cgroups.mounts {
			if m.FSType == "cgroup2" && isUnder(m.Mountpoint, hostCgroupRoot) {
				found = &e.o.Cgroups.mounts[i]
			}
		}
		if found == nil {
			return e.err("cgroup2", errors.New("no cgroup2 mount found on the host"))
		}
		src, err := e.o.Cgroups.hostDir(*found, e.o.Cgroups.own[""])
		if err != nil {
			return e.err("cgroup2", err)
		}
		b := sub
		b.flags |= unix.MS_BIND
		return e.bind(src, dest, b)
	}
	if !e.o.NewCgroupNS {
		return bind()
	}
	return e.fsMount("cgroup2", "cgroup2", dest, sub, e.alternative(bind))
}

func (e *entry) cgroup1(opts mountOpts) error {
	dest := e.m.Destination
	v := e.o.Cgroups
	tmpfs := mountOpts{
		flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC,
		data:  []string{"mode=755"},
	}
	if err := e.fsMount("tmpfs", "tmpfs", dest, tmpfs, nil); err != nil {
		return err
	}
	// Latest mount per mount point wins, as in path lookup.
	byDir := map[string]mountinfo.Mount{}
	for _, m := range v.mounts {
		if path.Dir(m.Mountpoint) == hostCgroupRoot && (m.FSType == "cgroup" || m.FSType == "cgroup2") {
			byDir[m.Mountpoint] = m
		}
	}
	dirs := make([]string, 0, len(byDir))
	for d := range byDir {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		m := byDir[d]
		sub := path.Join(dest, path.Base(d))
		if m.FSType == "cgroup2" {
			if err := e.cgroup2(sub, opts); err != nil {
				return err
			}
			continue
		}
		if err := e.cgroup1Hierarchy(m, sub, opts); err != nil {
			return err
		}
	}
	for _, l := range v.links {
		e.add('l', dest, l[1], l[0])
	}
	if opts.flags&unix.MS_RDONLY != 0 {
		e.add('r', dest, num(unix.MS_RDONLY|tmpfs.flags), "0", "remount read-only")
	}
	return e.finish(dest, opts)
}

func (e *entry) cgroup1Hierarchy(m mountinfo.Mount, dest string, opts mountOpts) error {
	v := e.o.Cgroups
	ctrls, cgPath, ok := matchHierarchy(m, v.own)
	if !ok {
		// Not a hierarchy this process belongs to (e.g. a named one
		// mounted by hand): nothing meaningful to show.
		return nil
	}
	sub := cgroupOpts(opts)
	bind := func() error {
		src, err := v.hostDir(m, cgPath)
		if err != nil {
			return e.err("cgroup "+ctrls, err)
		}
		b := sub
		b.flags |= unix.MS_BIND
		return e.bind(src, dest, b)
	}
	if !e.o.NewCgroupNS {
		return bind()
	}
	fs := sub
	fs.data = []string{ctrls}
	return e.fsMount("cgroup", "cgroup", dest, fs, e.alternative(bind))
}

// matchHierarchy finds the /proc/PID/cgroup line of a v1 mount: the one
// whose controllers all appear in the mount's super options.
func matchHierarchy(m mountinfo.Mount, own map[string]string) (ctrls, cgPath string, ok bool) {
	super := map[string]bool{}
	for _, o := range strings.Split(m.SuperOpts, ",") {
		super[o] = true
	}
	for c, p := range own {
		if c == "" {
			continue
		}
		all := true
		for _, x := range strings.Split(c, ",") {
			all = all && super[x]
		}
		if all {
			return c, p, true
		}
	}
	return "", "", false
}

// hostDir maps a cgroup path (as in /proc/PID/cgroup) to the directory
// under the hierarchy's mount point, as the init sees it.
func (v *CgroupView) hostDir(m mountinfo.Mount, cgPath string) (string, error) {
	dir, err := hostCgroupDir(m, cgPath)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d/root%s", v.pid, dir)); err != nil {
		return "", err
	}
	return dir, nil
}

// hostCgroupDir maps a cgroup path to the directory under the hierarchy's
// mount point.
func hostCgroupDir(m mountinfo.Mount, cgPath string) (string, error) {
	if cgPath == "" {
		cgPath = "/"
	}
	if !isUnder(cgPath, m.Root) {
		return "", fmt.Errorf("cgroup %s is outside the mount of %s (root %s)", cgPath, m.Mountpoint, m.Root)
	}
	return filepath.Join(m.Mountpoint, strings.TrimPrefix(cgPath, m.Root)), nil
}

// readCgroups maps the controller list ("" for v2) to the cgroup path.
func readCgroups(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) == 3 {
			out[parts[1]] = parts[2]
		}
	}
	return out, sc.Err()
}
