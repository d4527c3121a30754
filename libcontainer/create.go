// Package libcontainer is hutch's lifecycle API: the CLI files call these
// functions and nothing else does lifecycle work.
package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/cgroups/systemd"
	"github.com/hutch-runtime/hutch/libcontainer/console"
	"github.com/hutch-runtime/hutch/libcontainer/errs"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
	"github.com/hutch-runtime/hutch/libcontainer/intelrdt"
	"github.com/hutch-runtime/hutch/libcontainer/lsm"
	"github.com/hutch-runtime/hutch/libcontainer/netdev"
	"github.com/hutch-runtime/hutch/libcontainer/pathsafe"
	"github.com/hutch-runtime/hutch/libcontainer/plan"
	"github.com/hutch-runtime/hutch/libcontainer/procattr"
	"github.com/hutch-runtime/hutch/libcontainer/rlimits"
	"github.com/hutch-runtime/hutch/libcontainer/rootfs"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
	"github.com/hutch-runtime/hutch/libcontainer/spec"
	"github.com/hutch-runtime/hutch/libcontainer/state"
	"github.com/hutch-runtime/hutch/libcontainer/syncmsg"
	"github.com/hutch-runtime/hutch/libcontainer/sysctl"
	"github.com/hutch-runtime/hutch/libcontainer/timing"
	"github.com/hutch-runtime/hutch/libcontainer/userns"
)

// CreateOpts are the inputs of `hutch create` (and of `run`).
type CreateOpts struct {
	ID            string
	Bundle        string
	PidFile       string
	ConsoleSocket string
	PidfdSocket   string // --pidfd-socket: receives a pidfd of the init
	// Console, instead of ConsoleSocket: a connected socket that receives
	// the pty master (hutch run in the foreground, console.Foreground),
	// and ConsoleSize the size for a process without consoleSize.
	Console       *os.File
	ConsoleSize   *specs.Box
	NoPivot       bool
	NoNewKeyring  bool // --no-new-keyring: keep the caller's session keyring
	PreserveFds   int
	SystemdCgroup bool // --systemd-cgroup
	// NotifySocket is the caller's NOTIFY_SOCKET, proxied for the container.
	NotifySocket string
	// ListenFds is systemd socket activation's LISTEN_FDS of the caller:
	// those fds (from 3 on) go to the container ahead of --preserve-fds,
	// which then count from 3+ListenFds, as in runc.
	ListenFds int
	// Run: the caller starts the container right away (hutch run).
	Run bool
}

// Create validates the bundle, starts the container init in its namespaces
// and returns once the init waits on the exec fifo. On failure nothing is
// left behind: no state directory, cgroup, mount or process.
func Create(store state.Store, o CreateOpts) (st *state.State, err error) {
	t := timing.Start()
	defer t.Log("create")
	if err := state.ValidateID(o.ID); err != nil {
		return nil, err
	}
	if o.PreserveFds < 0 {
		return nil, fmt.Errorf("--preserve-fds: %d is negative", o.PreserveFds)
	}
	bundle, err := filepath.Abs(o.Bundle)
	if err != nil {
		return nil, err
	}
	s, err := spec.Load(bundle)
	if err != nil {
		return nil, err
	}
	t.Mark("load_config")
	cfg, err := prepare(s, bundle, &o)
	if err != nil {
		return nil, err
	}
	defer closeJoined(cfg.joined)
	t.Mark("validate")
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return nil, err
	}
	defer pidfdSock.Close()

	p, err := newLauncher(store, o, s, bundle, cfg)
	if err != nil {
		return nil, err
	}
	defer p.entry.Close()
	t.Mark("state_dir")
	p.t, p.hostMount = t, !cfg.ownMountNS
	defer func() {
		if err != nil {
			p.abort()
		} else {
			p.netdevs.Close()
		}
	}()
	if o.NotifySocket != "" {
		if p.notifyMount, err = setupNotify(p.entry, s); err != nil {
			return nil, err
		}
	}
	if err := p.start(); err != nil {
		return nil, errs.New("create", "", "", err)
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, p.st.Pid); err != nil {
			return nil, err
		}
	}
	if err := pidfdSock.send(p.st.Pid); err != nil {
		return nil, err
	}
	return p.st, nil
}

// prepared is a config made ready for create, before anything is made.
type prepared struct {
	joined     []joinedNS // opened; close them when done
	rootfs     string     // root.path, absolute, symlinks resolved
	ownMountNS bool
	// --systemd-cgroup: the scope linux.cgroupsPath names, and the unit
	// properties of the org.systemd.property.* annotations.
	scope     *cgroups.Scope
	unitProps []systemd.Property
}

// prepare normalizes and validates a loaded config for create (and fills
// in what the options add to it). It makes nothing; it only reads, and
// opens the namespaces to join. FuzzPrepare runs it on arbitrary configs.
func prepare(s *specs.Spec, bundle string, o *CreateOpts) (*prepared, error) {
	if s.Linux == nil {
		// The spec lets a config leave linux out: every namespace is
		// then the caller's.
		s.Linux = &specs.Linux{}
	}
	joined, shared, err := openJoinedNamespaces(s)
	if err != nil {
		return nil, err
	}
	p := &prepared{joined: joined}
	fail := func(err error) (*prepared, error) {
		closeJoined(joined)
		return nil, err
	}
	for _, typ := range shared {
		logrus.Debugf("linux.namespaces: the %s namespace to join is hutch's own: shared, as if the entry were absent", typ)
	}
	if err := validate(s, bundle, *o); err != nil {
		return fail(err)
	}
	if err := netdev.CheckHost(s.Linux.NetDevices); err != nil {
		return fail(err)
	}
	if err := intelrdt.Check(s.Linux.IntelRdt); err != nil {
		return fail(err)
	}
	if s.Process.Terminal && s.Process.ConsoleSize == nil {
		s.Process.ConsoleSize = o.ConsoleSize
	}
	if o.ListenFds > 0 {
		s.Process.Env = append(s.Process.Env, "LISTEN_FDS="+strconv.Itoa(o.ListenFds), "LISTEN_PID=1")
		o.PreserveFds += o.ListenFds
		o.ListenFds = 0
	}
	rootfsPath, err := spec.RootfsPath(s, bundle)
	if err != nil {
		return fail(err)
	}
	if p.rootfs, err = filepath.EvalSymlinks(rootfsPath); err != nil {
		return fail(fmt.Errorf("root.path: %w", err))
	}
	if o.SystemdCgroup {
		sc, err := cgroups.ParseScope(s.Linux.CgroupsPath, o.ID, userns.Rootless())
		if err != nil {
			return fail(err)
		}
		if p.unitProps, err = systemd.ParseAnnotations(s.Annotations); err != nil {
			return fail(err)
		}
		p.scope = &sc
	}
	p.ownMountNS, _ = spec.HasNamespace(s, specs.MountNamespace)
	if !p.ownMountNS && p.rootfs == "/" {
		// Its mounts would be made on the caller's own root.
		return fail(errors.New("root.path: / cannot be the root of a container without a mount namespace"))
	}
	return p, nil
}

// validate runs every check that needs no syscall beyond reading files.
func validate(s *specs.Spec, bundle string, o CreateOpts) error {
	if err := spec.Validate(s, bundle); err != nil {
		return err
	}
	if s.Process.Terminal && o.ConsoleSocket == "" && o.Console == nil {
		if o.Run {
			return errors.New("process.terminal: true requires --console-socket with --detach (cannot allocate tty if hutch will detach without setting console socket)")
		}
		return errors.New("process.terminal: true requires --console-socket (or set terminal to false)")
	}
	if ok, _ := spec.HasNamespace(s, specs.MountNamespace); !ok {
		// The container shares the caller's mount namespace, where its root
		// is then mounted (rootfs/hostns.go).
		if user, _ := spec.HasNamespace(s, specs.UserNamespace); user {
			return errors.New("linux.namespaces: a user namespace needs a mount namespace too: without one, the root filesystem is mounted in the caller's mount namespace, over which the container's user namespace has no privilege")
		}
		if os.Geteuid() != 0 {
			return errors.New("linux.namespaces: without a mount namespace, the root filesystem is mounted in the caller's mount namespace, which takes root: add a mount namespace")
		}
	}
	if err := capabilities.Validate(s.Process.Capabilities); err != nil {
		return err
	}
	if err := capabilities.CheckHost(s.Process.Capabilities); err != nil {
		return err
	}
	if un := capabilities.UnraisableAmbient(s.Process.Capabilities); len(un) > 0 {
		logrus.Warnf("process.capabilities.ambient: %v not in both permitted and inheritable; the kernel cannot raise them, left out", un)
	}
	if err := rlimits.Validate(s.Process.Rlimits); err != nil {
		return err
	}
	if err := procattr.Validate(s); err != nil {
		return err
	}
	if err := lsm.Validate(s.Process); err != nil {
		return err
	}
	if s.Linux != nil && s.Linux.MountLabel != "" && !lsm.SELinuxEnabled() {
		// As runc: a mount label only labels mounts, there is nothing to
		// confine (unlike process.selinuxLabel, refused above).
		logrus.Debugf("linux.mountLabel: %q ignored: SELinux is not enabled on this host", s.Linux.MountLabel)
	}
	if s.Linux != nil && s.Linux.Seccomp != nil {
		if err := seccomp.Validate(s.Linux.Seccomp); err != nil {
			return err
		}
	}
	if err := hooks.Validate(s.Hooks); err != nil {
		return err
	}
	if s.Linux != nil {
		// A joined namespace (a pod's) is the container's own too.
		ipc, _ := spec.HasNamespace(s, specs.IPCNamespace)
		net, _ := spec.HasNamespace(s, specs.NetworkNamespace)
		uts, _ := spec.HasNamespace(s, specs.UTSNamespace)
		if err := sysctl.Validate(s.Linux.Sysctl, ipc, net, uts); err != nil {
			return err
		}
		if err := netdev.Validate(s.Linux.NetDevices, net); err != nil {
			return err
		}
		if s.Linux.Resources != nil && !userns.Rootless() {
			if err := cgroups.Validate(s.Linux.Resources); err != nil {
				return err
			}
		}
	}
	return nil
}

func newNS(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	ok, path := spec.HasNamespace(s, t)
	return ok && path == ""
}

// initLauncher holds what Create builds up, so that abort can undo it.
type initLauncher struct {
	entry          *state.Entry
	spec           *specs.Spec
	opts           CreateOpts
	bundle, rootfs string

	cmd       *initCmd
	fifoFd    int
	consoleFd int
	seccompFd int
	filter    *seccomp.Filter // linux.seccomp, compiled
	treeFds   map[int]int     // mount index -> fd of its prepared tree in the init
	// notifyMount is the index of the notify directory's mount, or -1.
	notifyMount int
	initPid     int
	cgroup      cgroups.Manager
	cgroupAnn   map[string]string // rootless: requested/applied limits
	// sd: --systemd-cgroup's driver (also p.cgroup once set up).
	sd     *cgroups.SystemdManager
	joined []joinedNS // namespaces to join, opened (see openJoinedNamespaces)
	// hostMount: no mount namespace of its own, so the init mounts the root
	// in ours; hostMountBefore is the mount id on it before that.
	hostMount       bool
	hostMountBefore uint64
	// enterRoot: how the init enters its root once its mounts are made
	// (plan.EnterPivot, ...), 0 when it uses a joined mount namespace as
	// it is (see decideRoot).
	enterRoot byte
	// setup is the container's set-up, planned while the init makes its
	// namespaces (planAhead); mounts is its mount plan, which the cgroup
	// mounts complete once the init is in them.
	setup   *plan.Setup
	mounts  *rootfs.Mounts
	planErr error // planAhead's, reported at the pid
	// cgroupWait: the init waits for CgroupDone (see cgroupFirst).
	cgroupWait bool
	netdevs    *netdev.Moved
	// st is the record, saved as things are made (see Create).
	st *state.State
	t  *timing.Phases
}

// newLauncher connects to systemd for a --systemd-cgroup scope (in the
// background from here on), reserves the state directory and starts the
// record that create (and restore) keep up to date as they make things:
// what delete finds if the command is killed half-way (see teardown).
// Close p.entry when done.
func newLauncher(store state.Store, o CreateOpts, s *specs.Spec, bundle string, cfg *prepared) (*initLauncher, error) {
	var sd *cgroups.SystemdManager
	if cfg.scope != nil {
		var err error
		if sd, err = cgroups.NewSystemd(*cfg.scope, o.ID, cfg.unitProps); err != nil {
			return nil, err
		}
		sd.Create()
	}
	entry, err := store.Reserve(o.ID)
	if err != nil {
		return nil, err
	}
	p := &initLauncher{entry: entry, spec: s, opts: o, bundle: bundle, rootfs: cfg.rootfs,
		joined: cfg.joined, notifyMount: -1, sd: sd}
	p.st = &state.State{
		ID: o.ID, Bundle: bundle, Rootfs: cfg.rootfs, Created: time.Now().UTC(), Owner: owner(),
		Rootless: userns.Rootless(), NotifySocket: o.NotifySocket,
		OwnPidNS: newNS(s, specs.PIDNamespace), Creating: true,
	}
	return p, nil
}

// saveConfig keeps the config as it was at create: later edits of the
// bundle's config.json must not change this container (hooks, delete).
func (p *initLauncher) saveConfig() error {
	data, err := json.Marshal(p.spec)
	if err != nil {
		return err
	}
	return p.entry.WriteFile(state.ConfigFile, data, 0o600)
}

func (p *initLauncher) start() error {
	s := p.spec
	if err := p.saveConfig(); err != nil {
		return err
	}
	// The init's HOME, not saved: an exec computes its user's own.
	if s.Process != nil {
		setDefaultHome(s.Process, p.rootfs)
	}
	// The init may run as another uid (user namespace): let it open the
	// fifo for writing.
	fifo, err := p.entry.Mkfifo(state.FifoFile, 0o622)
	if err != nil {
		return fmt.Errorf("create exec fifo: %w", err)
	}
	defer fifo.Close()

	if s.Linux.Seccomp != nil {
		if p.filter, err = seccomp.Compile(s.Linux.Seccomp); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
		if err := p.filter.CheckLoadable(); err != nil {
			return fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	files := &initFiles{preserve: p.opts.PreserveFds}
	p.fifoFd = files.add(fifo)
	if s.Process.Terminal {
		con := p.opts.Console
		if con == nil {
			if con, err = console.Connect(p.opts.ConsoleSocket); err != nil {
				return err
			}
			defer con.Close()
		}
		p.consoleFd = files.add(con)
	}
	if usesNotify(s.Linux.Seccomp) {
		agent, err := seccomp.ConnectListener(s.Linux.Seccomp.ListenerPath)
		if err != nil {
			return err
		}
		defer agent.Close()
		p.seccompFd = files.add(agent)
	}
	trees, err := idmapTrees(s, p.bundle)
	if err != nil {
		return err
	}
	if p.notifyMount >= 0 && os.Geteuid() == 0 {
		// The state directory is its owner's alone (0700): an init
		// running as another uid (a user namespace) could not reach the
		// directory by its path.
		t, err := p.entry.OpenTree(notifyDir)
		if err != nil {
			return fmt.Errorf("NOTIFY_SOCKET: %w", err)
		}
		trees[p.notifyMount] = t
	}
	for i, f := range trees {
		defer f.Close()
		if p.treeFds == nil {
			p.treeFds = map[int]int{}
		}
		p.treeFds[i] = files.add(f)
	}
	// The namespaces to join go last, as fds the init's plan names.
	nsFds := map[specs.LinuxNamespaceType]int{}
	for _, n := range p.joined {
		nsFds[n.typ] = files.add(n.file)
	}
	if p.hostMount {
		if p.hostMountBefore, err = rootfs.MountID(p.rootfs); err != nil {
			return fmt.Errorf("root.path: %w", err)
		}
	}
	p.t.Mark("prepare")
	// Every process of the container, and the cgroup namespace it may
	// make, starts in the container's cgroup. Where the kernel can start
	// the init inside it (cgroup v2 alone: CLONE_INTO_CGROUP), the cgroup
	// is made first. Elsewhere (v1 hierarchies, a systemd scope that
	// starts with the pid) the init is moved in while it makes its
	// namespaces, and waits for that before it forks or makes a cgroup
	// namespace (plan.Bootstrap.WaitCgroup).
	first := p.cgroupFirst()
	if first {
		if err := p.setupCgroup(); err != nil {
			return err
		}
		p.t.Mark("cgroup")
		// From here on there is something for delete to clean if this
		// command dies.
		if err := p.entry.Save(p.st); err != nil {
			return err
		}
	}
	cloneDir := ""
	if p.cgroup != nil {
		cloneDir = p.cgroup.CloneInto()
	}
	cmd, parentSock, inCgroup, err := spawnInit(files, cloneDir)
	if err != nil {
		return err
	}
	defer parentSock.Close()
	p.t.Mark("spawn")
	p.cmd = cmd
	if first {
		if err := p.joinCgroup(inCgroup); err != nil {
			return err
		}
	}
	boot, err := bootstrapPlan(s, nsFds)
	if err != nil {
		return err
	}
	if !first {
		boot.WaitCgroup()
	}
	if !p.opts.NoNewKeyring {
		boot.Keyring(keyringName(p.opts.ID), 0)
	}
	// After the pid, the constructor carries out the process plan.
	boot.Process()
	if err := syncmsg.Send(parentSock, syncmsg.Bootstrap, boot.Bytes()); err != nil {
		return fmt.Errorf("send bootstrap to init: %w", err)
	}
	if !first {
		if err := p.setupCgroup(); err != nil {
			return err
		}
		p.t.Mark("cgroup")
		if err := p.entry.Save(p.st); err != nil {
			return err
		}
		if err := p.joinCgroup(false); err != nil {
			return err
		}
	}
	p.planAhead()
	p.t.Mark("plan_ahead")
	if !first {
		// A new user namespace gets its maps first: then CgroupDone
		// follows MapsDone (converse).
		p.cgroupWait = true
		if !newNS(s, specs.UserNamespace) {
			if err := p.releaseInit(parentSock); err != nil {
				return err
			}
		}
	}
	return p.converse(parentSock)
}

// converse answers the init until it reports ready (or fails).
func (p *initLauncher) converse(sock *os.File) error {
	s := p.spec
	for {
		typ, payload, err := syncmsg.Recv(sock)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return p.initDied()
			}
			return fmt.Errorf("read from init: %w", err)
		}
		switch typ {
		case syncmsg.Error:
			return syncmsg.RemoteError(payload)
		case syncmsg.NeedMaps:
			p.t.Mark("namespaces_user")
			if err := userns.WriteMaps(p.cmd.Process.Pid, s.Linux.UIDMappings, s.Linux.GIDMappings); err != nil {
				return err
			}
			if err := syncmsg.Send(sock, syncmsg.MapsDone, nil); err != nil {
				return err
			}
			if p.cgroupWait {
				if err := p.releaseInit(sock); err != nil {
					return err
				}
			}
			p.t.Mark("user_maps")
		case syncmsg.Pid:
			p.t.Mark("namespaces")
			pid, keyring, err := parsePidMsg(payload)
			if err != nil {
				return err
			}
			p.initPid = pid
			p.st.Keyring = keyring
			// The init is in its namespaces: hand it the devices before
			// any hook or container code runs.
			if p.netdevs, err = netdev.Move(s.Linux.NetDevices, pid); err != nil {
				return err
			}
			if p.planErr != nil {
				return p.planErr
			}
			if p.setup == nil {
				// Not planned ahead: the init's mount namespace decides.
				if err := p.decideRoot(); err != nil {
					return err
				}
				if p.setup, err = p.setupPlan(); err != nil {
					return err
				}
			}
			if err := p.finishMounts(pid); err != nil {
				return err
			}
			// The init is the process executor from here on: its plan
			// begins with the root's mounts.
			data, _ := json.Marshal(p.ociState(specs.StateCreated))
			pp, err := p.processPlan(data)
			if err != nil {
				return err
			}
			if err := syncmsg.Send(sock, syncmsg.ProcessPlan, pp); err != nil {
				return err
			}
			p.t.Mark("send_plan")
			if pid != p.cmd.Process.Pid {
				// The intermediate forked the init into the pid
				// namespace, sent the pid and exits: reaped while the
				// init mounts.
				p.cmd.Wait()
			}
			// On the record while the init mounts (abort kills an init
			// known but not recorded yet).
			start, _, err := state.ProcStartTime(pid)
			if err != nil {
				return fmt.Errorf("container init %d vanished: %w", pid, err)
			}
			p.st.Pid, p.st.StartTime = pid, start
			if err := p.entry.Save(p.st); err != nil {
				return err
			}
			p.t.Mark("save_pid")
		case syncmsg.Hooks:
			p.t.Mark("wait_init_mounts")
			if p.hostMount {
				// The init's root mount, made in our namespace: on the
				// record before anything else can go wrong.
				id, err := rootfs.MountID(p.rootfs)
				if err != nil {
					return fmt.Errorf("root.path: %w", err)
				}
				if id != p.hostMountBefore {
					p.st.HostRootMount = id
					if err := p.entry.Save(p.st); err != nil {
						return err
					}
				}
			}
			// The environment exists by now: the lifecycle calls the
			// container "created" from here until start.
			st := p.ociState(specs.StateCreated)
			if s.Hooks != nil {
				if err := hooks.Run("prestart", s.Hooks.Prestart, st); err != nil {
					return err
				}
				if err := hooks.Run("createRuntime", s.Hooks.CreateRuntime, st); err != nil {
					return err
				}
			}
			if err := syncmsg.Send(sock, syncmsg.HooksDone, nil); err != nil {
				return err
			}
			p.t.Mark("hooks")
		case syncmsg.Ready:
			p.t.Mark("wait_init_ready")
			p.t.Merge("init_", payload)
			err := p.finish()
			p.t.Mark("save_state")
			return err
		default:
			return fmt.Errorf("unexpected message %q from init", typ)
		}
	}
}

// processPlan is the plan of the container process (libcontainer/plan);
// state is the container's state for the startContainer hooks.
func (p *initLauncher) processPlan(state []byte) ([]byte, error) {
	s := p.spec
	// The runtime-spec: execCPUAffinity "is not applicable to the
	// container's init process"; exec applies it to the processes it
	// starts.
	init := *s.Process
	init.ExecCPUAffinity = nil
	pp := &plan.Process{
		Process: &init, Personality: s.Linux.Personality, Seccomp: p.filter,
		PreserveFds: p.opts.PreserveFds, ConsoleFd: p.consoleFd, FifoFd: p.fifoFd,
	}
	if s.Hooks != nil && len(s.Hooks.StartContainer) > 0 {
		pp.StartHooks, pp.HookState = s.Hooks.StartContainer, state
	}
	pp.Setup = p.setup
	if p.seccompFd > 0 {
		msg, err := seccomp.ListenerMessage(&specs.ContainerProcessState{
			Pid: p.initPid, Metadata: s.Linux.Seccomp.ListenerMetadata,
			State: *p.ociState(specs.StateCreated),
		})
		if err != nil {
			return nil, err
		}
		pp.NotifyFd, pp.NotifyMsg = p.seccompFd, msg
	}
	return pp.Encode()
}

// planAhead plans the container's set-up while the init makes its
// namespaces: all of it but the cgroup mounts (finishMounts), unless the
// mount namespace is joined by path, where what the init finds there
// decides (decideRoot). An error waits for the pid: by then abort knows
// every process the init made.
func (p *initLauncher) planAhead() {
	if _, joined := spec.HasNamespace(p.spec, specs.MountNamespace); joined != "" {
		return
	}
	if p.planErr = p.decideRoot(); p.planErr == nil {
		p.setup, p.planErr = p.setupPlan()
	}
}

// setupPlan is the container's own set-up after pivot_root; its mounts
// are begun (p.mounts) and completed by finishMounts.
func (p *initLauncher) setupPlan() (*plan.Setup, error) {
	s := p.spec
	l := s.Linux
	u := &plan.Setup{
		Setsid: true, LoopbackUp: newNS(s, specs.NetworkNamespace), Hooks: true,
		EnterRoot: p.enterRoot, Rootfs: p.rootfs,
		SetNames: newNS(s, specs.UTSNamespace), Hostname: s.Hostname, Domainname: s.Domainname,
		Sysctl: l.Sysctl, ReadonlyPaths: l.ReadonlyPaths, MaskedPaths: l.MaskedPaths,
		RootReadonly: s.Root != nil && s.Root.Readonly, OOMScoreAdj: s.Process.OOMScoreAdj,
		MkdirCwd: true, Timings: p.t != nil,
	}
	if s.Hooks != nil {
		u.CreateHooks = s.Hooks.CreateContainer
	}
	if p.enterRoot != 0 {
		inUserNS := p.inUserNS()
		var err error
		if p.mounts, err = p.beginMounts(inUserNS); err != nil {
			return nil, err
		}
		if err := rootfs.DevPlan(s, inUserNS, u); err != nil {
			return nil, err
		}
	}
	if l.MountLabel != "" {
		u.MaskData = rootfs.MaskData(l.MountLabel, lsm.SELinuxEnabled())
	}
	if l.RootfsPropagation != "" {
		flags, err := rootfs.ParsePropagation(l.RootfsPropagation)
		if err != nil {
			return nil, err
		}
		u.Propagation, u.PropagationFlags = l.RootfsPropagation, flags
	}
	return u, nil
}

// decideRoot decides how the init enters its root.
// A mount namespace joined by path is another's: where root.path exists in
// it, the container gets its mounts there under a bind of its root and a
// chroot, never a change of the namespace's own root or propagation. Where
// it does not, the namespace is used as it is.
func (p *initLauncher) decideRoot() error {
	s := p.spec
	_, joinedPath := spec.HasNamespace(s, specs.MountNamespace)
	switch {
	case joinedPath != "":
		p.enterRoot = plan.EnterChroot
		// Looked up as the init sees it: inside its root, in its namespace.
		root, err := os.Open(fmt.Sprintf("/proc/%d/root", p.initPid))
		if err != nil {
			return fmt.Errorf("container init %d: %w", p.initPid, err)
		}
		defer root.Close()
		if d, err := pathsafe.OpenInRootFd(root, p.rootfs, unix.O_PATH|unix.O_DIRECTORY); err == nil {
			d.Close()
			return nil
		}
		l := s.Linux
		if len(s.Mounts) > 0 || s.Root.Readonly || len(l.MaskedPaths) > 0 || len(l.ReadonlyPaths) > 0 || l.RootfsPropagation != "" {
			return fmt.Errorf("root.path: %s is not a directory in the mount namespace joined by path (%s): mounts, root.readonly, linux.maskedPaths, linux.readonlyPaths and linux.rootfsPropagation cannot be applied (leave them empty to use that namespace as it is)", p.rootfs, joinedPath)
		}
		p.enterRoot = 0
	case p.hostMount:
		p.enterRoot = plan.EnterChroot
	case p.opts.NoPivot:
		p.enterRoot = plan.EnterMove
	default:
		p.enterRoot = plan.EnterPivot
	}
	return nil
}

// beginMounts plans the root's mounts but the cgroup ones
// (rootfs.BeginMountPlan).
func (p *initLauncher) beginMounts(inUserNS bool) (*rootfs.Mounts, error) {
	s := p.spec
	_, joinedMount := spec.HasNamespace(s, specs.MountNamespace)
	o := rootfs.Options{
		Rootfs: p.rootfs, InUserNS: inUserNS,
		NewNetNS: newNS(s, specs.NetworkNamespace), NewCgroupNS: newNS(s, specs.CgroupNamespace),
		SharedMountNS: p.hostMount || joinedMount != "", TreeFds: p.treeFds,
	}
	if s.Linux.MountLabel != "" {
		o.MountLabel, o.SELinux = s.Linux.MountLabel, lsm.SELinuxEnabled()
	}
	return rootfs.BeginMountPlan(s, o)
}

// finishMounts completes the mount plan, once, with the view of the
// host's cgroups of pid, the init in its cgroups (see releaseInit): the
// cgroup mounts follow it. Nothing to do without a plan begun.
func (p *initLauncher) finishMounts(pid int) error {
	if p.mounts == nil {
		return nil
	}
	var v *rootfs.CgroupView
	if p.mounts.NeedsCgroups() {
		var err error
		if v, err = rootfs.ReadCgroupView(pid); err != nil {
			return fmt.Errorf("mounts (cgroup): container init %d: %w", pid, err)
		}
	}
	var err error
	p.setup.Mounts, err = p.mounts.Finish(v)
	p.mounts = nil
	return err
}

// inUserNS: the init is in a user namespace, its own or the one hutch runs
// in (rootless podman's): no mknod, and mounts the kernel reserves to the
// owner of the initial namespaces are refused.
func (p *initLauncher) inUserNS() bool {
	own, _ := spec.HasNamespace(p.spec, specs.UserNamespace)
	return own || userns.InUserNS()
}

// finish records the created container.
func (p *initLauncher) finish() error {
	if !p.st.Alive() {
		return fmt.Errorf("container init %d vanished", p.initPid)
	}
	st := p.st
	st.Annotations = p.stateAnnotations()
	if p.hostMount && st.HostRootMount == 0 {
		return fmt.Errorf("root.path: the container init did not mount %s", p.rootfs)
	}
	st.Creating = false
	if err := p.entry.Save(st); err != nil {
		st.Creating = true
		return err
	}
	if p.cmd.ProcessState == nil {
		// Not ours to wait for: the init outlives this command.
		p.cmd.Process.Release()
	}
	return nil
}

func (p *initLauncher) initDied() error {
	if p.initPid == 0 && p.cmd.ProcessState == nil {
		if err := p.cmd.Wait(); err != nil {
			return fmt.Errorf("container init exited during setup: %w", err)
		}
	}
	return errors.New("container init exited during setup")
}

// abort undoes a failed create with delete's teardown of the record kept
// so far (what this create started and made, nothing else), after the
// steps only create has: moving network devices back, reaping its child.
func (p *initLauncher) abort() {
	// Back to the host while the netns still exists: killing the init
	// would destroy a veth end moved in.
	p.netdevs.Rollback()
	if p.cmd != nil && p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
	if p.initPid > 0 && p.st.Pid == 0 {
		// Known but not recorded yet: its start time was not read.
		unix.Kill(p.initPid, unix.SIGKILL)
		waitGone(p.initPid, 2*time.Second)
	}
	if p.initPid > 0 && p.cmd != nil && p.cmd.Process != nil && p.initPid != p.cmd.Process.Pid {
		// The init forked into its pid namespace is this process's child
		// (CLONE_PARENT): reap it before the cgroup goes, or its zombie
		// keeps the cgroup busy (systemd's stop of a v1 scope waits for it
		// to be empty).
		unix.Kill(p.initPid, unix.SIGKILL)
		for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if pid, _ := unix.Wait4(p.initPid, nil, unix.WNOHANG, nil); pid != 0 {
				break
			}
		}
	}
	// The manager this create holds knows what it started (a systemd
	// scope of the same name that it failed to start is not its).
	if err := teardown(p.st, p.cgroup); err != nil {
		logrus.Warnf("%v", err)
	}
	if p.hostMount && p.st.HostRootMount == 0 {
		// The init failed after mounting, before it reported: the mount
		// on the root is its if it is not the one that was there.
		if id, err := rootfs.MountID(p.rootfs); err == nil && id != p.hostMountBefore {
			if err := rootfs.DetachHostRoot(p.rootfs, id); err != nil {
				logrus.Warnf("%v", err)
			}
		}
	}
	if err := p.entry.Destroy(); err != nil {
		logrus.Warnf("%v", err)
	}
}

// cgroupFirst says whether the cgroup is made before the init, which the
// kernel then starts inside it: cgroup v2 alone (an unprivileged caller's
// cgroup, if any, is a delegated v2 one), but not a systemd scope, which
// systemd starts with the init's pid.
func (p *initLauncher) cgroupFirst() bool {
	if p.sd != nil {
		return false
	}
	if userns.Rootless() {
		return true
	}
	mode, err := cgroups.HostMode()
	// An error here is setupCgroup's to report.
	return err != nil || mode == cgroups.Unified
}

// joinCgroup moves the init (the process spawned, before any fork) into
// the container's cgroup; cloned: the kernel started it in the cgroup2
// directory already.
func (p *initLauncher) joinCgroup(cloned bool) error {
	if p.cgroup == nil {
		return nil
	}
	join := p.cgroup.Apply
	if cloned {
		join = p.cgroup.ApplyCloned
	}
	if err := join(p.cmd.Process.Pid); err != nil {
		return err
	}
	p.t.Mark("cgroup_join")
	if p.sd != nil {
		// The scope runs: its directories (and, for the user's manager,
		// which of them) are known now.
		p.useCgroup(p.sd)
		p.systemdApplied()
		return p.entry.Save(p.st)
	}
	return nil
}

// releaseInit lets the init that waits for its cgroup go on past its
// namespaces (CgroupDone). Until then it is in the container's cgroups and
// has not forked: its view of the host's cgroups is the container init's
// (the same cgroups, the same mount namespace or, before its unshare, ours,
// which that one copies), so the set-up planned ahead is completed with it
// now rather than at the pid. If CgroupDone cannot be sent, the init has
// failed: converse reads its error.
func (p *initLauncher) releaseInit(sock *os.File) error {
	if p.planErr == nil {
		if err := p.finishMounts(p.cmd.Process.Pid); err != nil {
			return err
		}
		p.t.Mark("cgroup_view")
	}
	p.cgroupWait = false
	if err := syncmsg.Send(sock, syncmsg.CgroupDone, nil); err != nil {
		logrus.Debugf("send cgroup done to init: %v", err)
	}
	return nil
}

// setupCgroup creates the container's cgroup and writes its limits (see
// cgroupFirst for when).
func (p *initLauncher) setupCgroup() error {
	if p.sd != nil {
		return p.setupSystemdCgroup()
	}
	if userns.Rootless() {
		return p.setupRootlessCgroup()
	}
	path := ""
	if p.spec.Linux != nil {
		path = p.spec.Linux.CgroupsPath
	}
	// The cgroups package names linux.cgroupsPath in its errors.
	m, err := cgroups.New(path, p.opts.ID)
	if err != nil {
		return err
	}
	if err := m.Create(); err != nil {
		return err
	}
	p.useCgroup(m)
	return m.Set(p.resources())
}

// resources is linux.resources with the device rules every container
// gets.
func (p *initLauncher) resources() *specs.LinuxResources {
	res := &specs.LinuxResources{}
	if p.spec.Linux != nil && p.spec.Linux.Resources != nil {
		r := *p.spec.Linux.Resources
		res = &r
	}
	// Like runc: the config's rules, then the standard nodes. A
	// linux.devices entry makes a node and grants nothing: access to it is
	// only what linux.resources.devices allows (engines send both for a
	// device they pass), so a listed node cannot undo a deny rule.
	rules := append([]specs.LinuxDeviceCgroup{}, res.Devices...)
	if len(rules) == 0 {
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: false, Access: "rwm"})
	}
	rules = append(rules, defaultDeviceRules()[1:]...)
	res.Devices = rules
	return res
}

// useCgroup makes m, just created, the container's, in the record too.
func (p *initLauncher) useCgroup(m cgroups.Manager) {
	p.cgroup = m
	p.st.CgroupPaths, p.st.CgroupCreated = m.Paths(), m.Created()
	if sd, ok := m.(*cgroups.SystemdManager); ok {
		p.st.SystemdUnit, p.st.SystemdInvocation, p.st.SystemdUser = sd.Unit(), sd.Invocation(), sd.User()
	}
}

func (p *initLauncher) ociState(status specs.ContainerState) *specs.State {
	return &specs.State{
		Version: specs.Version, ID: p.opts.ID, Status: status, Pid: p.initPid,
		Bundle: p.bundle, Annotations: p.spec.Annotations,
	}
}

// bootstrapPlan is the namespace plan the C constructor carries out; a
// namespace to join is named by the init's fd of it (from nsFds).
func bootstrapPlan(s *specs.Spec, nsFds map[specs.LinuxNamespaceType]int) (*plan.Bootstrap, error) {
	b := &plan.Bootstrap{}
	flags := 0
	pidns := false
	newUser := false
	for _, ns := range s.Linux.Namespaces {
		// New pid and time namespaces apply to children only: fork.
		if ns.Type == specs.PIDNamespace || (ns.Type == specs.TimeNamespace && ns.Path == "") {
			pidns = true
		}
		if ns.Path != "" {
			fd, ok := nsFds[ns.Type]
			if !ok {
				return nil, fmt.Errorf("linux.namespaces: %s namespace %s was not opened", ns.Type, ns.Path)
			}
			b.Join(string(ns.Type), fd)
			continue
		}
		f, ok := cloneFlags[ns.Type]
		if !ok {
			return nil, fmt.Errorf("linux.namespaces: unknown namespace type %q", ns.Type)
		}
		flags |= f
		if ns.Type == specs.UserNamespace {
			newUser = true
		}
	}
	b.Clone(flags)
	if newUser {
		b.Maps()
	}
	clocks := make([]string, 0, len(s.Linux.TimeOffsets))
	for clock := range s.Linux.TimeOffsets {
		clocks = append(clocks, clock)
	}
	sort.Strings(clocks)
	for _, clock := range clocks {
		off := s.Linux.TimeOffsets[clock]
		b.TimeOffset(clock, off.Secs, off.Nanosecs)
	}
	if err := addMempolicy(b, s.Linux.MemoryPolicy); err != nil {
		return nil, err
	}
	if pidns {
		b.Fork()
	}
	return b, nil
}

// addMempolicy adds linux.memoryPolicy to the plan. The constructor sets
// it before the fork into the pid namespace: the policy is inherited by
// children and kept across execve.
func addMempolicy(b *plan.Bootstrap, p *specs.LinuxMemoryPolicy) error {
	if p == nil {
		return nil
	}
	mp, err := spec.ParseMemoryPolicy(p)
	if err != nil {
		return err
	}
	last := 0
	for i, w := range mp.Nodes {
		if w != 0 {
			last = i
		}
	}
	b.Mempolicy(int(mp.Mode), uint(mp.Flags), mp.Nodes[:last+1])
	return nil
}

var cloneFlags = map[specs.LinuxNamespaceType]int{
	specs.UserNamespace: unix.CLONE_NEWUSER, specs.MountNamespace: unix.CLONE_NEWNS,
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.IPCNamespace: unix.CLONE_NEWIPC, specs.UTSNamespace: unix.CLONE_NEWUTS,
	specs.CgroupNamespace: unix.CLONE_NEWCGROUP, specs.TimeNamespace: unix.CLONE_NEWTIME,
}

func owner() string {
	if u, err := user.LookupId(strconv.Itoa(os.Geteuid())); err == nil {
		return u.Username
	}
	return strconv.Itoa(os.Geteuid())
}

func writePidFile(path string, pid int) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := state.WriteFileAtomic(abs, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("--pid-file: %w", err)
	}
	return nil
}

// usesNotify reports whether a seccomp profile has SCMP_ACT_NOTIFY rules.
func usesNotify(sc *specs.LinuxSeccomp) bool {
	if sc == nil {
		return false
	}
	for _, r := range sc.Syscalls {
		if r.Action == specs.ActNotify {
			return true
		}
	}
	return false
}
