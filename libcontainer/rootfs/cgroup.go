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
	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
)

const hostCgroupRoot = "/sys/fs/cgroup"

// cgroup mounts the container's view of its cgroups at the destination,
// following the host's layout (v2, or v1/hybrid with one dir per hierarchy).
func (e *entry) cgroup(opts mountOpts) error {
	var sfs unix.Statfs_t
	if err := unix.Statfs(hostCgroupRoot, &sfs); err != nil {
		return e.err("statfs "+hostCgroupRoot, err)
	}
	mounts, err := mountinfo.Self()
	if err != nil {
		return e.err("read mountinfo", err)
	}
	own, err := readOwnCgroups()
	if err != nil {
		return e.err("read /proc/self/cgroup", err)
	}
	if sfs.Type == unix.CGROUP2_SUPER_MAGIC {
		return e.cgroup2(e.m.Destination, opts, mounts, own)
	}
	return e.cgroup1(opts, mounts, own)
}

// cgroupOpts are the flags of every cgroup (sub)mount: the user's ro,
// always nosuid/nodev/noexec.
func cgroupOpts(opts mountOpts) mountOpts {
	return mountOpts{flags: opts.flags&unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC}
}

func (e *entry) cgroup2(dest string, opts mountOpts, mounts []mountinfo.Mount, own map[string]string) error {
	sub := cgroupOpts(opts)
	if e.o.NewCgroupNS {
		err := e.fsMount("cgroup2", "cgroup2", dest, sub)
		// Not the owner of the cgroup namespace: bind our own cgroup instead.
		if !errors.Is(err, unix.EPERM) {
			return err
		}
	}
	for _, m := range mounts {
		if m.FSType == "cgroup2" && isUnder(m.Mountpoint, hostCgroupRoot) {
			src, err := hostCgroupDir(m, own[""])
			if err != nil {
				return e.err("cgroup2", err)
			}
			sub.flags |= unix.MS_BIND
			return e.bind(src, dest, sub)
		}
	}
	return e.err("cgroup2", errors.New("no cgroup2 mount found on the host"))
}

func (e *entry) cgroup1(opts mountOpts, mounts []mountinfo.Mount, own map[string]string) error {
	dest := e.m.Destination
	tmpfs := mountOpts{
		flags: unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC,
		data:  []string{"mode=755"},
	}
	if err := e.fsMount("tmpfs", "tmpfs", dest, tmpfs); err != nil {
		return err
	}
	// Latest mount per mount point wins, as in path lookup.
	byDir := map[string]mountinfo.Mount{}
	for _, m := range mounts {
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
			if err := e.cgroup2(sub, opts, mounts, own); err != nil {
				return err
			}
			continue
		}
		if err := e.cgroup1Hierarchy(m, sub, opts, own); err != nil {
			return err
		}
	}
	if err := e.cgroupSymlinks(dest); err != nil {
		return err
	}
	if opts.flags&unix.MS_RDONLY != 0 {
		mnt, err := pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH)
		if err != nil {
			return e.err("reopen mount", err)
		}
		err = remountBind(mnt, unix.MS_RDONLY|tmpfs.flags, 0)
		mnt.Close()
		if err != nil {
			return e.err("remount read-only", err)
		}
	}
	return e.finish(dest, opts)
}

func (e *entry) cgroup1Hierarchy(m mountinfo.Mount, dest string, opts mountOpts, own map[string]string) error {
	ctrls, cgPath, ok := matchHierarchy(m, own)
	if !ok {
		// Not a hierarchy this process belongs to (e.g. a named one
		// mounted by hand): nothing meaningful to show.
		return nil
	}
	sub := cgroupOpts(opts)
	if e.o.NewCgroupNS {
		sub.data = []string{ctrls}
		err := e.fsMount("cgroup", "cgroup", dest, sub)
		if !errors.Is(err, unix.EPERM) {
			return err
		}
		sub.data = nil
	}
	src, err := hostCgroupDir(m, cgPath)
	if err != nil {
		return e.err("cgroup "+ctrls, err)
	}
	sub.flags |= unix.MS_BIND
	return e.bind(src, dest, sub)
}

// matchHierarchy finds the /proc/self/cgroup line of a v1 mount: the one
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

// hostCgroupDir maps a cgroup path (as in /proc/self/cgroup) to the host
// directory under the hierarchy's mount point.
func hostCgroupDir(m mountinfo.Mount, cgPath string) (string, error) {
	if cgPath == "" {
		cgPath = "/"
	}
	if !isUnder(cgPath, m.Root) {
		return "", fmt.Errorf("cgroup %s is outside the mount of %s (root %s)", cgPath, m.Mountpoint, m.Root)
	}
	dir := filepath.Join(m.Mountpoint, strings.TrimPrefix(cgPath, m.Root))
	if _, err := os.Stat(dir); err != nil {
		return "", err
	}
	return dir, nil
}

// readOwnCgroups maps the controller list ("" for v2) to the cgroup path.
func readOwnCgroups() (map[string]string, error) {
	f, err := os.Open("/proc/self/cgroup")
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

// cgroupSymlinks copies the host's co-mount aliases (cpu -> cpu,cpuacct).
func (e *entry) cgroupSymlinks(dest string) error {
	ents, err := os.ReadDir(hostCgroupRoot)
	if err != nil {
		return e.err("read "+hostCgroupRoot, err)
	}
	var dir *os.File
	defer func() {
		if dir != nil {
			dir.Close()
		}
	}()
	for _, ent := range ents {
		if ent.Type()&os.ModeSymlink == 0 {
			continue
		}
		target, err := os.Readlink(filepath.Join(hostCgroupRoot, ent.Name()))
		if err != nil {
			return e.err("readlink", err)
		}
		if dir == nil {
			if dir, err = pathsafe.OpenInRootFd(e.root, dest, unix.O_PATH|unix.O_DIRECTORY); err != nil {
				return e.err("reopen mount", err)
			}
		}
		if err := unix.Symlinkat(target, int(dir.Fd()), ent.Name()); err != nil && err != unix.EEXIST {
			return e.err("symlink "+ent.Name(), err)
		}
	}
	return nil
}
