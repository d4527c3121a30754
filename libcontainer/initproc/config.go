// Package initproc is the container init: the Go half of `hutch init`,
// entered after the C constructor in libcontainer/nsenter has put the
// process into its namespaces. It sets up the root filesystem and the
// process attributes, reports ready, waits on the exec fifo for
// `hutch start`, and execs the container process.
package initproc

import specs "github.com/opencontainers/runtime-spec/specs-go"

// Fds the parent passes to the init (exec.Cmd ExtraFiles start at 3).
const (
	SyncFd = 3 // the init socket (syncmsg framing)
	FifoFd = 4 // O_PATH handle of the exec fifo
)

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
}
