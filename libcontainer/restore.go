package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/console"
	"github.com/hutch-runtime/hutch/libcontainer/criu"
	"github.com/hutch-runtime/hutch/libcontainer/errs"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
	"github.com/hutch-runtime/hutch/libcontainer/spec"
	"github.com/hutch-runtime/hutch/libcontainer/state"
	"github.com/hutch-runtime/hutch/libcontainer/userns"
)

// RestoreOpts are the inputs of `hutch restore`: create's (the new
// container's id, bundle, pid file, console) and CRIU's.
type RestoreOpts struct {
	CreateOpts
	CriuOpts
	LsmProfile      string
	LsmMountContext string
}

// criuRoot is the state directory's mount point of the container's root
// during a restore: CRIU wants a mount point whose parent is not
// overmounted.
const criuRoot = "criu-root"

// Restore makes container o.ID from the bundle's config and the images of
// a checkpoint: its state directory and cgroup as create makes them, its
// processes, namespaces and mounts by CRIU. The restored init is the
// caller's child. On failure nothing is left behind.
func Restore(store state.Store, o RestoreOpts) (st *state.State, err error) {
	if err := state.ValidateID(o.ID); err != nil {
		return nil, err
	}
	if o.NoPivot {
		return nil, errors.New("--no-pivot: CRIU always pivots into the restored root; a root where pivot_root fails cannot be restored")
	}
	if os.Geteuid() != 0 || userns.Rootless() {
		return nil, errors.New("restore needs root: CRIU cannot restore a rootless container")
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, err
	}
	s, err := spec.Load(bundle)
	if err != nil {
		return nil, err
	}
	if s.Linux != nil && len(s.Linux.NetDevices) > 0 {
		return nil, errors.New("linux.netDevices: restore cannot move host network devices into the network namespace CRIU restores; leave them out of the config (or join a prepared namespace by path)")
	}
	cfg, err := prepare(s, bundle, &o.CreateOpts)
	if err != nil {
		return nil, err
	}
	defer closeJoined(cfg.joined)
	bin, err := criu.Find(o.Criu)
	if err != nil {
		return nil, err
	}
	r, err := commonOpts(&o.CriuOpts, "restore.log", false)
	if err != nil {
		return nil, err
	}
	defer r.close()
	var fds, extFds []string
	if err := readImageJSON(o.ImagePath, DescriptorsFile, &fds, false); err != nil {
		return nil, err
	}
	if err := readImageJSON(o.ImagePath, ExternalFdsFile, &extFds, true); err != nil {
		return nil, err
	}
	p, err := newLauncher(store, o.CreateOpts, s, bundle, cfg)
	if err != nil {
		return nil, err
	}
	entry := p.entry
	defer entry.Close()
	defer func() {
		if err != nil {
			if p.cgroup != nil && p.cgroup.Owned() {
				// CRIU may have restored tasks into it before failing,
				// before any pid was reported.
				killCgroup(p.cgroup)
			}
			p.abort()
		}
	}()
	if err := p.saveConfig(); err != nil {
		return nil, err
	}
	if err := p.setupCgroup(); err != nil {
		return nil, err
	}
	if err := entry.Save(p.st); err != nil {
		return nil, err
	}
	if err := restoreMountpoints(s, bundle, p.rootfs); err != nil {
		return nil, err
	}
	root, unmount, err := mountCriuRoot(entry, p.rootfs)
	if err != nil {
		return nil, err
	}
	defer unmount()

	opts := r.opts
	opts.Root = ptr(root)
	opts.RstSibling = ptr(true) // the restored init is our child
	opts.EvasiveDevices = ptr(true)
	if o.LsmProfile != "" {
		opts.LsmProfile = ptr(o.LsmProfile)
	}
	if o.LsmMountContext != "" {
		opts.LsmMountContext = ptr(o.LsmMountContext)
	}
	criuConfigFile(s.Annotations, opts)
	extra, err := restoreNamespaces(s, cfg.joined, opts)
	if err != nil {
		return nil, err
	}
	opts.ExtMnt = restoreMounts(s, bundle, p.cgroup)
	for i, d := range fds {
		if strings.HasPrefix(d, "pipe:") {
			// The restored process gets our fd i in place of that pipe.
			opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: ptr(d), Fd: ptr(int32(i))})
		}
	}
	for i, k := range extFds {
		if k != "" && i < 3 {
			opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: ptr(k), Fd: ptr(int32(i))})
		}
	}
	req := criu.Request{
		Type: rpc.CriuReqType_RESTORE, Opts: opts,
		Stdio: [3]*os.File{os.Stdin, os.Stdout, os.Stderr}, Extra: extra,
		Started: func(pid int) error { return p.criuJoinCgroup(pid, opts) },
		Notify:  func(n criu.Notification) error { return p.restoreNotify(n, o.CreateOpts) },
	}
	if _, err := bin.Run(req); err != nil {
		return nil, errs.New("restore", "", "", r.failed(err))
	}
	if p.st.Pid == 0 {
		return nil, errors.New("restore: CRIU did not report the restored init")
	}
	p.st.Annotations = p.stateAnnotations()
	p.st.Creating = false
	if err := entry.Save(p.st); err != nil {
		p.st.Creating = true
		return nil, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, p.st.Pid); err != nil {
			return nil, err
		}
	}
	return p.st, nil
}

// readImageJSON decodes one of checkpoint's JSON files in the image
// directory into v; an absent optional one (external-fds.json in images
// another runtime made) leaves v as it is.
func readImageJSON(dir, name string, v any, optional bool) error {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if optional && errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--image-path: %w (is it a checkpoint's image directory?)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("--image-path: %s: %w", name, err)
	}
	return nil
}

// restoreMountpoints makes, in a root that may be fresh (another bundle),
// the mount points CRIU will mount on, as create makes them: those of the
// config's mounts that no other mount of the config contains (the others
// are inside a tmpfs CRIU refills, a bind source that has them, or proc and
// sysfs). Paths resolve inside the root.
func restoreMountpoints(s *specs.Spec, bundle, rootfs string) error {
	for i, m := range s.Mounts {
		dest := path.Clean(m.Destination)
		if dest == "/" || m.Type == "cgroup" || m.Type == "cgroup2" {
			continue
		}
		nested := false
		for j, o := range s.Mounts {
			od := path.Clean(o.Destination)
			if j != i && od != dest && (od == "/" || strings.HasPrefix(dest, od+"/")) {
				nested = true
				break
			}
		}
		if nested {
			continue
		}
		var f *os.File
		var err error
		if src, ok := bindSource(m, bundle); ok && !isDir(src) {
			f, err = pathsafe.CreateInRoot(rootfs, dest, 0o644)
		} else {
			f, err = pathsafe.MkdirAllInRoot(rootfs, dest, 0o755)
		}
		if err != nil {
			return fmt.Errorf("mounts[%d].destination %s: mount point for CRIU: %w", i, m.Destination, err)
		}
		f.Close()
	}
	return nil
}

// bindSource is a bind mount's source on the host (relative to the
// bundle if relative).
func bindSource(m specs.Mount, bundle string) (string, bool) {
	if !spec.IsBind(m) {
		return "", false
	}
	if filepath.IsAbs(m.Source) {
		return m.Source, true
	}
	return filepath.Join(bundle, m.Source), true
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// mountCriuRoot binds the container's root on the state directory's
// criu-root; unmount undoes it (the restored container has its own copy).
func mountCriuRoot(entry *state.Entry, rootfs string) (string, func(), error) {
	d, err := entry.Mkdir(criuRoot, 0o755)
	if err != nil {
		return "", nil, err
	}
	d.Close()
	root := filepath.Join(entry.Dir(), criuRoot)
	if err := unix.Mount(rootfs, root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		entry.Remove(criuRoot)
		return "", nil, fmt.Errorf("bind root.path %s for CRIU: %w", rootfs, err)
	}
	return root, func() {
		unix.Unmount(root, unix.MNT_DETACH)
		entry.Remove(criuRoot)
	}, nil
}

// restoreNamespaces hands CRIU the namespaces the config joins by path: the
// network and pid ones as the external namespaces checkpoint recorded (by
// fd, from 4 on), the others to join. CRIU cannot join a cgroup namespace.
func restoreNamespaces(s *specs.Spec, joined []joinedNS, opts *rpc.CriuOpts) ([]*os.File, error) {
	var extra []*os.File
	for _, n := range joined {
		file := nsKinds[n.typ].file
		switch n.typ {
		case specs.NetworkNamespace, specs.PIDNamespace:
			opts.InheritFd = append(opts.InheritFd, &rpc.InheritFd{Key: ptr(externalNSKey(file)), Fd: ptr(int32(4 + len(extra)))})
			extra = append(extra, n.file)
		case specs.CgroupNamespace:
			return nil, errors.New("linux.namespaces: CRIU cannot restore into a cgroup namespace joined by path")
		default:
			_, p := spec.HasNamespace(s, n.typ)
			opts.JoinNs = append(opts.JoinNs, &rpc.JoinNamespace{Ns: ptr(file), NsFile: ptr(p)})
		}
	}
	return extra, nil
}

// restoreMounts maps the keys checkpoint gave external mounts to their
// sources on this host: the config's bind sources, and the new cgroup's
// directories for a v1 cgroup mount made of binds. Keys the images do not
// have are ignored by CRIU.
func restoreMounts(s *specs.Spec, bundle string, m cgroups.Manager) []*rpc.ExtMountMap {
	var out []*rpc.ExtMountMap
	add := func(key, val string) {
		out = append(out, &rpc.ExtMountMap{Key: ptr(key), Val: ptr(val)})
	}
	for _, mnt := range s.Mounts {
		switch {
		case spec.IsBind(mnt):
			src, _ := bindSource(mnt, bundle)
			add(path.Clean(mnt.Destination), src)
		case mnt.Type == "cgroup" && m != nil && cgroup2Root():
			// The container's cgroup2 directory bound on the mount point.
			if dir, ok := m.Paths()[""]; ok {
				add(path.Clean(mnt.Destination), dir)
			}
		case mnt.Type == "cgroup" && m != nil:
			for _, dir := range m.Paths() {
				rel, ok := strings.CutPrefix(dir, "/sys/fs/cgroup/")
				if !ok {
					continue
				}
				hier, _, _ := strings.Cut(rel, "/")
				add(path.Join(mnt.Destination, hier), dir)
			}
		}
	}
	return out
}

// cgroup2Root: /sys/fs/cgroup is cgroup2 itself (a unified host).
func cgroup2Root() bool {
	var st unix.Statfs_t
	return unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC
}

// criuJoinCgroup puts CRIU in the container's cgroup (or systemd scope) and
// names that cgroup as the root of the restored tasks'.
func (p *initLauncher) criuJoinCgroup(pid int, opts *rpc.CriuOpts) error {
	if p.cgroup == nil {
		return nil
	}
	if err := p.cgroup.Apply(pid); err != nil {
		return err
	}
	if p.sd != nil {
		p.useCgroup(p.sd)
		p.systemdApplied()
		if err := p.entry.Save(p.st); err != nil {
			return err
		}
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return err
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, ctrl := range strings.Split(parts[1], ",") {
			opts.CgRoot = append(opts.CgRoot, &rpc.CgroupRoot{Ctrl: ptr(ctrl), Path: ptr(parts[2])})
		}
	}
	return nil
}

// restoreNotify acts on CRIU's notifications during a restore: the
// prestart and createRuntime hooks once the namespaces exist (as runc runs
// them), the restored init's pid, and the pty master of a restored
// terminal for the console socket.
func (p *initLauncher) restoreNotify(n criu.Notification, o CreateOpts) error {
	switch n.Script {
	case "setup-namespaces":
		p.initPid = n.Pid
		if h := p.spec.Hooks; h != nil {
			st := p.ociState(specs.StateCreated)
			if err := hooks.Run("prestart", h.Prestart, st); err != nil {
				return err
			}
			if err := hooks.Run("createRuntime", h.CreateRuntime, st); err != nil {
				return err
			}
		}
	case "post-restore":
		start, _, err := state.ProcStartTime(n.Pid)
		if err != nil {
			return fmt.Errorf("restored init %d vanished: %w", n.Pid, err)
		}
		p.initPid = n.Pid
		p.st.Pid, p.st.StartTime = n.Pid, start
		return p.entry.Save(p.st)
	case "orphan-pts-master":
		if len(n.Files) == 0 {
			return errors.New("no pty master came with it")
		}
		if !p.spec.Process.Terminal {
			return errors.New("the checkpoint has a terminal: process.terminal must be true, with --console-socket")
		}
		con := o.Console
		if con == nil {
			var err error
			if con, err = console.Connect(o.ConsoleSocket); err != nil {
				return err
			}
			defer con.Close()
		}
		return console.SendMaster(con, n.Files[0])
	}
	return nil
}
