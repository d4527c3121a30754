// Package initproc is the container init: the Go half of `hutch init`,
// entered after the C constructor in libcontainer/nsenter has put the
// process into its namespaces. It sets up the root filesystem and the
// process attributes, reports ready, waits on the exec fifo for
// `hutch start`, and execs the container process.
package initproc

import specs "github.com/opencontainers/runtime-spec/specs-go"

// The parent passes, after stdio, the --preserve-fds first (they must keep
// their numbers 3..3+N-1 in the container), then the init socket (its
// number in _HUTCH_INITPIPE) and the O_PATH handle of the exec fifo (its
// number in Config.FifoFd).
const SyncEnv = "_HUTCH_INITPIPE"

// Config is everything the init needs, sent once as a Config message after
// the namespaces are in place. The spec was validated by the parent.
type Config struct {
	ID       string      `json:"id"`
	Bundle   string      `json:"bundle"`
	Rootfs   string      `json:"rootfs"`
	Spec     *specs.Spec `json:"spec"`
	NoPivot  bool        `json:"no_pivot,omitempty"`
	InUserNS bool        `json:"in_userns,omitempty"`
	// Namespaces the init owns (created, not joined). The mount namespace,
	// new or joined (like runc), always gets the rootfs set up.
	NewNetNS    bool `json:"new_netns,omitempty"`
	NewCgroupNS bool `json:"new_cgroupns,omitempty"`
	NewUTSNS    bool `json:"new_utsns,omitempty"`
	// PreserveFds extra fds from 3 on stay open in the container process.
	PreserveFds int `json:"preserve_fds,omitempty"`
	FifoFd      int `json:"fifo_fd"`
	// JoinedMountNS: the mount namespace was joined by path. If the bundle's
	// rootfs is not visible in it, it is another container's: the container
	// shares that filesystem view and no rootfs is set up.
	JoinedMountNS bool `json:"joined_mountns,omitempty"`
	// Exec: this is `hutch exec` joining a running container, whose
	// namespaces the C constructor has entered: only Spec.Process applies,
	// and the process runs at once (no fifo). The sync socket is
	// close-on-exec, so the parent sees EOF once execve succeeded.
	Exec bool `json:"exec,omitempty"`
	// ConsoleFd, if set, is a connection to --console-socket: the init
	// makes a pty, sends the master there and uses the slave as stdio.
	ConsoleFd int `json:"console_fd,omitempty"`
	// SeccompFd is a connection to linux.seccomp.listenerPath, for a
	// filter with SCMP_ACT_NOTIFY, and SeccompState what is sent with the fd.
	SeccompFd int `json:"seccomp_fd,omitempty"`
	// IdmapFds: index in Spec.Mounts -> fd of the detached idmapped tree.
	IdmapFds     map[int]int                  `json:"idmap_fds,omitempty"`
	SeccompState *specs.ContainerProcessState `json:"seccomp_state,omitempty"`
	// Timings: report the init's phases (Ready payload; a Timings
	// message before execve for exec).
	Timings bool `json:"timings,omitempty"`
	// Run: `hutch run` starts the container right away, so the init
	// waits here rather than exec a waiter for so short a wait.
	Run bool `json:"run,omitempty"`
}
