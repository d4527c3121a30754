package plan

import (
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Setup is a created container's own set-up, which the executor does
// before the process's attributes: the createContainer hooks, entering the
// root (pivot.c), then the rest after it (setup.c). Only create and run
// have it. The config was validated; the paths are resolved inside the
// container's root when the step runs.
type Setup struct {
	// Mounts: the root's mounts, made first (needs EnterRoot).
	Mounts []MountStep
	// Dev: /dev is made before the hooks, inside Rootfs (needs EnterRoot):
	// Devices in order, then the DevLinks ({target, name} in /dev), the
	// /dev/ptmx link to pts/ptmx (Ptmx), /dev/shm.
	Dev      bool
	Devices  []Device
	DevLinks [][2]string
	Ptmx     bool
	// Setsid: a session of its own; LoopbackUp: lo up (a new network
	// namespace). Both come first.
	Setsid, LoopbackUp bool
	// Hooks: once /dev is made, ask the parent to run its hooks (the
	// prestart and createRuntime ones) and wait until it has.
	Hooks bool
	// CreateHooks run first, with Process.HookState on their stdin.
	CreateHooks []specs.Hook
	// EnterRoot is how Rootfs (absolute, symlink-free) becomes the root:
	// EnterPivot, EnterMove (--no-pivot), EnterChroot (a mount namespace
	// that is not the container's own); 0 when nothing was set up.
	EnterRoot byte
	Rootfs    string

	// Hostname and Domainname are set when the container has its own UTS
	// namespace (SetNames) and they are not empty.
	SetNames             bool
	Hostname, Domainname string
	Sysctl               map[string]string
	ReadonlyPaths        []string
	// MaskedPaths: each path once, as runc masks them; the index is the
	// entry's in linux.maskedPaths, for errors.
	MaskedPaths []string
	// MaskData is the data of the read-only tmpfs over masked directories
	// (the mount label's context=, when there is one).
	MaskData     string
	RootReadonly bool
	// Propagation is linux.rootfsPropagation with its mount(2) flags, set
	// on "/" last; "" leaves it.
	Propagation      string
	PropagationFlags uintptr
	OOMScoreAdj      *int
	// MkdirCwd: process.cwd is created if missing, as runc does.
	MkdirCwd bool
	// Timings: the executor reports its phases with ready.
	Timings bool
}

// MountStep is one operation of the root's mounts (nsenter/mounts.c;
// libcontainer/rootfs.MountPlan decides them).
type MountStep struct {
	Op   byte
	Args []string
}

// Device is one node of /dev.
type Device struct {
	// Label names the node in errors: "linux.devices[2] (/dev/fuse)".
	Label, Path string
	// Mode is the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permissions.
	Mode         uint32
	Major, Minor uint32
	UID, GID     int64 // -1: left as made
	// Bind: bind-mount the host's node at Path (mknod is impossible in
	// a user namespace).
	Bind bool
}

// The ways to enter the root.
const (
	EnterPivot  = 'p'
	EnterMove   = 'm'
	EnterChroot = 'c'
)

// The config was validated: the strings hold no NUL (the C side reads
// them as C strings).
func (s *Setup) encode(b *builder) error {
	if s.Setsid {
		b.add('s', "")
	}
	if s.LoopbackUp {
		b.add('b', "")
	}
	if len(s.Mounts) > 0 && s.EnterRoot == 0 {
		return errors.New("mounts: cannot be made without a root")
	}
	for _, m := range s.Mounts {
		rec := string(m.Op)
		for _, a := range m.Args {
			rec += "\x00" + a
		}
		b.add('m', rec)
	}
	if s.Dev {
		if s.EnterRoot == 0 {
			return errors.New("root.path: /dev cannot be made without a root")
		}
		for _, d := range s.Devices {
			bind := 0
			if d.Bind {
				bind = 1
			}
			b.add('n', fmt.Sprintf("%s\x00%s\x00%d %d %d %d %d %d", d.Label, d.Path, d.Mode, d.Major, d.Minor, d.UID, d.GID, bind))
		}
		for _, l := range s.DevLinks {
			b.add('L', l[0]+"\x00"+l[1])
		}
		ptmx := "0"
		if s.Ptmx {
			ptmx = "1"
		}
		b.add('V', ptmx)
	}
	if s.Hooks {
		b.add('w', "")
	}
	for _, h := range s.CreateHooks {
		b.add('G', hookRecord(h))
	}
	if s.EnterRoot != 0 {
		b.add('v', string(s.EnterRoot)+"\x00"+s.Rootfs)
	}
	if s.SetNames {
		if s.Hostname != "" {
			b.add('h', s.Hostname)
		}
		if s.Domainname != "" {
			b.add('d', s.Domainname)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Sysctl)) {
		b.add('y', k+"\x00"+s.Sysctl[k])
	}
	paths := func(tag byte, list []string, once bool) {
		seen := make(map[string]bool, len(list))
		for i, p := range list {
			if once {
				clean := cleanAbs(p)
				if seen[clean] {
					continue
				}
				seen[clean] = true
			}
			b.add(tag, strconv.Itoa(i)+"\x00"+p)
		}
	}
	paths('o', s.ReadonlyPaths, false)
	paths('x', s.MaskedPaths, true)
	if s.MaskData != "" {
		b.add('M', s.MaskData)
	}
	if s.RootReadonly {
		b.add('r', "")
	}
	if s.Propagation != "" {
		b.add('p', strconv.FormatUint(uint64(s.PropagationFlags), 10)+" "+s.Propagation)
	}
	if s.OOMScoreAdj != nil {
		b.add('g', strconv.Itoa(*s.OOMScoreAdj))
	}
	if s.MkdirCwd {
		b.add('c', "")
	}
	if s.Timings {
		b.add('t', "")
	}
	return nil
}

func cleanAbs(p string) string { return path.Clean("/" + p) }
