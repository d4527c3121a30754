package cgroups

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups/systemd"
)

// SystemdManager is the --systemd-cgroup driver. systemd makes the
// container's cgroup: a transient scope unit, started over D-Bus with the
// init's pid, Delegate=yes, and the limits as unit properties. Everything
// else is the cgroupfs manager's work on the scope's directories: the
// limits systemd has no property for (and, as runc does, the others again),
// the hierarchies systemd does not manage (freezer, cpuset on v1), pause,
// ps, kill --all, exec, events. delete stops the unit and resets its
// failed state. Only a scope hutch started is ever stopped: one this
// manager started, or, from state.json, one with the container's
// Description and the invocation recorded at create.
type SystemdManager struct {
	*manager
	scope Scope
	id    string
	// extra are the properties of the config's org.systemd.property.*
	// annotations.
	extra []systemd.Property
	// res is what Set was given before Apply: the unit starts with it.
	res  *specs.LinuxResources
	h    *host
	conn *systemd.Conn
	// dialing delivers the connection Create started.
	dialing chan dialed
	// invocation is the unit's InvocationID once started: it tells this
	// run of the scope from a later one of the same name.
	invocation string
	started    bool
	loaded     bool
	// delegated: the user's manager's controllers (nil for the system
	// manager, which has them all); dropped the limit groups left out
	// for want of one.
	delegated map[string]bool
	dropped   []string
}

// Description marks a scope as the one hutch started for container id.
func Description(id string) string { return "hutch container " + id }

// opTimeout bounds one driver operation (start and wait, stop and wait).
const opTimeout = time.Minute

// NewSystemd prepares the driver for a new container's scope; nothing is
// made before Apply, which starts the unit with the init's pid.
func NewSystemd(sc Scope, id string, extra []systemd.Property) (*SystemdManager, error) {
	h, err := detect()
	if err != nil {
		return nil, err
	}
	if !sc.User {
		if _, err := os.Stat("/run/systemd/system"); err != nil {
			return nil, errors.New("--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); run without --systemd-cgroup")
		}
		// The init's pid goes to systemd as a number: it must name the
		// same process in systemd's pid namespace, or systemd would move
		// (and delete would stop) another process.
		if comm, _ := os.ReadFile("/proc/1/comm"); strings.TrimSpace(string(comm)) != "systemd" {
			return nil, fmt.Errorf("--systemd-cgroup: pid 1 here is %q, not systemd: hutch must run in systemd's pid namespace, where the pid it hands systemd names the container's init", strings.TrimSpace(string(comm)))
		}
	}
	m := &SystemdManager{
		scope: sc, id: id, extra: extra, h: h,
		manager: &manager{roots: map[string]string{}, paths: map[string]string{}, hybrid: h.mode == Hybrid},
	}
	if !sc.User {
		// Where systemd will put it (the system manager's cgroups are the
		// root's): recorded before the unit exists, for a delete after a
		// create killed half-way. Apply reads the real one.
		slice, _ := ExpandSlice(sc.Slice)
		m.setPaths(filepath.Join(slice, sc.Unit), nil)
	}
	return m, nil
}

// LoadSystemd rebuilds the driver of a container from its state, for the
// commands after create: they work on the scope's directories, and delete
// and update talk to systemd.
func LoadSystemd(unit, invocation string, user bool, id string, paths map[string]string, created []string) *SystemdManager {
	h, err := detect()
	if err != nil {
		h = &host{v1: map[string]string{}} // the recorded paths are all it needs
	}
	return &SystemdManager{
		manager: Load(paths, created).(*manager), scope: Scope{Unit: unit, User: user},
		id: id, invocation: invocation, loaded: true, h: h,
	}
}

// Unit is the scope's name, Invocation its InvocationID ("" before it
// started), User whether it is the user's manager's.
func (m *SystemdManager) Unit() string       { return m.scope.Unit }
func (m *SystemdManager) Invocation() string { return m.invocation }
func (m *SystemdManager) User() bool         { return m.scope.User }

// Dropped lists the linux.resources groups left out because the user's
// manager does not delegate their controllers (always none for root).
func (m *SystemdManager) Dropped() []string { return m.dropped }

// setPaths points every hierarchy at rel; only the hierarchies in keep
// when keep is not nil.
func (m *SystemdManager) setPaths(rel string, keep map[string]bool) {
	m.manager.rel = rel
	m.manager.paths = map[string]string{}
	for ctrl, mnt := range m.h.v1 {
		if keep == nil || keep[ctrl] {
			m.manager.roots[ctrl] = mnt
			m.manager.paths[ctrl] = filepath.Join(mnt, rel)
		}
	}
	if m.h.unified != "" && (keep == nil || keep[""]) {
		m.manager.roots[""] = m.h.unified
		m.manager.paths[""] = filepath.Join(m.h.unified, rel)
	}
}

// dialed is a connection made in the background, with what Apply needs
// to read from the manager first.
type dialed struct {
	conn      *systemd.Conn
	delegated map[string]bool
	err       error
}

// dial connects to the manager and reads its version (and the user's
// manager's controllers).
func (m *SystemdManager) dial() dialed {
	c, err := systemd.Connect(m.scope.User)
	if err != nil {
		return dialed{err: fmt.Errorf("--systemd-cgroup: %w", err)}
	}
	c.Version()
	d := dialed{conn: c}
	if m.scope.User {
		d.delegated = managerControllers(c, m.h)
	}
	return d
}

// connect waits for the connection Create started, or makes one.
func (m *SystemdManager) connect() error {
	if m.conn != nil {
		return nil
	}
	var d dialed
	if m.dialing != nil {
		d = <-m.dialing
		m.dialing = nil
	} else {
		d = m.dial()
	}
	if d.err != nil {
		return d.err
	}
	m.conn, m.delegated = d.conn, d.delegated
	return nil
}

// Create starts connecting to systemd, in the background: the scope needs
// the init's pid, so Apply starts it and waits for the connection then.
// Connecting (two connections, each authenticated) takes about as long as
// spawning the init, which it overlaps.
func (m *SystemdManager) Create() error {
	if m.loaded || m.conn != nil || m.dialing != nil {
		return nil
	}
	ch := make(chan dialed, 1)
	m.dialing = ch
	go func() { ch <- m.dial() }()
	return nil
}

// managerControllers are the cgroup v2 controllers the user's manager has
// in its cgroup; on cgroup v1 (and hybrid) it has none to delegate.
func managerControllers(c *systemd.Conn, h *host) map[string]bool {
	out := map[string]bool{}
	if h.mode != Unified {
		return out
	}
	cg, err := c.ManagerControlGroup()
	if err != nil {
		logrus.Debugf("--systemd-cgroup: %v", err)
		return out
	}
	s, err := readFile(filepath.Join(h.unified, cg), "cgroup.controllers")
	if err != nil {
		logrus.Debugf("--systemd-cgroup: controllers of the user's manager: %v", err)
		return out
	}
	for _, c := range strings.Fields(s) {
		out[c] = true
	}
	return out
}

// CloneInto is "" until the scope exists: the init starts outside it and
// systemd moves it in.
func (m *SystemdManager) CloneInto() string {
	if !m.loaded && !m.started {
		return ""
	}
	return m.manager.CloneInto()
}

// Apply starts the scope with pid (a new container), or joins pid to the
// scope's directories (a loaded one, for exec).
func (m *SystemdManager) Apply(pid int) error {
	if m.loaded {
		return m.manager.Apply(pid)
	}
	if pid <= 0 {
		return fmt.Errorf("cgroups: apply: invalid pid %d", pid)
	}
	if m.started {
		return m.manager.join(pid, true)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := m.connect(); err != nil {
		return err
	}
	return m.start(ctx, pid)
}

func (m *SystemdManager) ApplyCloned(pid int) error {
	if m.loaded || m.started {
		return m.manager.ApplyCloned(pid)
	}
	return m.Apply(pid)
}

// baseProperties are the scope's own: what marks it as the container's,
// where it goes, its pid, and accounting for the controllers, which
// makes systemd create the scope's cgroup in their v1 hierarchies.
func (m *SystemdManager) baseProperties(pid int) []systemd.Property {
	p := []systemd.Property{
		systemd.Prop("Description", Description(m.id)),
		systemd.Prop("Slice", m.scope.Slice),
		systemd.Prop("Delegate", true),
		systemd.Prop("PIDs", []uint32{uint32(pid)}),
		systemd.Prop("DefaultDependencies", false),
		systemd.Prop("MemoryAccounting", true),
		systemd.Prop("CPUAccounting", true),
		systemd.Prop("TasksAccounting", true),
	}
	if m.h.mode == Unified {
		p = append(p, systemd.Prop("IOAccounting", true))
	} else {
		p = append(p, systemd.Prop("BlockIOAccounting", true))
	}
	return p
}

// start starts the scope with pid and the limits, waits for the job,
// checks that pid landed in the scope in every hierarchy (joining it
// where systemd did not put it), then writes the limits into the files.
// After the unit started, a failure leaves it to the caller's Destroy.
func (m *SystemdManager) start(ctx context.Context, pid int) error {
	res := m.res
	if m.scope.User {
		res, m.dropped = delegatedOnly(res, m.delegated)
	}
	props, res, err := resourceProperties(res, m.h.mode == Unified, m.conn.Version())
	if err != nil {
		return err
	}
	props = append(append(m.baseProperties(pid), props...), m.extra...)
	err = m.conn.Start(ctx, m.scope.Unit, props)
	if errors.Is(err, systemd.ErrUnitExists) {
		// A failed unit of that name stays loaded until its failed state
		// is reset; one that runs is left as it is, and the start fails.
		if err = m.conn.ResetFailed(ctx, m.scope.Unit); err == nil {
			err = m.conn.Start(ctx, m.scope.Unit, props)
		}
	}
	if err != nil {
		if errors.Is(err, systemd.ErrUnitExists) {
			return fmt.Errorf("linux.cgroupsPath: the systemd unit %s exists already (another container's?): %w", m.scope.Unit, err)
		}
		if len(m.extra) > 0 {
			var from []string
			for _, p := range m.extra {
				from = append(from, p.Name+"="+p.Value.String())
			}
			sort.Strings(from)
			return fmt.Errorf("--systemd-cgroup: %w (properties from the org.systemd.property.* annotations: %s; systemd wants the exact D-Bus type of each, e.g. \"uint64 5\")", err, strings.Join(from, ", "))
		}
		return fmt.Errorf("--systemd-cgroup: %w", err)
	}
	m.started = true
	// Read while pid is placed: systemd answers a property read in about
	// a millisecond.
	inv := make(chan error, 1)
	go func() {
		var err error
		m.invocation, err = m.conn.Invocation(ctx, m.scope.Unit)
		inv <- err
	}()
	if err := m.startedAt(pid); err != nil {
		<-inv
		return err
	}
	if err := <-inv; err != nil {
		return err
	}
	return m.manager.Set(res)
}

// startedAt places pid, in the scope systemd started, in every hierarchy.
func (m *SystemdManager) startedAt(pid int) error {
	// The scope's cgroup: where systemd put pid in its own hierarchy
	// (reading it there costs no round trip to systemd).
	at, err := procCgroups(pid)
	if err != nil {
		return err
	}
	key := ""
	if m.h.mode == Legacy {
		key = "name=systemd"
	}
	cg := at[key]
	if filepath.Base(cg) != m.scope.Unit {
		return fmt.Errorf("--systemd-cgroup: systemd started %s but pid %d is in %s:%s", m.scope.Unit, pid, key, cg)
	}
	return m.place(pid, cg, at)
}

// place makes the scope's cgroup pid's in every hierarchy. systemd moves
// it only in the hierarchies of the controllers it manages, and on v1 not
// always into the scope (the first container in system.slice was seen
// left in devices:/system.slice): there hutch makes the scope's directory
// if needed and moves pid itself, so that the device rules, the freezer
// and the cpuset apply to it. The user's manager can only have placed it
// in the hierarchies it owns: those are the container's paths. It then
// checks /proc/PID/cgroup once more.
func (m *SystemdManager) place(pid int, cg string, at map[string]string) error {
	var keep map[string]bool
	if m.scope.User {
		keep = map[string]bool{}
		for k, p := range at {
			keep[k] = p == cg
		}
		if !keep[""] && !keep["name=systemd"] {
			return fmt.Errorf("--systemd-cgroup: the user's systemd did not move pid %d into %s", pid, cg)
		}
	}
	m.setPaths(cg, keep)
	m.manager.made = true
	joined := map[string]bool{}
	for k, dir := range m.manager.paths {
		if at[k] == cg || joined[dir] {
			continue
		}
		joined[dir] = true
		logrus.Debugf("--systemd-cgroup: pid %d is in %s:%s, not in the scope: joining %s", pid, k, at[k], dir)
		if err := m.ensureLeaf(k, dir); err != nil {
			return err
		}
		if err := writeFile(dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("--systemd-cgroup: add pid %d to %s: %w", pid, filepath.Join(dir, "cgroup.procs"), unwrapPath(err))
		}
	}
	at, err := procCgroups(pid)
	if err != nil {
		return err
	}
	var wrong []string
	for k := range m.manager.paths {
		if at[k] != cg {
			wrong = append(wrong, fmt.Sprintf("%s:%s", k, at[k]))
		}
	}
	if len(wrong) > 0 {
		sort.Strings(wrong)
		return fmt.Errorf("--systemd-cgroup: pid %d is not in the scope %s in every hierarchy: %s", pid, cg, strings.Join(wrong, " "))
	}
	return nil
}

// ensureLeaf makes the scope's directory in a hierarchy systemd left
// alone, with its parents (a v1 cpuset directory gets its parent's cpus
// and mems, or no task could join it). Only the leaf is recorded as
// hutch's: the parents are systemd's slices, shared by other units.
func (m *SystemdManager) ensureLeaf(ctrl, dir string) error {
	root := m.manager.roots[ctrl]
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("--systemd-cgroup: %s is not below %s", dir, root)
	}
	cur := root
	parts := strings.Split(rel, "/")
	for i, c := range parts {
		next := filepath.Join(cur, c)
		err := os.Mkdir(next, 0o755)
		switch {
		case err == nil:
			if i == len(parts)-1 {
				m.manager.created = append(m.manager.created, next)
			}
			if err := initDir(cur, next, ctrl == "cpuset", false, i == len(parts)-1); err != nil {
				return err
			}
		case !errors.Is(err, os.ErrExist):
			return fmt.Errorf("--systemd-cgroup: mkdir %s: %w", next, unwrapPath(err))
		}
		cur = next
	}
	return nil
}

// procCgroups reads /proc/PID/cgroup: hierarchy key ("memory",
// "name=systemd", "" for cgroup2) to the path in it.
func procCgroups(pid int) (map[string]string, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		return nil, fmt.Errorf("--systemd-cgroup: cgroups of pid %d: %w", pid, err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), ":", 3)
		if len(f) != 3 {
			continue
		}
		for _, c := range strings.Split(f[1], ",") {
			out[c] = f[2]
		}
	}
	return out, sc.Err()
}

// Set before Apply keeps r for the start of the unit. Afterwards (update)
// it sets the unit's properties, then writes the files.
func (m *SystemdManager) Set(r *specs.LinuxResources) error {
	if r == nil {
		return nil
	}
	if !m.loaded && !m.started {
		c := *r
		m.res = &c
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := m.connect(); err != nil {
		return err
	}
	if m.scope.User {
		ctrls := map[string]bool{}
		if d, ok := m.manager.paths[""]; ok {
			if s, err := readFile(d, "cgroup.controllers"); err == nil {
				for _, c := range strings.Fields(s) {
					ctrls[c] = true
				}
			}
		}
		if _, dropped := delegatedOnly(r, ctrls); len(dropped) > 0 {
			return fmt.Errorf("linux.resources: %s: the user's systemd does not delegate the controllers for them to the scope %s", strings.Join(dropped, ","), m.scope.Unit)
		}
	}
	props, r, err := resourceProperties(r, m.h.mode == Unified, m.conn.Version())
	if err != nil {
		return err
	}
	if err := m.conn.Set(ctx, m.scope.Unit, props); err != nil {
		return err
	}
	return m.manager.Set(r)
}

// Owned: a scope hutch started holds only the container's processes.
func (m *SystemdManager) Owned() bool { return true }

// GetPids lists the scope's processes; a scope systemd removed once it
// was empty (a stopped container's) has none.
func (m *SystemdManager) GetPids() ([]int, error) {
	pids, err := m.manager.GetPids()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return pids, err
}

// SignalAll signals the scope's processes (see manager.SignalAll).
func (m *SystemdManager) SignalAll(sig unix.Signal) error {
	if pids, err := m.GetPids(); err == nil && len(pids) == 0 {
		return nil
	}
	return m.manager.SignalAll(sig)
}

// Destroy stops the scope, if it is the one hutch started, and resets its
// failed state; then removes the directories hutch made for it (and any
// systemd left). A unit of that name that is not this container's scope
// is left alone, and so are its directories.
func (m *SystemdManager) Destroy() error {
	if !m.loaded && !m.started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	if err := m.connect(); err != nil {
		return err
	}
	if !m.started {
		u, err := m.conn.ReadUnit(ctx, m.scope.Unit, "Scope")
		if err != nil {
			return err
		}
		if u.Loaded() && (u.Description != Description(m.id) || (m.invocation != "" && u.Invocation != m.invocation)) {
			logrus.Warnf("--systemd-cgroup: not stopping %s: it is not the scope hutch started for container %s (description %q, invocation %s)", m.scope.Unit, m.id, u.Description, u.Invocation)
			return nil
		}
		if !u.Loaded() {
			return m.removeLeaves()
		}
	}
	if err := m.conn.Stop(ctx, m.scope.Unit); err != nil {
		return err
	}
	if err := m.conn.ResetFailed(ctx, m.scope.Unit); err != nil {
		return err
	}
	return m.removeLeaves()
}

// removeLeaves removes the scope's directory in every hierarchy (and the
// cgroups the container made below it): systemd removes its own when the
// unit stops, the ones hutch made are left.
func (m *SystemdManager) removeLeaves() error {
	deadline := time.Now().Add(2 * time.Second)
	seen := map[string]bool{}
	var errs []error
	for _, d := range m.manager.paths {
		d = filepath.Clean(d)
		if seen[d] || !onCgroupFS(filepath.Dir(d)) {
			continue
		}
		seen[d] = true
		if err := removeSubdirs(d, deadline, 0); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := removeDir(d, true, deadline); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// delegatedOnly keeps the groups of r whose controllers are in ctrls and
// names the others.
func delegatedOnly(r *specs.LinuxResources, ctrls map[string]bool) (*specs.LinuxResources, []string) {
	if r == nil {
		return nil, nil
	}
	out := *r
	var dropped []string
	drop := func(set bool, name string, need ...string) bool {
		if !set {
			return false
		}
		for _, c := range need {
			if !ctrls[c] {
				dropped = append(dropped, name)
				return true
			}
		}
		return false
	}
	if drop(r.BlockIO != nil, "blockIO", "io") {
		out.BlockIO = nil
	}
	if r.CPU != nil {
		need := []string{}
		c := r.CPU
		if c.Shares != nil || c.Quota != nil || c.Period != nil || c.Burst != nil || c.Idle != nil {
			need = append(need, "cpu")
		}
		if c.Cpus != "" || c.Mems != "" {
			need = append(need, "cpuset")
		}
		if drop(true, "cpu", need...) {
			out.CPU = nil
		}
	}
	if drop(len(r.HugepageLimits) > 0, "hugepageLimits", "hugetlb") {
		out.HugepageLimits = nil
	}
	if drop(r.Memory != nil, "memory", "memory") {
		out.Memory = nil
	}
	if drop(r.Network != nil, "network", "network") { // no such controller on v2
		out.Network = nil
	}
	if drop(r.Pids != nil, "pids", "pids") {
		out.Pids = nil
	}
	if drop(len(r.Rdma) > 0, "rdma", "rdma") {
		out.Rdma = nil
	}
	if len(r.Unified) > 0 {
		need := []string{}
		for k := range r.Unified {
			if c, _, ok := strings.Cut(k, "."); ok && c != "cgroup" {
				need = append(need, c)
			}
		}
		if drop(true, "unified", need...) {
			out.Unified = nil
		}
	}
	out.Devices = nil // a user's scope has the nodes bound into it only
	return &out, dropped
}
