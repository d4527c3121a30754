package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/console"
	"github.com/hutch-runtime/hutch/libcontainer/lsm"
	"github.com/hutch-runtime/hutch/libcontainer/plan"
	"github.com/hutch-runtime/hutch/libcontainer/procattr"
	"github.com/hutch-runtime/hutch/libcontainer/readlimit"
	"github.com/hutch-runtime/hutch/libcontainer/rlimits"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
	"github.com/hutch-runtime/hutch/libcontainer/spec"
	"github.com/hutch-runtime/hutch/libcontainer/state"
	"github.com/hutch-runtime/hutch/libcontainer/syncmsg"
	"github.com/hutch-runtime/hutch/libcontainer/timing"
)

// ExecOpts are the inputs of `hutch exec`.
type ExecOpts struct {
	ID            string
	Process       *specs.Process
	PidFile       string
	PidfdSocket   string // --pidfd-socket: receives a pidfd of the process
	ConsoleSocket string
	// Console, instead of ConsoleSocket: a connected socket that receives
	// the pty master (exec -t in the foreground, console.Foreground).
	Console     *os.File
	Detach      bool
	PreserveFds int
	// IgnorePaused: exec into a paused container; the process stays
	// frozen with it until resume (exec --ignore-paused).
	IgnorePaused bool
	// Cgroup: the sub-cgroup(s) of the container's to run the process in
	// (exec --cgroup), controller -> path ("" for every hierarchy).
	Cgroup map[string]string
	// Started, if set, runs once the process has started and before the
	// wait for it (the foreground terminal attaches there), with the
	// signal forwarder of the wait.
	Started func(*SignalForwarder) error
}

// Exec starts a process inside a running container: the init re-executes
// hutch, whose C constructor joins every namespace of the container's init
// (user first), then it joins the container's cgroup, switches to the
// process's user and capabilities and execs. Without Detach it waits and
// returns the process's exit status.
func Exec(store state.Store, o ExecOpts) (int, error) {
	p := o.Process
	if p == nil {
		return -1, errors.New("process: must be set")
	}
	if o.PreserveFds < 0 {
		return -1, fmt.Errorf("--preserve-fds: %d is negative", o.PreserveFds)
	}
	if p.Cwd == "" {
		p.Cwd = "/"
	}
	// The same checks as create's of process, user ids among them: a uid
	// or gid of 4294967295 is (uid_t)-1, "no change" to setresuid, which
	// would leave the process root.
	if err := spec.ValidateProcess(p); err != nil {
		return -1, err
	}
	if p.Terminal && o.ConsoleSocket == "" && o.Console == nil {
		return -1, errors.New("process.terminal: true requires --console-socket with --detach (cannot allocate tty if hutch will detach without setting console socket)")
	}
	if err := capabilities.Validate(p.Capabilities); err != nil {
		return -1, err
	}
	if err := capabilities.CheckHost(p.Capabilities); err != nil {
		return -1, err
	}
	if err := rlimits.Validate(p.Rlimits); err != nil {
		return -1, err
	}
	if err := procattr.ValidateProcess(p); err != nil {
		return -1, err
	}
	if err := lsm.Validate(p); err != nil {
		return -1, err
	}
	pidfdSock, err := dialPidfdSocket(o.PidfdSocket)
	if err != nil {
		return -1, err
	}
	defer pidfdSock.Close()
	var fw *SignalForwarder
	if !o.Detach {
		if err := PrepareRun(); err != nil {
			return -1, err
		}
		if fw, err = ForwardSignals(); err != nil {
			return -1, err
		}
	}
	pid, err := startExec(store, o)
	if err != nil {
		return -1, err
	}
	if o.PidFile != "" {
		if err := writePidFile(o.PidFile, pid); err != nil {
			unix.Kill(pid, unix.SIGKILL)
			return -1, err
		}
	}
	if err := pidfdSock.send(pid); err != nil {
		unix.Kill(pid, unix.SIGKILL)
		return -1, err
	}
	if o.Detach {
		return 0, nil
	}
	if o.Started != nil {
		if err := o.Started(fw); err != nil {
			unix.Kill(pid, unix.SIGKILL)
			fw.Wait(&state.State{Pid: pid})
			return -1, err
		}
	}
	return fw.Wait(&state.State{Pid: pid}), nil
}

func startExec(store state.Store, o ExecOpts) (int, error) {
	t := timing.Start()
	defer t.Log("exec")
	c, unlock, err := lockAndLoad(store, o.ID)
	if err != nil {
		return 0, err
	}
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	switch c.Status {
	case state.Running, state.Created:
	case state.Paused:
		if !o.IgnorePaused {
			return 0, errors.New("cannot exec in a paused container (use --ignore-paused to override)")
		}
	case state.Creating:
		return 0, errors.New("cannot exec in a container that is being created")
	default:
		return 0, errors.New("cannot exec in a stopped container")
	}
	t.Mark("load_state")
	joined, err := openInitNamespaces(c.State)
	if err != nil {
		return 0, err
	}
	defer closeJoined(joined)
	setDefaultHome(o.Process, fmt.Sprintf("/proc/%d/root", c.State.Pid))
	// The container's seccomp profile and memory policy apply to exec'd
	// processes too.
	var profile *specs.LinuxSeccomp
	var mpol *specs.LinuxMemoryPolicy
	var pers *specs.LinuxPersonality
	var cs struct {
		Linux *struct {
			Seccomp      *specs.LinuxSeccomp      `json:"seccomp"`
			MemoryPolicy *specs.LinuxMemoryPolicy `json:"memoryPolicy"`
			Namespaces   []specs.LinuxNamespace   `json:"namespaces"`
			Personality  *specs.LinuxPersonality  `json:"personality"`
		} `json:"linux"`
	}
	joinedMount := false
	// Fail closed: without the saved config, the process would run
	// without the container's seccomp filter.
	if err := c.SpecPart(&cs); err != nil {
		return 0, fmt.Errorf("container %s: read its saved %s: %w", o.ID, state.ConfigFile, err)
	}
	if cs.Linux != nil {
		profile, mpol, pers = cs.Linux.Seccomp, cs.Linux.MemoryPolicy, cs.Linux.Personality
		for _, n := range cs.Linux.Namespaces {
			joinedMount = joinedMount || n.Type == specs.MountNamespace && n.Path != ""
		}
	}
	// The process plan (sent once the pid is known): everything that can
	// be refused is checked before the process exists.
	pp := &plan.Process{Process: o.Process, Personality: pers, PreserveFds: o.PreserveFds}
	if profile != nil {
		if pp.Seccomp, err = seccomp.Compile(profile); err != nil {
			return 0, fmt.Errorf("linux.seccomp: %w", err)
		}
		if err := pp.Seccomp.CheckLoadable(); err != nil {
			return 0, fmt.Errorf("linux.seccomp: %w", err)
		}
	}
	files := &initFiles{preserve: o.PreserveFds}
	if o.Process.Terminal {
		con := o.Console
		if con == nil {
			if con, err = console.Connect(o.ConsoleSocket); err != nil {
				return 0, err
			}
			defer con.Close()
		}
		pp.ConsoleFd = files.add(con)
	}
	if usesNotify(profile) {
		agent, err := seccomp.ConnectListener(profile.ListenerPath)
		if err != nil {
			return 0, err
		}
		defer agent.Close()
		pp.NotifyFd = files.add(agent)
	}
	if c.State.HostRootMount != 0 || joinedMount {
		// The mount namespace is not the container's own (the caller's, or
		// one joined by path, where the init chrooted): its root is the
		// init's, not the namespace's.
		root, err := os.OpenFile(fmt.Sprintf("/proc/%d/root", c.State.Pid), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			return 0, fmt.Errorf("container init %d: %w", c.State.Pid, err)
		}
		defer root.Close()
		pp.RootFd = files.add(root)
		if !c.State.Alive() {
			return 0, errors.New("cannot exec in a stopped container")
		}
	}
	nsFds := map[specs.LinuxNamespaceType]int{}
	for _, n := range joined {
		nsFds[n.typ] = files.add(n.file)
	}
	boot, err := joinPlan(joined, nsFds, mpol)
	if err != nil {
		return 0, err
	}
	if c.State.Keyring != 0 {
		boot.Keyring(keyringName(o.ID), c.State.Keyring)
	}
	// After the pid, the constructor carries out the process plan.
	boot.Process()
	m := c.cgroup()
	if o.Cgroup != nil {
		if m == nil {
			return 0, errors.New("--cgroup: the container has no cgroup of its own")
		}
		sub, err := cgroups.SubPaths(c.State.CgroupPaths, o.Cgroup)
		if err != nil {
			return 0, err
		}
		m = cgroups.Load(sub, nil)
	}
	cloneDir := ""
	if m != nil {
		cloneDir = m.CloneInto()
	}
	cmd, sock, inCgroup, err := spawnInit(files, cloneDir)
	if err != nil {
		return 0, err
	}
	defer sock.Close()
	t.Mark("spawn")
	fail := func(err error) (int, error) {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		return 0, err
	}
	if m != nil {
		join := m.Apply
		if inCgroup {
			join = m.ApplyCloned
		}
		if err := join(cmd.Process.Pid); err != nil {
			return fail(fmt.Errorf("join the container's cgroup: %w", err))
		}
		t.Mark("cgroup_join")
	}
	if c.Status == state.Paused {
		// The process is frozen from here until resume, which takes the
		// lock: hold it no longer. (A delete meanwhile kills the process
		// with the rest of the cgroup.)
		unlock()
		locked = false
	}
	if err := syncmsg.Send(sock, syncmsg.Bootstrap, boot.Bytes()); err != nil {
		return fail(fmt.Errorf("send bootstrap to init: %w", err))
	}
	payload, err := syncmsg.Expect(sock, syncmsg.Pid)
	if err != nil {
		return fail(execFailure(err))
	}
	t.Mark("namespaces")
	pid, _, err := parsePidMsg(payload)
	if err != nil {
		return fail(err)
	}
	if pp.NotifyFd > 0 {
		if pp.NotifyMsg, err = seccomp.ListenerMessage(&specs.ContainerProcessState{
			Pid: pid, Metadata: profile.ListenerMetadata, State: c.OCI().State(),
		}); err != nil {
			return fail(err)
		}
	}
	msg, err := pp.Encode()
	if err != nil {
		return fail(err)
	}
	if err := syncmsg.Send(sock, syncmsg.ProcessPlan, msg); err != nil {
		return fail(err)
	}
	t.Mark("send_plan")
	if pid != cmd.Process.Pid {
		// The intermediate that forked into the pid namespace, which
		// exits after the pid: reaped while the process is set up.
		cmd.Wait()
	}
	// The socket is close-on-exec in the child: EOF means execve worked.
	typ, msg, err := syncmsg.Recv(sock)
	t.Mark("execve")
	switch {
	case errors.Is(err, io.EOF):
	case err != nil:
		unix.Kill(pid, unix.SIGKILL)
		return fail(err)
	case typ == syncmsg.Error:
		return fail(syncmsg.RemoteError(msg))
	default:
		unix.Kill(pid, unix.SIGKILL)
		return fail(fmt.Errorf("unexpected message %q from exec init", typ))
	}
	if pid == cmd.Process.Pid {
		cmd.Process.Release()
	}
	return pid, nil
}

func execFailure(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("exec init exited while joining the container's namespaces")
	}
	return err
}

// nsOrder lists the namespace types in join order, user first: its
// capabilities are needed to join the others.
var nsOrder = []specs.LinuxNamespaceType{
	specs.UserNamespace, specs.MountNamespace, specs.PIDNamespace, specs.NetworkNamespace,
	specs.IPCNamespace, specs.UTSNamespace, specs.CgroupNamespace, specs.TimeNamespace,
}

// openInitNamespaces opens every namespace of the container's init that
// differs from ours (setns into the namespace one is already in is refused
// for user namespaces), then checks that the init is still the same
// process: the files are then its namespaces, not those of a process that
// got its pid after it died.
func openInitNamespaces(st *state.State) ([]joinedNS, error) {
	var out []joinedNS
	for _, typ := range nsOrder {
		file := nsKinds[typ].file
		f, err := os.Open(fmt.Sprintf("/proc/%d/ns/%s", st.Pid, file))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && typ == specs.TimeNamespace {
				continue // kernel without time namespaces
			}
			closeJoined(out)
			return nil, fmt.Errorf("container init %d: %w", st.Pid, err)
		}
		var theirs, self unix.Stat_t
		if unix.Fstat(int(f.Fd()), &theirs) == nil && unix.Stat("/proc/self/ns/"+file, &self) == nil &&
			self.Ino == theirs.Ino && self.Dev == theirs.Dev {
			f.Close()
			continue
		}
		out = append(out, joinedNS{typ: typ, file: f})
	}
	if !st.Alive() {
		closeJoined(out)
		return nil, errors.New("cannot exec in a stopped container")
	}
	return out, nil
}

// joinPlan joins the namespaces (fds of the init from nsFds, in nsOrder)
// and sets the container's memory policy, as create's init had it.
func joinPlan(joined []joinedNS, nsFds map[specs.LinuxNamespaceType]int, mpol *specs.LinuxMemoryPolicy) (*plan.Bootstrap, error) {
	b := &plan.Bootstrap{}
	fork := false
	for _, n := range joined {
		b.Join(string(n.typ), nsFds[n.typ])
		if n.typ == specs.PIDNamespace || n.typ == specs.TimeNamespace {
			fork = true
		}
	}
	b.Clone(0)
	// Undumpable once in the container's user namespace (CVE-2016-9962):
	// an exec'd init needs nothing under /proc/self that this denies (the
	// LSM attr/exec files are writable by all).
	b.NoDump()
	if err := addMempolicy(b, mpol); err != nil {
		return nil, err
	}
	if fork {
		b.Fork()
	}
	return b, nil
}

// LoadProcess reads a bare runtime-spec process object (exec --process),
// bounded in size like a config.json. The file may be a pipe (a shell's
// process substitution) or "-" for stdin.
func LoadProcess(path string) (*specs.Process, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = readlimit.Reader(os.Stdin, "stdin", readlimit.ConfigMax)
	} else {
		var f *os.File
		if f, err = os.Open(path); err == nil {
			data, err = readlimit.Reader(f, path, readlimit.ConfigMax)
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("--process: %w", err)
	}
	p := &specs.Process{}
	if err := json.Unmarshal(data, p); err != nil {
		return nil, fmt.Errorf("--process %s: %w", path, err)
	}
	return p, nil
}
