package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/checkpoint-restore/go-criu/v8/rpc"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/criu"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
	"github.com/hutch-runtime/hutch/libcontainer/spec"
	"github.com/hutch-runtime/hutch/libcontainer/state"
)

// DescriptorsFile is what checkpoint writes into the image directory: the
// targets of the init's fds 0-2 as runc writes them (podman reads it), so
// that restore can hand the restored process the caller's pipes in place
// of the ones it had.
const DescriptorsFile = "descriptors.json"

// ExternalFdsFile is hutch's addition to the images: for each of the init's
// fds 0-2 that is a file opened outside the container (the caller's
// /dev/null or a log file, which CRIU cannot find in the container's
// mounts), the key CRIU recorded it under; "" for the others. restore
// hands CRIU its own fd in place of each.
const ExternalFdsFile = "external-fds.json"

// CriuOpts are the flags checkpoint and restore share (runc's).
type CriuOpts struct {
	Criu              string // --criu: the binary, or a name found in PATH
	ImagePath         string
	WorkPath          string
	TCPEstablished    bool
	ExtUnixSk         bool
	ShellJob          bool
	FileLocks         bool
	ManageCgroupsMode string
	EmptyNs           []string
	AutoDedup         bool
	LazyPages         bool
	StatusFd          int // -1: none
}

// CheckpointOpts are the inputs of `hutch checkpoint`.
type CheckpointOpts struct {
	CriuOpts
	ID              string
	ParentPath      string
	LeaveRunning    bool
	PreDump         bool
	PageServer      string // address:port
	TCPSkipInFlight bool
	LinkRemap       bool
}

// rpcOpts are the options every request carries: the image (and work)
// directory, opened; close them when done.
type rpcOpts struct {
	opts    *rpc.CriuOpts
	files   []*os.File
	logDir  string
	logFile string
}

func (r *rpcOpts) close() {
	for _, f := range r.files {
		f.Close()
	}
}

// openDir makes dir (0700, it may exist: a container can be checkpointed
// again) and opens it; the fd goes to CRIU.
func (r *rpcOpts) openDir(flag, dir string, create bool) (int32, error) {
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return 0, fmt.Errorf("%s: %w", flag, err)
		}
	}
	f, err := os.OpenFile(dir, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", flag, err)
	}
	r.files = append(r.files, f)
	return int32(f.Fd()), nil
}

// commonOpts validates the shared flags into the options of a request.
func commonOpts(o *CriuOpts, logFile string, create bool) (*rpcOpts, error) {
	if o.ImagePath == "" {
		return nil, errors.New("--image-path: the directory of the checkpoint images is needed")
	}
	mode, err := cgroupMode(o.ManageCgroupsMode)
	if err != nil {
		return nil, err
	}
	empty, err := emptyNamespaces(o.EmptyNs)
	if err != nil {
		return nil, err
	}
	r := &rpcOpts{opts: &rpc.CriuOpts{
		LogLevel: ptr(int32(4)), LogFile: ptr(logFile),
		ManageCgroups: ptr(true), ManageCgroupsMode: &mode,
		ShellJob: ptr(o.ShellJob), TcpEstablished: ptr(o.TCPEstablished),
		ExtUnixSk: ptr(o.ExtUnixSk), FileLocks: ptr(o.FileLocks), EmptyNs: ptr(empty),
		OrphanPtsMaster: ptr(true), AutoDedup: ptr(o.AutoDedup), LazyPages: ptr(o.LazyPages),
	}, logDir: o.ImagePath, logFile: logFile}
	fd, err := r.openDir("--image-path", o.ImagePath, create)
	if err != nil {
		return nil, err
	}
	r.opts.ImagesDirFd = ptr(fd)
	if o.WorkPath != "" {
		fd, err := r.openDir("--work-path", o.WorkPath, true)
		if err != nil {
			r.close()
			return nil, err
		}
		r.opts.WorkDirFd = ptr(fd)
		r.logDir = o.WorkPath
	}
	return r, nil
}

// failed adds what CRIU's log says to the error of a failed request.
func (r *rpcOpts) failed(err error) error {
	lines := criu.LogErrors(r.logDir, r.logFile, 5)
	log := filepath.Join(r.logDir, r.logFile)
	if len(lines) == 0 {
		return fmt.Errorf("%w (log: %s)", err, log)
	}
	return fmt.Errorf("%w; %s says:\n  %s", err, log, strings.Join(lines, "\n  "))
}

func cgroupMode(m string) (rpc.CriuCgMode, error) {
	switch m {
	case "":
		return rpc.CriuCgMode_DEFAULT, nil
	case "soft":
		return rpc.CriuCgMode_SOFT, nil
	case "full":
		return rpc.CriuCgMode_FULL, nil
	case "strict":
		return rpc.CriuCgMode_STRICT, nil
	case "ignore":
		return rpc.CriuCgMode_IGNORE, nil
	}
	return 0, fmt.Errorf("--manage-cgroups-mode: %q is not one of soft, full, strict, ignore", m)
}

// emptyNamespaces is --empty-ns as CRIU's clone flags: the namespaces
// created empty, their contents left to the caller (network only, as in
// runc).
func emptyNamespaces(names []string) (uint32, error) {
	var flags uint32
	for _, n := range names {
		if n != string(specs.NetworkNamespace) {
			return 0, fmt.Errorf("--empty-ns: %q is not supported (only %q)", n, specs.NetworkNamespace)
		}
		flags |= unix.CLONE_NEWNET
	}
	return flags, nil
}

// criuConfigFile applies the org.criu.config annotation, as runc does: a
// path is CRIU's configuration file for this container, an empty value
// none; without it, /etc/criu/runc.conf (hutch is runc's drop-in: the
// file operators already have applies).
func criuConfigFile(ann map[string]string, opts *rpc.CriuOpts) {
	if f, ok := ann["org.criu.config"]; ok {
		if f != "" {
			opts.ConfigFile = ptr(f)
		}
		return
	}
	opts.ConfigFile = ptr("/etc/criu/runc.conf")
}

// Checkpoint dumps a running container with CRIU into o.ImagePath. Unless
// told to leave it running (or only pre-dumping), the container is then
// gone, as after runc's checkpoint: its processes ended by CRIU, its
// state, cgroup and mounts removed. A failed dump leaves it running.
func Checkpoint(store state.Store, o CheckpointOpts) error {
	if err := state.ValidateID(o.ID); err != nil {
		return err
	}
	c, unlock, err := lockAndLoad(store, o.ID)
	if err != nil {
		return err
	}
	defer unlock()
	if c.State.Creating || (c.Status != state.Running && c.Status != state.Paused) {
		return fmt.Errorf("container %s cannot be checkpointed in %s state", o.ID, c.Status)
	}
	if os.Geteuid() != 0 || c.State.Rootless {
		return errors.New("checkpoint needs root: CRIU cannot dump a rootless container")
	}
	s, err := c.Spec()
	if err != nil {
		return err
	}
	bin, err := criu.Find(o.Criu)
	if err != nil {
		return err
	}
	r, err := commonOpts(&o.CriuOpts, "dump.log", true)
	if err != nil {
		return err
	}
	defer r.close()
	opts := r.opts
	opts.Pid = ptr(int32(c.State.Pid))
	opts.Root = ptr(c.State.Rootfs)
	opts.LeaveRunning = ptr(o.LeaveRunning)
	opts.TcpSkipInFlight = ptr(o.TCPSkipInFlight)
	opts.LinkRemap = ptr(o.LinkRemap)
	criuConfigFile(s.Annotations, opts)
	if err := externalNamespaces(s, c.State.Pid, opts); err != nil {
		return err
	}
	if m := c.cgroup(); m != nil && (m.Owned() || c.soleMember(m) == nil) {
		// CRIU freezes the tasks with the cgroup freezer rather than
		// seizing each with ptrace, but only a cgroup whose every member
		// is the container's (pause's rule): freezing a joined cgroup
		// would stop its other processes during the dump.
		paths := m.Paths()
		if p, ok := paths["freezer"]; ok {
			opts.FreezeCgroup = ptr(p)
		} else if p, ok := paths[""]; ok && !strings.HasPrefix(p, "/sys/fs/cgroup/unified/") {
			opts.FreezeCgroup = ptr(p)
		}
	}
	if o.PageServer != "" {
		host, port, err := net.SplitHostPort(o.PageServer)
		n, perr := strconv.ParseInt(port, 10, 32)
		if err != nil || perr != nil || n <= 0 {
			return fmt.Errorf("--page-server: %q is not ADDRESS:PORT", o.PageServer)
		}
		opts.Ps = &rpc.CriuPageServerInfo{Address: ptr(host), Port: ptr(int32(n))}
	}
	if o.ParentPath != "" {
		// Relative to the image directory, as CRIU reads it.
		opts.ParentImg = ptr(o.ParentPath)
		opts.TrackMem = ptr(true)
	}
	typ := rpc.CriuReqType_DUMP
	if o.PreDump {
		typ = rpc.CriuReqType_PRE_DUMP
		opts.TrackMem = ptr(true)
	}
	if !o.PreDump {
		mounts, err := mountinfo.Read(fmt.Sprintf("/proc/%d/mountinfo", c.State.Pid))
		if err != nil {
			return err
		}
		if !c.State.Alive() {
			return fmt.Errorf("container init %d exited", c.State.Pid)
		}
		for _, m := range externalMounts(s, mounts) {
			opts.ExtMnt = append(opts.ExtMnt, &rpc.ExtMountMap{Key: ptr(m), Val: ptr(m)})
		}
		keys, err := recordStdio(o.ImagePath, c.State.Pid, mounts)
		if err != nil {
			return err
		}
		opts.External = append(opts.External, keys...)
	}
	statusFd := o.StatusFd
	req := criu.Request{Type: typ, Opts: opts, Notify: func(n criu.Notification) error {
		if n.Script == "status-ready" && statusFd >= 0 {
			// The lazy-pages server is up: tell whoever waits on the fd.
			unix.Write(statusFd, []byte{0})
			unix.Close(statusFd)
			statusFd = -1
		}
		return nil
	}}
	if _, err := bin.Run(req); err != nil {
		return r.failed(err)
	}
	if o.LeaveRunning || o.PreDump {
		return nil
	}
	// CRIU has ended the container's processes: what is left is delete's.
	return destroy(c)
}

// externalNamespaces names the network and pid namespaces the container
// joined by path as external: CRIU leaves them out of the images, and
// restore hands it the namespace the new config names.
func externalNamespaces(s *specs.Spec, pid int, opts *rpc.CriuOpts) error {
	for _, typ := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.PIDNamespace} {
		if _, p := spec.HasNamespace(s, typ); p == "" {
			continue
		}
		file := nsKinds[typ].file
		var st unix.Stat_t
		if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/%s", pid, file), &st); err != nil {
			return fmt.Errorf("linux.namespaces: %s: %w", typ, err)
		}
		opts.External = append(opts.External, fmt.Sprintf("%s[%d]:%s", file, st.Ino, externalNSKey(file)))
	}
	return nil
}

// externalNSKey is the key CRIU files an external namespace under: the
// same at dump and restore ("extRootNetNS", as runc's, so that images move
// between the two runtimes).
func externalNSKey(file string) string {
	return "extRoot" + strings.ToUpper(file[:1]) + file[1:] + "NS"
}

// externalMounts lists the mount points of the container (paths inside
// it) whose source CRIU cannot find in the container itself: the config's
// bind mounts, and any mount of a filesystem's subtree that no other mount
// of the container covers (v1 cgroup directories, the notify socket's
// directory, host device nodes). CRIU records them by these keys; restore
// maps each key to its source on the host.
func externalMounts(s *specs.Spec, mounts []mountinfo.Mount) []string {
	binds := map[string]bool{}
	for _, m := range s.Mounts {
		if spec.IsBind(m) {
			binds[path.Clean(m.Destination)] = true
		}
	}
	var out []string
	seen := map[string]bool{}
	for i, m := range mounts {
		if m.Mountpoint == "/" || seen[m.Mountpoint] {
			continue
		}
		if binds[m.Mountpoint] || !covered(mounts, i) {
			seen[m.Mountpoint] = true
			out = append(out, m.Mountpoint)
		}
	}
	return out
}

// covered: mounts[i] is a whole filesystem, or a subtree of one that
// another mount of the container (not the root, which CRIU gets by path)
// shows, so CRIU can bind it from there.
func covered(mounts []mountinfo.Mount, i int) bool {
	m := mounts[i]
	if m.Root == "/" {
		return true
	}
	for j, n := range mounts {
		if j == i || n.Dev != m.Dev || n.Mountpoint == "/" {
			continue
		}
		if n.Root == "/" || m.Root == n.Root || strings.HasPrefix(m.Root, strings.TrimSuffix(n.Root, "/")+"/") {
			return true
		}
	}
	return false
}

// recordStdio writes what the init's fds 0-2 are: DescriptorsFile as runc
// writes it, and ExternalFdsFile with the keys of those that are files of
// mounts the container does not have (the caller's /dev/null, a log file:
// runc's dump fails on them with "Can't lookup mount"), which it returns
// for CRIU to treat as external. Pipes, sockets and terminals CRIU handles
// itself.
func recordStdio(dir string, pid int, mounts []mountinfo.Mount) ([]string, error) {
	inside := map[string]bool{}
	for _, m := range mounts {
		inside[strconv.Itoa(m.ID)] = true
	}
	links := make([]string, 3)
	keys := make([]string, 3)
	var ext []string
	for i := range links {
		fd := fmt.Sprintf("/proc/%d/fd/%d", pid, i)
		link, err := os.Readlink(fd)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("container init fd %d: %w", i, err)
			}
			link = "/dev/null" // closed: nothing to hand over
		}
		links[i] = link
		if err != nil || !strings.HasPrefix(link, "/") {
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(fd, &st); err != nil {
			continue
		}
		if st.Mode&unix.S_IFMT == unix.S_IFCHR && isTTY(st.Rdev) {
			continue // --shell-job's business
		}
		mnt, err := fdMountID(pid, i)
		if err != nil || inside[mnt] {
			continue
		}
		id, _ := strconv.Atoi(mnt)
		keys[i] = fmt.Sprintf("file[%x:%x]", id, st.Ino)
		ext = append(ext, keys[i])
	}
	for name, v := range map[string][]string{DescriptorsFile: links, ExternalFdsFile: keys} {
		data, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, err
		}
	}
	return ext, nil
}

// isTTY: a pty slave or a virtual console / serial line.
func isTTY(rdev uint64) bool {
	switch unix.Major(rdev) {
	case 4, 5, 136, 137, 138, 139, 140, 141, 142, 143:
		return true
	}
	return false
}

// fdMountID reads the mount id of pid's fd from its fdinfo.
func fdMountID(pid, fd int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "mnt_id:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", errors.New("no mnt_id in fdinfo")
}

func ptr[T any](v T) *T { return &v }

// destroy removes a container whose processes are gone, holding its lock:
// delete's teardown and poststop hooks.
func destroy(c *Container) error {
	if err := teardown(c.State, nil); err != nil {
		return fmt.Errorf("delete %s: %w", c.State.ID, err)
	}
	var s specHooks
	if err := c.SpecPart(&s); err == nil && s.Hooks != nil {
		st := c.OCI().State()
		st.Status = specs.StateStopped
		st.Pid = 0
		for _, e := range hooks.RunAll("poststop", s.Hooks.Poststop, &st) {
			logrus.Warnf("poststop hook failed: %v", e)
		}
	}
	return c.entry.Destroy()
}
