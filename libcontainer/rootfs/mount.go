package rootfs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/plan"
)

// MountPlan decides the mounts of the container's root, which the process
// executor makes in the container's namespaces before /dev (plan.Setup's
// Mounts, nsenter/mounts.c): root propagation, the rootfs self-bind, every
// spec mount in order. Each step is one operation; what only the
// container's namespaces can tell (whether a filesystem may be mounted
// there, what a bind source is, where a destination resolves) is found out
// when the step runs, as the step says.
func MountPlan(s *specs.Spec, o Options) ([]plan.MountStep, error) {
	m, err := BeginMountPlan(s, o)
	if err != nil {
		return nil, err
	}
	return m.Finish(o.Cgroups)
}

// Mounts is a mount plan made in two steps. Only the cgroup mounts need
// the container init in its namespaces (its view of the host's cgroups,
// ReadCgroupView); create plans the rest while the init makes them.
type Mounts struct {
	s    *specs.Spec
	o    Options
	head steps
	// One list per spec mount; a cgroup mount's is planned by Finish.
	each []steps
}

// BeginMountPlan plans every mount of MountPlan but the cgroup mounts.
func BeginMountPlan(s *specs.Spec, o Options) (*Mounts, error) {
	if s == nil {
		return nil, errors.New("rootfs: no spec")
	}
	if !filepath.IsAbs(o.Rootfs) {
		return nil, fmt.Errorf("root.path: %q must be an absolute path", o.Rootfs)
	}
	prop := ""
	if s.Linux != nil {
		prop = s.Linux.RootfsPropagation
	}
	pflags, err := ParsePropagation(prop)
	if err != nil {
		return nil, err
	}
	m := &Mounts{s: s, o: o, each: make([]steps, len(s.Mounts))}
	// In a shared mount namespace, its "/" and the mount holding the
	// rootfs are the host's or another container's: left as they are.
	if !o.SharedMountNS {
		// Nothing mounted from here on may propagate back to the host. An
		// unbindable "/" would refuse the bind of the rootfs below, so it is
		// private until the executor applies the requested mode after
		// pivot_root (plan.Setup.Propagation).
		initial := pflags
		if initial&unix.MS_UNBINDABLE != 0 {
			initial = initial&^unix.MS_UNBINDABLE | unix.MS_PRIVATE
		}
		m.head.add('P', num(initial))
		if pflags&unix.MS_SHARED != 0 {
			// pivot_root refuses a new root whose parent mount is shared.
			m.head.add('Q', o.Rootfs)
		}
	}
	m.head.add('R', o.Rootfs)
	for i := range s.Mounts {
		if m.needsView(i) {
			continue
		}
		if err := m.plan(i); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// NeedsCgroups says whether Finish needs the init's view of the host's
// cgroups: the config has a cgroup mount.
func (m *Mounts) NeedsCgroups() bool {
	for i := range m.s.Mounts {
		if m.needsView(i) {
			return true
		}
	}
	return false
}

// needsView: spec mount i is a cgroup mount, planned by Finish.
func (m *Mounts) needsView(i int) bool { return m.s.Mounts[i].Type == "cgroup" }

// Finish plans the cgroup mounts with the container init's view v (nil
// when there are none) and returns the whole plan in the config's order.
func (m *Mounts) Finish(v *CgroupView) ([]plan.MountStep, error) {
	m.o.Cgroups = v
	n := len(m.head)
	for i := range m.s.Mounts {
		if m.needsView(i) {
			if err := m.plan(i); err != nil {
				return nil, err
			}
		}
		n += len(m.each[i])
	}
	out := make([]plan.MountStep, 0, n)
	out = append(out, m.head...)
	for _, e := range m.each {
		out = append(out, e...)
	}
	return out, nil
}

func (m *Mounts) plan(i int) error {
	var out steps
	e := &entry{out: &out, i: i, m: &m.s.Mounts[i], o: m.o}
	if err := e.mount(); err != nil {
		return err
	}
	m.each[i] = out
	return nil
}

// steps is a list of mount steps being built.
type steps []plan.MountStep

func (s *steps) add(op byte, args ...string) { *s = append(*s, plan.MountStep{Op: op, Args: args}) }

func num[T ~int | ~uint64 | ~uintptr | ~uint32](v T) string { return strconv.FormatUint(uint64(v), 10) }

// entry is one spec mount being planned; it labels errors.
type entry struct {
	out *steps
	i   int
	m   *specs.Mount
	o   Options
}

func (e *entry) err(op string, err error) error { return mountError(e.i, e.m, op, err) }

func (e *entry) add(op byte, args ...string) { e.out.add(op, args...) }

// with runs f with the steps it adds going to a list of their own.
func (e *entry) with(f func() error) (steps, error) {
	saved := e.out
	var sub steps
	e.out = &sub
	err := f()
	e.out = saved
	return sub, err
}

// alternative plans f as the steps that replace a mount the kernel
// refuses with EPERM. When f cannot be planned, the alternative is its
// error, which the executor reports only if it comes to that.
func (e *entry) alternative(f func() error) steps {
	alt, err := e.with(f)
	if err != nil {
		return steps{{Op: 'F', Args: []string{err.Error()}}}
	}
	return alt
}

func (e *entry) mount() error {
	m := e.m
	if m.Destination == "" {
		return e.err("destination", errors.New("must not be empty"))
	}
	opts, err := parseMountOptions(m.Options)
	if err != nil {
		return e.err("options", err)
	}
	e.add('E', strconv.Itoa(e.i), mountType(m), m.Destination)
	if isBind(m.Type, opts) {
		opts.flags |= unix.MS_BIND
		if fd, ok := e.o.TreeFds[e.i]; ok {
			return e.attachTree(fd, m.Source, m.Destination, opts)
		}
		return e.bind(m.Source, m.Destination, opts)
	}
	switch m.Type {
	case "cgroup":
		return e.cgroup(opts)
	case "proc":
		return e.proc(opts)
	case "sysfs":
		return e.sysfs(opts)
	case "mqueue":
		if !e.o.InUserNS {
			break
		}
		// An ipc namespace we do not own: share the host's queue fs.
		alt := e.alternative(func() error {
			o := opts
			o.flags |= unix.MS_BIND | unix.MS_REC
			return e.bind("/dev/mqueue", m.Destination, o)
		})
		return e.fsMount(m.Source, m.Type, m.Destination, opts, alt)
	}
	return e.fsMount(m.Source, m.Type, m.Destination, opts, nil)
}

// fsMount mounts a new filesystem instance on dest inside the rootfs; alt
// are the steps that replace it if the kernel refuses it with EPERM.
func (e *entry) fsMount(source, fstype, dest string, opts mountOpts, alt steps) error {
	// A tmpfs without mode= gets the mode of the directory it covers, in
	// its mount options as runc gives it: a fresh tmpfs is 1777, which
	// would open e.g. podman's `--tmpfs /home` to every user. With no
	// directory there yet, the tmpfs default stays.
	cover := fstype == "tmpfs" && opts.flags&unix.MS_REMOUNT == 0 && !opts.hasData("mode")
	if cover {
		e.add('C', dest)
	}
	if opts.flags&unix.MS_REMOUNT != 0 {
		// A remount acts on the mount already there, not on the directory under it.
		e.add('t', "e", dest)
	} else {
		e.add('t', "d", dest)
	}
	return e.mountOn(source, fstype, dest, opts, cover, alt, "")
}

// mountOn mounts a new fstype filesystem on the current mount point.
func (e *entry) mountOn(source, fstype, dest string, opts mountOpts, cover bool, alt steps, hint string) error {
	e.checkProcDest(fstype, source)
	if source == "" {
		source = fstype
	}
	copyUp := opts.tmpcopyup && fstype == "tmpfs"
	if copyUp {
		e.add('u')
	}
	// A read-only tmpfs is filled first, then made read-only.
	flags := opts.flags
	if copyUp {
		flags &^= unix.MS_RDONLY
	}
	data := withMountLabel(opts.dataString(), e.o.MountLabel, fstype, e.o.SELinux)
	post, err := e.with(func() error {
		if copyUp {
			e.add('y', dest)
		}
		if flags != opts.flags {
			e.add('x', dest, num(opts.flags), data)
		}
		return e.finish(dest, opts)
	})
	if err != nil {
		return err
	}
	c := "0"
	if cover {
		c = "1"
	}
	nalt := 0
	if len(alt) > 0 {
		nalt = len(alt) + 1
	}
	e.add('M', source, fstype, num(flags), data, c, strconv.Itoa(nalt), hint)
	if len(alt) > 0 {
		*e.out = append(*e.out, alt...)
		e.add('J', strconv.Itoa(len(post)))
	}
	*e.out = append(*e.out, post...)
	return nil
}

// bind bind-mounts the host path source on dest, then applies the flags a
// bind mount ignores on creation with a remount.
func (e *entry) bind(source, dest string, opts mountOpts) error {
	// The mount point is made like the source, a directory or a file.
	e.add('t', "s", dest, source)
	e.checkProcDest("bind", source)
	rec := "0"
	if opts.flags&unix.MS_REC != 0 {
		rec = "1"
	}
	e.add('B', source, rec)
	return e.afterBind(dest, opts)
}

// attachTree moves the detached tree fd (an idmapped clone of source made
// by the parent) onto dest, then treats it like any bind mount.
func (e *entry) attachTree(fd int, source, dest string, opts mountOpts) error {
	e.add('t', "f", dest, strconv.Itoa(fd), source)
	e.checkProcDest("bind", source)
	e.add('T', strconv.Itoa(fd), source)
	return e.afterBind(dest, opts)
}

// afterBind applies the per-mount flags, propagation and recursive
// attributes of a bind mount now at dest.
func (e *entry) afterBind(dest string, opts mountOpts) error {
	if extra := opts.flags &^ (unix.MS_BIND | unix.MS_REC | unix.MS_REMOUNT); extra != 0 {
		e.add('r', dest, num(extra), num(opts.clear), "remount")
	}
	return e.finish(dest, opts)
}

// finish applies propagation and recursive attributes to the new mount.
func (e *entry) finish(dest string, opts mountOpts) error {
	for _, p := range opts.propFlags {
		e.add('p', dest, num(p))
	}
	if opts.recAttr {
		a := opts.attr
		e.add('a', dest, num(a.Attr_set), num(a.Attr_clr), num(a.Propagation))
	}
	return nil
}

// isUnder reports whether p equals dir or lies below it (both clean).
func isUnder(p, dir string) bool {
	if dir == "/" || p == dir {
		return true
	}
	return len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}
