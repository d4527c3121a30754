package libcontainer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/hooks"
	"github.com/hutch-runtime/hutch/libcontainer/rootfs"
	"github.com/hutch-runtime/hutch/libcontainer/state"
	"github.com/hutch-runtime/hutch/libcontainer/timing"
)

// Container is a loaded container: its persisted state and live status,
// with its state directory held open (Close it).
type Container struct {
	entry  *state.Entry
	State  *state.State
	Status string
}

// Load reads container id and derives its status, without the lock (state,
// list, exec's process). Close the container when done.
func Load(store state.Store, id string) (*Container, error) {
	e, err := store.Open(id)
	if err != nil {
		return nil, err
	}
	c, err := loadEntry(e)
	if err != nil {
		e.Close()
		return nil, err
	}
	return c, nil
}

func loadEntry(e *state.Entry) (*Container, error) {
	st, err := e.Load()
	if err != nil {
		return nil, err
	}
	c := &Container{entry: e, State: st}
	c.Status = e.Status(st, c.frozen)
	return c, nil
}

// Close releases the state directory (and the lock, if taken).
func (c *Container) Close() { c.entry.Close() }

// lockAndLoad takes container id's lock and loads it; call unlock when
// done. Commands that change a container hold the lock throughout.
func lockAndLoad(store state.Store, id string) (*Container, func(), error) {
	e, err := store.Open(id)
	if err != nil {
		return nil, nil, err
	}
	if err := e.Lock(); err != nil {
		e.Close()
		return nil, nil, err
	}
	c, err := loadEntry(e)
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return c, c.Close, nil
}

func (c *Container) cgroup() cgroups.Manager { return loadCgroup(c.State) }

// loadCgroup is the cgroup manager a container's record describes: its
// systemd scope's (--systemd-cgroup), or the cgroupfs directories'; nil
// when it has no cgroup.
func loadCgroup(st *state.State) cgroups.Manager {
	if st.SystemdUnit != "" {
		return cgroups.LoadSystemd(st.SystemdUnit, st.SystemdInvocation, st.SystemdUser, st.ID, st.CgroupPaths, st.CgroupCreated)
	}
	if len(st.CgroupPaths) == 0 {
		return nil
	}
	return cgroups.Load(st.CgroupPaths, st.CgroupCreated)
}

func (c *Container) frozen() bool {
	m := c.cgroup()
	if m == nil {
		return false
	}
	f, err := m.IsFrozen()
	return err == nil && f
}

// OCIState is the runtime-spec state plus the fields runc prints, in
// runc's order (scripts match `state` and `list --format json` output).
type OCIState struct {
	Version     string               `json:"ociVersion"`
	ID          string               `json:"id"`
	Pid         int                  `json:"pid"`
	Status      specs.ContainerState `json:"status"`
	Bundle      string               `json:"bundle"`
	Rootfs      string               `json:"rootfs"`
	Created     time.Time            `json:"created"`
	Annotations map[string]string    `json:"annotations,omitempty"`
	Owner       string               `json:"owner"`
}

// State is the runtime-spec state alone (for hooks and seccomp agents).
func (o *OCIState) State() specs.State {
	return specs.State{Version: o.Version, ID: o.ID, Status: o.Status, Pid: o.Pid, Bundle: o.Bundle, Annotations: o.Annotations}
}

// OCI renders the container's state as `hutch state` prints it.
func (c *Container) OCI() *OCIState {
	pid := c.State.Pid
	if c.Status == state.Stopped {
		pid = 0
	}
	return &OCIState{
		Version: specs.Version, ID: c.State.ID, Pid: pid, Status: specs.ContainerState(c.Status),
		Bundle: c.State.Bundle, Rootfs: c.State.Rootfs, Created: c.State.Created,
		Annotations: c.State.Annotations, Owner: c.State.Owner,
	}
}

// Spec returns the config saved at create.
func (c *Container) Spec() (*specs.Spec, error) {
	s := &specs.Spec{}
	return s, c.SpecPart(s)
}

// SpecPart decodes the config saved at create into v, a struct with only
// the fields the caller needs (the config's JSON names). A short-lived
// command that decodes all of specs.Spec pays for encoding/json building a
// decoder for each of its many types, more than the rest of `start`.
func (c *Container) SpecPart(v any) error {
	data, err := c.entry.ReadFile(state.ConfigFile)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// specHooks is the part of the saved config that start and delete use.
type specHooks struct {
	Hooks *specs.Hooks `json:"hooks"`
}

// Start releases a created container's init from the exec fifo and runs
// the poststart hooks.
func Start(store state.Store, id string) error {
	t := timing.Start()
	defer t.Log("start")
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return err
	}
	defer unlock()
	t.Mark("load_state")
	switch c.Status {
	case state.Created:
	case state.Stopped:
		return errors.New("cannot start a container that has stopped")
	case state.Paused:
		return errors.New("cannot start a container in the paused state")
	default:
		return fmt.Errorf("cannot start an already %s container", c.Status)
	}
	var notify *net.UnixConn
	if c.State.NotifySocket != "" {
		if notify, err = listenNotify(c.entry); err != nil {
			return err
		}
	}
	if err := releaseFifo(c.entry, c.State); err != nil {
		if notify != nil {
			notify.Close()
		}
		return err
	}
	// The init ran the startContainer hooks, switched user and
	// capabilities, loaded seccomp and called execve meanwhile.
	t.Mark("release_fifo_until_execve")
	c.entry.Remove(state.FifoFile)
	if notify != nil {
		if err := forwardReady(notify, c.State.NotifySocket, c.State); err != nil {
			logrus.Warn(err)
		}
	}
	var s specHooks
	if err := c.SpecPart(&s); err == nil && s.Hooks != nil {
		st := c.OCI().State()
		st.Status = specs.StateRunning
		for _, e := range hooks.RunAll("poststart", s.Hooks.Poststart, &st) {
			logrus.Warnf("poststart hook failed: %v", e)
		}
	}
	t.Mark("poststart_hooks")
	return nil
}

// releaseFifo opens the exec fifo for reading, which unblocks the init's
// open for writing, waits for its byte, then for EOF: the init keeps the
// write end open until its execve closes it, so EOF means the container
// process runs. Non-blocking, so that an init that died meanwhile is
// noticed instead of hanging forever.
func releaseFifo(e *state.Entry, st *state.State) error {
	return waitFifo(e, st.Alive)
}

// waitFifo is releaseFifo with the liveness check of the init.
func waitFifo(e *state.Entry, alive func() bool) error {
	fd, err := e.OpenFile(state.FifoFile, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return fmt.Errorf("exec fifo: %w", err)
	}
	defer unix.Close(fd)
	var fst unix.Stat_t
	if err := unix.Fstat(fd, &fst); err != nil || fst.Mode&unix.S_IFMT != unix.S_IFIFO {
		return fmt.Errorf("exec fifo %s: not a fifo", filepath.Join(e.Dir(), state.FifoFile))
	}
	buf := make([]byte, 16)
	got := false
	for {
		// Asked before the read: a process as short as /bin/true can
		// write the byte, execve and exit between a read that found
		// nothing and the question, and its byte would be missed.
		// Asked first, an init that is gone wrote all it will write
		// before the read.
		running := alive()
		n, err := unix.Read(fd, buf)
		if n > 0 {
			got = true
			continue
		}
		if n == 0 && err == nil && got {
			return nil // EOF after the byte: execve happened (or the init died after it)
		}
		if err != nil && err != unix.EAGAIN && err != unix.EINTR {
			return fmt.Errorf("read exec fifo: %w", err)
		}
		if !running {
			if got {
				return nil
			}
			return errors.New("container init exited before it could start the process")
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		unix.Poll(fds, 50)
	}
}

// Kill sends sig to the container init, or with all to every process of
// the container (see processes: never a process it did not start).
func Kill(store state.Store, id string, sig unix.Signal, all bool) error {
	c, unlock, err := lockAndLoad(store, id)
	if err != nil {
		return err
	}
	defer unlock()
	if c.Status == state.Stopped && all {
		// What the init left in its own cgroup (no pid namespace of its
		// own): containerd's shim kills it this way once the init is
		// gone, as runc lets it. Nothing else can be the container's.
		if m := c.cgroup(); m != nil && m.Owned() {
			if err := m.SignalAll(sig); err != nil {
				return fmt.Errorf("kill --all: %w", err)
			}
		}
		return nil
	}
	if c.Status == state.Stopped || c.Status == state.Creating {
		return errors.New("container not running")
	}
	if err := sendSignal(c, sig, all); err != nil {
		return err
	}
	// A v1-frozen task does not die of SIGKILL until thawed: thaw, as runc
	// does (podman kill of a paused container waits for the exit). Other
	// signals stay pending, the container stays paused.
	if sig == unix.SIGKILL && c.Status == state.Paused {
		if m := c.cgroup(); m != nil {
			if err := m.Thaw(); err != nil {
				return fmt.Errorf("thaw after SIGKILL: %w", err)
			}
		}
	}
	return nil
}

func sendSignal(c *Container, sig unix.Signal, all bool) error {
	if all {
		if m := c.cgroup(); m != nil && m.Owned() {
			// Every member is the container's: signalled with none
			// missed by a fork meanwhile.
			if err := m.SignalAll(sig); err != nil {
				return fmt.Errorf("kill --all: %w", err)
			}
			return nil
		}
		pids, err := c.processes()
		if err != nil {
			return fmt.Errorf("kill --all: %w", err)
		}
		for _, pid := range pids {
			unix.Kill(pid, sig)
		}
		return nil
	}
	if err := unix.Kill(c.State.Pid, sig); err != nil {
		return fmt.Errorf("kill container init %d: %w", c.State.Pid, err)
	}
	return nil
}

// Delete removes a stopped (or created) container; force kills a running
// one first. Deleting an unknown container with force succeeds, as
// containerd expects; an invalid id never does. A command that keeps the
// container's lock does not keep delete waiting forever (lockForDelete).
func Delete(store state.Store, id string, force bool) error {
	e, err := store.Open(id)
	if err != nil {
		if force && errors.Is(err, state.ErrNotExist) {
			return nil
		}
		return err
	}
	defer e.Close()
	if err := lockForDelete(e, force); err != nil {
		return err
	}
	if e.Removed() {
		// The command that held the lock meanwhile removed it (a create
		// whose init died, run deleting what it ran).
		return nil
	}
	c, err := loadEntry(e)
	if err != nil {
		if errors.Is(err, state.ErrNotExist) {
			// No record: a create killed before its first save, which
			// comes before any cgroup, mount or process it makes.
			return e.Destroy()
		}
		if !force {
			return err
		}
		logrus.Warnf("delete --force %s: %v; removing the state directory: without a readable record nothing else of the container can be found", id, err)
		return e.Destroy()
	}
	switch {
	case c.State.Creating:
		// What a killed create left (the lock is ours: no create is at
		// work on it): clean up whatever the record says it made.
	case c.Status == state.Stopped, c.Status == state.Created:
	case !force:
		return fmt.Errorf("cannot delete container %s that is not stopped: %s", id, c.Status)
	}
	return destroy(c)
}

// How long delete waits for another command to let go of the container's
// lock; with --force, how long before it kills the container's processes
// that such a command may be stuck waiting on.
const (
	deleteLockWait = 10 * time.Second
	deleteGrace    = time.Second
)

// lockForDelete takes the container's lock for delete. The command holding
// it may never let go: a `start` or `run` waiting for an init that never
// reaches execve (a notified syscall nobody answers, a startContainer hook
// that never ends), a create or exec waiting for an init stuck likewise.
// Without force, delete waits deleteLockWait, then names that command.
// With force, after deleteGrace it kills what it would kill anyway, the
// container's processes (killUnlocked), which ends such a wait, and waits
// for the holder to finish; one stuck on something else (a hook hutch runs
// on the host) is named, never signalled: it is not the container's.
func lockForDelete(e *state.Entry, force bool) error {
	var busy *state.BusyError
	if !force {
		err := e.LockWithin(deleteLockWait)
		if errors.As(err, &busy) {
			return fmt.Errorf("delete %s: %w; if that command is stuck, delete --force kills the container's processes", e.ID, err)
		}
		return err
	}
	err := e.LockWithin(deleteGrace)
	if !errors.As(err, &busy) {
		return err
	}
	did := killUnlocked(e)
	logrus.Warnf("delete --force %s: the container's lock is held by %s; %s", e.ID, busy.HolderString(), did)
	err = e.LockWithin(deleteLockWait)
	if errors.As(err, &busy) {
		return fmt.Errorf("delete --force %s: %s, but after %s the container's lock is still held by %s: end that process (it is not one of the container's) and delete again",
			e.ID, did, (deleteGrace + busy.Waited).Round(time.Second), busy.HolderString())
	}
	return err
}

// killUnlocked kills, without the container's lock, what teardown would
// kill first: the recorded init if it is still that process (pid and
// start time), and every member of a cgroup hutch created for the
// container. Nothing is removed: the command holding the lock may still be
// at work on the record, the cgroup and the mounts. It says what it did.
func killUnlocked(e *state.Entry) string {
	st, err := e.Load() // saved by rename: never seen half-written
	if err != nil {
		return "no record of the container's processes to kill"
	}
	var did []string
	alive := st.Alive()
	if alive && unix.Kill(st.Pid, unix.SIGKILL) == nil {
		did = append(did, fmt.Sprintf("killed its init %d", st.Pid))
	}
	if m := loadCgroup(st); m != nil && m.Owned() {
		others := 0
		pids, err := m.GetPids()
		for _, pid := range pids {
			if !alive || pid != st.Pid {
				others++
			}
		}
		if err == nil && others > 0 && m.SignalAll(unix.SIGKILL) == nil {
			what := "processes"
			if others == 1 {
				what = "process"
			}
			did = append(did, fmt.Sprintf("killed %d %s of its cgroup", others, what))
		}
	}
	if len(did) == 0 {
		return "found no process of the container to kill"
	}
	return strings.Join(did, " and ")
}

// teardown ends and removes what the record says the container has: its
// init if it still runs (the same process: pid and start time), every
// process of a cgroup hutch created for it, the cgroup directories hutch
// created, and a root mount made in the caller's mount namespace. Nothing
// else: a cgroup the container joined keeps its other processes and its
// directory. It is delete's work and a failed create's; m is the
// cgroup manager create holds, nil to load the record's.
func teardown(st *state.State, m cgroups.Manager) error {
	if m == nil {
		m = loadCgroup(st)
	}
	if st.Alive() {
		if m != nil {
			m.Thaw() // a frozen init would not die
		}
		if !st.OwnPidNS && (m == nil || !m.Owned()) {
			// Neither a pid namespace nor a cgroup of its own holds the
			// rest: what can be found of it is the init's descendants.
			for _, pid := range descendants(st.Pid)[1:] {
				unix.Kill(pid, unix.SIGKILL)
			}
		}
		// In a pid namespace of its own, the kernel kills the rest with it.
		unix.Kill(st.Pid, unix.SIGKILL)
		if !waitGone(st.Pid, 5*time.Second) {
			return fmt.Errorf("container init %d did not exit after SIGKILL", st.Pid)
		}
	}
	if m != nil {
		// With a pid namespace of its own, the init took the rest with it.
		if m.Owned() && !st.OwnPidNS {
			killCgroup(m)
		}
		if err := m.Destroy(); err != nil {
			return fmt.Errorf("remove cgroup: %w", err)
		}
	}
	if st.HostRootMount != 0 {
		if err := rootfs.DetachHostRoot(st.Rootfs, st.HostRootMount); err != nil {
			logrus.Warnf("%s: %v", st.ID, err)
		}
	}
	return nil
}

// List loads every container under the store.
func List(store state.Store) ([]*Container, error) {
	// Load finds out which directories hold a container: no stat first.
	ids, err := store.Candidates()
	if err != nil {
		return nil, err
	}
	var out []*Container
	for _, id := range ids {
		c, err := Load(store, id)
		if err != nil {
			if !errors.Is(err, state.ErrNotExist) {
				logrus.Warnf("list: %v", err)
			}
			continue // removed meanwhile, not saved yet, or refused
		}
		c.Close()
		out = append(out, c)
	}
	return out, nil
}

// killCgroup SIGKILLs every process left in a cgroup hutch created for the
// container (never one it joined: see teardown).
func killCgroup(m cgroups.Manager) {
	for i := 0; i < 50; i++ {
		pids, err := m.GetPids()
		if err != nil || len(pids) == 0 {
			return
		}
		m.SignalAll(unix.SIGKILL)
		time.Sleep(10 * time.Millisecond)
	}
}

// waitGone waits until pid no longer runs (or is a zombie nobody reaps).
func waitGone(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		_, letter, err := state.ProcStartTime(pid)
		if err != nil || letter == 'Z' || letter == 'X' {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// defaultDeviceRules are the device cgroup rules every container gets
// before the config's own: deny all, then the standard nodes and ptys.
func defaultDeviceRules() []specs.LinuxDeviceCgroup {
	i := func(v int64) *int64 { return &v }
	rule := func(t string, major, minor *int64, access string) specs.LinuxDeviceCgroup {
		return specs.LinuxDeviceCgroup{Allow: true, Type: t, Major: major, Minor: minor, Access: access}
	}
	return []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		rule("c", nil, nil, "m"), rule("b", nil, nil, "m"),
		rule("c", i(1), i(3), "rwm"), rule("c", i(1), i(5), "rwm"), rule("c", i(1), i(7), "rwm"),
		rule("c", i(1), i(8), "rwm"), rule("c", i(1), i(9), "rwm"), rule("c", i(5), i(0), "rwm"),
		rule("c", i(5), i(1), "rwm"), rule("c", i(5), i(2), "rwm"), rule("c", i(136), nil, "rwm"),
		rule("c", i(10), i(200), "rwm"),
	}
}
