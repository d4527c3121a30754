package plan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/procattr"
	"github.com/hutch-runtime/hutch/libcontainer/rlimits"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
)

// Process is everything the executor needs for one process. The fd
// numbers are those the process has when the executor runs (see the
// launcher's fd list).
type Process struct {
	Process     *specs.Process
	Personality *specs.LinuxPersonality
	// Seccomp is the compiled linux.seccomp, nil for none; with
	// SCMP_ACT_NOTIFY rules, NotifyFd is the connection to the agent and
	// NotifyMsg what goes with the listener fd.
	Seccomp   *seccomp.Filter
	NotifyFd  int
	NotifyMsg []byte
	// PreserveFds fds from 3 on stay open in the process.
	PreserveFds int
	// RootFd (exec): chroot into this handle of the init's root first.
	RootFd int
	// ConsoleFd: a connection to the console socket that gets the master
	// of a pty the executor makes (process.terminal).
	ConsoleFd int
	// FifoFd (create): report ready, then wait on the exec fifo for start.
	FifoFd int
	// StartHooks run right before execve with HookState on their stdin
	// (as do Setup.CreateHooks, first).
	StartHooks []specs.Hook
	HookState  []byte
	// Setup (create): the container's set-up that comes first.
	Setup *Setup
}

// Encode builds the plan. Its errors name the config field.
func (p *Process) Encode() ([]byte, error) {
	sp := p.Process
	if sp == nil || len(sp.Args) == 0 {
		return nil, errors.New("process.args: must not be empty")
	}
	var b builder
	// The strings hold no NUL (spec validation refuses one): the C side
	// reads them as C strings.
	for _, a := range sp.Args {
		b.add('A', a)
	}
	for _, e := range sp.Env {
		b.add('E', e)
	}
	b.add('C', sp.Cwd)
	b.add('F', strconv.Itoa(p.PreserveFds))
	if p.RootFd > 0 {
		b.add('T', strconv.Itoa(p.RootFd))
	}
	for i, r := range sp.Rlimits {
		res, ok := rlimits.Resource(r.Type)
		if !ok {
			return nil, fmt.Errorf("process.rlimits[%d].type: unknown rlimit %q", i, r.Type)
		}
		b.add('R', fmt.Sprintf("%d %d %d %d %s", i, res, r.Soft, r.Hard, r.Type))
	}
	u := sp.User
	umask := uint32(0o022)
	if u.Umask != nil {
		umask = *u.Umask
	}
	ids := []string{strconv.FormatUint(uint64(u.UID), 10), strconv.FormatUint(uint64(u.GID), 10), strconv.FormatUint(uint64(umask), 10)}
	for _, g := range u.AdditionalGids {
		ids = append(ids, strconv.FormatUint(uint64(g), 10))
	}
	b.add('U', strings.Join(ids, " "))
	if sp.Capabilities != nil {
		m, err := capabilities.ParseMasks(sp.Capabilities)
		if err != nil {
			return nil, err
		}
		last := capabilities.LastCap()
		b.add('K', fmt.Sprintf("%d %d %d %d %d %d", last, m.Bounding, m.Effective, m.Permitted, m.Inheritable, m.Ambient))
		var names strings.Builder
		for c := 0; c <= last; c++ {
			names.WriteString(capabilities.Name(c))
			names.WriteByte(0)
		}
		b.add('k', names.String())
	}
	if sp.NoNewPrivileges {
		b.add('N', "")
	}
	if f := p.Seccomp; f != nil {
		if err := f.CheckLoadable(); err != nil {
			return nil, fmt.Errorf("linux.seccomp: %w", err)
		}
		b.add('f', strconv.FormatUint(uint64(f.Flags), 10))
		prog := unsafe.Slice((*byte)(unsafe.Pointer(&f.Program[0])), len(f.Program)*int(unsafe.Sizeof(unix.SockFilter{})))
		b.add('S', string(prog))
		if f.Notify {
			if p.NotifyFd <= 0 || len(p.NotifyMsg) == 0 {
				return nil, errors.New("linux.seccomp: a notify filter needs linux.seccomp.listenerPath")
			}
			b.add('Q', strconv.Itoa(p.NotifyFd))
			b.add('q', string(p.NotifyMsg))
		}
	}
	if a := sp.ExecCPUAffinity; a != nil {
		for _, x := range []struct {
			tag         byte
			field, list string
		}{{'i', "process.execCPUAffinity.initial", a.Initial}, {'j', "process.execCPUAffinity.final", a.Final}} {
			if x.list == "" {
				continue
			}
			mask, err := procattr.CPUMask(x.field, x.list)
			if err != nil {
				return nil, err
			}
			b.add(x.tag, string(mask)+x.list)
		}
	}
	if p.Personality != nil {
		dom, err := procattr.PersonalityDomain(p.Personality)
		if err != nil {
			return nil, err
		}
		b.add('P', strconv.FormatUint(uint64(dom), 10))
	}
	if sp.IOPriority != nil {
		b.add('O', strconv.Itoa(procattr.IOPrio(sp.IOPriority)))
	}
	if sc := sp.Scheduler; sc != nil {
		pol, flags := procattr.SchedPolicy(sc)
		b.add('D', fmt.Sprintf("%d %d %d %d %d %d %d %s", pol, flags, sc.Nice, sc.Priority, sc.Runtime, sc.Deadline, sc.Period, sc.Policy))
	}
	if sp.ApparmorProfile != "" {
		b.add('a', sp.ApparmorProfile)
	}
	if sp.SelinuxLabel != "" {
		b.add('l', sp.SelinuxLabel)
	}
	if p.ConsoleFd > 0 {
		has, rows, cols := 0, uint(0), uint(0)
		if sz := sp.ConsoleSize; sz != nil {
			if sz.Height > 0xffff || sz.Width > 0xffff {
				return nil, fmt.Errorf("process.consoleSize: %dx%d exceeds %d", sz.Height, sz.Width, 0xffff)
			}
			has, rows, cols = 1, sz.Height, sz.Width
		}
		b.add('Y', fmt.Sprintf("%d %d %d %d %d", p.ConsoleFd, u.UID, has, rows, cols))
	}
	if p.FifoFd > 0 {
		b.add('W', strconv.Itoa(p.FifoFd))
	}
	for _, h := range p.StartHooks {
		b.add('H', hookRecord(h))
	}
	if len(p.StartHooks) > 0 || (p.Setup != nil && len(p.Setup.CreateHooks) > 0) {
		b.add('Z', string(p.HookState))
	}
	if p.Setup != nil {
		if err := p.Setup.encode(&b); err != nil {
			return nil, err
		}
	}
	if len(b.buf) > MaxMessage {
		return nil, fmt.Errorf("process: the plan is %d bytes, more than %d", len(b.buf), MaxMessage)
	}
	return b.buf, nil
}

// hookRecord is "TIMEOUT\0PATH\0NARGS\0ARG...\0ENV...\0".
// The hook was validated (an absolute path, a timeout above 0).
func hookRecord(h specs.Hook) string {
	timeout := 0
	if h.Timeout != nil {
		timeout = *h.Timeout
	}
	items := append([]string{strconv.Itoa(timeout), h.Path, strconv.Itoa(len(h.Args))}, h.Args...)
	items = append(items, h.Env...)
	var s strings.Builder
	for _, it := range items {
		s.WriteString(it)
		s.WriteByte(0)
	}
	return s.String()
}
