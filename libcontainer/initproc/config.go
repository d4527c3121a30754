// Package initproc is the Go half of a created container's `hutch init`,
// entered after the C constructor in libcontainer/nsenter has put the
// process into its namespaces. It makes the mounts of the root filesystem,
// then hands the process to the C process executor (a re-exec of the
// sealed binary), which does the rest of the container's set-up (/dev,
// hooks, pivot_root, masks), sets up the container process, reports
// ready, waits for `hutch start` and execs it.
package initproc

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The parent passes, after stdio, the --preserve-fds first (they must keep
// their numbers 3..3+N-1 in the container), then the init socket (its
// number in _HUTCH_INITPIPE) and the O_PATH handle of the exec fifo (its
// number in Config.FifoFd).
const SyncEnv = "_HUTCH_INITPIPE"

// ProcessEnv names the socket's fd for the process executor (the init's
// re-exec, see handOff; nsenter.c reads it).
const ProcessEnv = "_HUTCH_PROCPIPE"

// Config is everything the init needs, sent once as a Config message after
// the namespaces are in place. The spec was validated by the parent.
type Config struct {
	ID       string      `json:"id"`
	Bundle   string      `json:"bundle"`
	Rootfs   string      `json:"rootfs"`
	Spec     *specs.Spec `json:"spec"`
	InUserNS bool        `json:"in_userns,omitempty"`
	// Namespaces the init owns (created, not joined). The mount namespace,
	// new or joined (like runc), always gets the rootfs set up.
	NewNetNS    bool `json:"new_netns,omitempty"`
	NewCgroupNS bool `json:"new_cgroupns,omitempty"`
	// PreserveFds extra fds from 3 on stay open in the container process.
	PreserveFds int `json:"preserve_fds,omitempty"`
	FifoFd      int `json:"fifo_fd"`
	// JoinedMountNS: the mount namespace was joined by path: another's. The
	// root is set up in it as in the caller's (HostMountNS) when root.path
	// exists there, else the namespace is used as it is.
	JoinedMountNS bool `json:"joined_mountns,omitempty"`
	// NoRootfs: root.path is not a directory in that namespace, which
	// is used as it is (nothing is mounted).
	NoRootfs bool `json:"no_rootfs,omitempty"`
	// HostMountNS: the config lists no mount namespace, so the container
	// shares the caller's: the root is a bind made there, entered with
	// chroot (rootfs.Options.SharedMountNS).
	HostMountNS bool `json:"host_mountns,omitempty"`
	// ConsoleFd and SeccompFd: the console socket and seccomp agent
	// connections, which the process executor uses (kept open for it).
	ConsoleFd int `json:"console_fd,omitempty"`
	SeccompFd int `json:"seccomp_fd,omitempty"`
	// TreeFds: index in Spec.Mounts -> fd of the bind's detached tree
	// (rootfs.Options.TreeFds).
	TreeFds map[int]int `json:"tree_fds,omitempty"`
	// Timings: report the init's phases (with the Mounted message).
	Timings bool `json:"timings,omitempty"`
}

// Wire is Config as it travels to the init: the init decodes into it, and
// exec encodes it. Its Spec (which shadows Config.Spec, same JSON name) has
// only the parts of specs.Spec that the init uses. encoding/json prepares
// an encoder for every type reachable from a struct's fields the first time
// it meets the struct, and specs.Spec reaches about a hundred (resources,
// Windows, Solaris, VM, ...): in a fresh process that is most of a
// millisecond, paid by every container start and exec. Fields the init
// does not use are simply skipped when decoding.
//
// Code in the init that reads another field of the spec must add it here
// (TestWireCarriesWhatTheInitUses lists them).
type Wire struct {
	Config
	Spec *WireSpec `json:"spec"`
}

// WireSpec is the init's part of specs.Spec (same JSON names).
type WireSpec struct {
	Root   *specs.Root   `json:"root,omitempty"`
	Mounts []specs.Mount `json:"mounts,omitempty"`
	Hooks  *specs.Hooks  `json:"hooks,omitempty"`
	Linux  *WireLinux    `json:"linux,omitempty"`
}

// WireLinux is the init's part of specs.Linux.
type WireLinux struct {
	Devices           []specs.LinuxDevice `json:"devices,omitempty"`
	RootfsPropagation string              `json:"rootfsPropagation,omitempty"`
	MaskedPaths       []string            `json:"maskedPaths,omitempty"`
	ReadonlyPaths     []string            `json:"readonlyPaths,omitempty"`
	MountLabel        string              `json:"mountLabel,omitempty"`
}

// Decode is the init's json.Unmarshal of a Config (sent as Config or Wire).
func Decode(data []byte) (*Config, error) {
	var w Wire
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, err
	}
	c := w.Config
	c.Spec = w.Spec.spec()
	return &c, nil
}

func (w *WireSpec) spec() *specs.Spec {
	if w == nil {
		return nil
	}
	s := &specs.Spec{
		Root: w.Root, Mounts: w.Mounts, Hooks: w.Hooks,
	}
	if l := w.Linux; l != nil {
		s.Linux = &specs.Linux{
			Devices:           l.Devices,
			RootfsPropagation: l.RootfsPropagation, MaskedPaths: l.MaskedPaths,
			ReadonlyPaths: l.ReadonlyPaths, MountLabel: l.MountLabel,
		}
	}
	return s
}
