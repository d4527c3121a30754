package libcontainer

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/capabilities"
	"github.com/hutch-runtime/hutch/libcontainer/rlimits"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
)

// The C exec path. Once the exec init has joined the container's
// namespaces, what the Go init does for a plain `hutch exec` is a short
// list of syscalls on values known here: rlimits, cwd, the executable's
// path, fds, the bounding set, user and groups, capabilities, umask,
// no_new_privs, a seccomp filter, execve. For such a process the parent
// sends them as a plan (an Exec message) and the init's C constructor
// (fast_exec in nsenter.c) carries them out in the Go init's order and
// execs, so no Go runtime starts inside the container: the largest part
// of an exec's time.
//
// The constructor first checks what could fail, changing nothing the Go
// init would not redo (chroot into the container's root, chdir): the cwd,
// the executable (found as lookPath finds it), capabilities the thread
// does not hold, a raised rlimit. On any doubt it leaves the process to
// the Go init, which reads the Config message the parent sends after the
// plan and reports the error in its own words. Configurations the C code
// does not handle never get a plan: a terminal, LSM labels, a seccomp
// notify listener or a filter this kernel would refuse, scheduler, I/O
// priority, CPU affinity. With --timings, the parent's phases show the C
// path as init_checks (plan to commit) and execve.

// bootFastExec is the bootstrap line that tells the constructor a plan
// follows the pid message.
const bootFastExec = "fastexec\n"

// execPlan returns the plan for p, or nil when the Go init must do the work.
func execPlan(p *specs.Process, profile *specs.LinuxSeccomp, preserveFds, rootFd int) []byte {
	if p.Terminal || p.ApparmorProfile != "" || p.SelinuxLabel != "" ||
		p.IOPriority != nil || p.Scheduler != nil || p.ExecCPUAffinity != nil || len(p.Args) == 0 {
		return nil
	}
	// C strings end at a NUL, where Go's execve refuses the string.
	for _, s := range append(append([]string{p.Cwd}, p.Args...), p.Env...) {
		if strings.IndexByte(s, 0) >= 0 {
			return nil
		}
	}
	var filter *seccomp.Filter
	if profile != nil {
		f, err := seccomp.Compile(profile)
		if err != nil || f.Notify || !f.Loadable() {
			return nil
		}
		filter = f
	}
	var b planBuilder
	for _, a := range p.Args {
		b.add('A', a)
	}
	for _, e := range p.Env {
		b.add('E', e)
	}
	b.add('C', p.Cwd)
	b.add('F', strconv.Itoa(preserveFds))
	if rootFd > 0 {
		b.add('T', strconv.Itoa(rootFd))
	}
	for i, r := range p.Rlimits {
		res, ok := rlimits.Resource(r.Type)
		if !ok {
			return nil
		}
		b.add('R', fmt.Sprintf("%d %d %d %d %s", i, res, r.Soft, r.Hard, r.Type))
	}
	u := p.User
	umask := uint32(0o022)
	if u.Umask != nil {
		umask = *u.Umask
	}
	ids := []string{strconv.FormatUint(uint64(u.UID), 10), strconv.FormatUint(uint64(u.GID), 10), strconv.FormatUint(uint64(umask), 10)}
	for _, g := range u.AdditionalGids {
		ids = append(ids, strconv.FormatUint(uint64(g), 10))
	}
	b.add('U', strings.Join(ids, " "))
	if p.Capabilities != nil {
		m, err := capabilities.ParseMasks(p.Capabilities)
		if err != nil {
			return nil
		}
		b.add('K', fmt.Sprintf("%d %d %d %d %d %d", capabilities.LastCap(),
			m.Bounding, m.Effective, m.Permitted, m.Inheritable, m.Ambient))
	}
	if p.NoNewPrivileges {
		b.add('N', "")
	}
	if filter != nil {
		b.add('f', strconv.FormatUint(uint64(filter.Flags), 10))
		prog := unsafe.Slice((*byte)(unsafe.Pointer(&filter.Program[0])), len(filter.Program)*int(unsafe.Sizeof(unix.SockFilter{})))
		b.add('S', string(prog))
	}
	if len(b.buf) > maxPlan {
		return nil
	}
	return b.buf
}

// maxPlan is the largest message the C constructor reads (recv_msg).
const maxPlan = 1 << 20

// planBuilder frames plan records: a tag byte, a 4-byte big-endian
// length, the payload.
type planBuilder struct{ buf []byte }

func (b *planBuilder) add(tag byte, payload string) {
	b.buf = append(b.buf, tag)
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(payload)))
	b.buf = append(b.buf, payload...)
}
