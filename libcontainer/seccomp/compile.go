package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// badArchRet is what syscalls of an architecture the profile does not list
// get; libseccomp (and so runc and crun) default to killing the thread.
const badArchRet = unix.SECCOMP_RET_KILL_THREAD

// Filter is a compiled profile.
type Filter struct {
	Program []unix.SockFilter
	// Flags are the seccomp(2) SECCOMP_SET_MODE_FILTER flags to install
	// it with, including SECCOMP_FILTER_FLAG_NEW_LISTENER when needed.
	Flags uint
	// Notify is set when the filter returns a listener fd.
	Notify bool
}

// Compile validates s and generates its BPF program for this machine.
func Compile(s *specs.LinuxSeccomp) (*Filter, error) {
	p, err := parse(s)
	if err != nil {
		return nil, err
	}
	prog := p.generate()
	if len(prog) > maxInsns {
		return nil, fmt.Errorf("linux.seccomp: profile compiles to %d BPF instructions, the kernel limit is %d", len(prog), maxInsns)
	}
	f := &Filter{Program: prog, Flags: p.flags, Notify: p.notify}
	if p.notify {
		f.Flags |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER
		if f.Flags&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 {
			// The kernel refuses TSYNC with a listener unless a
			// failure is reported as ESRCH instead of a thread id.
			f.Flags |= unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
		}
	}
	return f, nil
}

// section is the code for one seccomp_data.arch value; x86_64 and x32 share
// one, split on the x32 bit of the syscall number.
type section struct {
	audit uint32
	plain *archInfo
	x32   *archInfo
}

func (p *profile) sections() []section {
	var out []section
	for _, a := range p.arches {
		i := 0
		for i < len(out) && out[i].audit != a.audit {
			i++
		}
		if i == len(out) {
			out = append(out, section{audit: a.audit})
		}
		if a.x32 {
			out[i].x32 = a
		} else {
			out[i].plain = a
		}
	}
	return out
}

// generate lays the program out as:
//
//	load arch; one "arch == X -> section X" test per section; bad-arch return
//	per section: load nr; [x32 split]; per syscall "nr == N -> its rules";
//	[nr > newest named -> ENOSYS]; default return
//
// and emits it back to front (see builder). The x32 split comes before the
// ENOSYS test, so x86_64's test never sees an x32 number (they all have the
// x32 bit and would look newer) and x32's compares x32 numbers.
func (p *profile) generate() []unix.SockFilter {
	b := &builder{}
	secs := p.sections()
	entries := make([]label, len(secs))
	for i := len(secs) - 1; i >= 0; i-- {
		s := secs[i]
		var plain, x32 label
		if s.x32 != nil {
			x32 = p.emitSyscalls(b, s.x32)
		}
		if s.plain != nil {
			plain = p.emitSyscalls(b, s.plain)
		}
		switch {
		case s.x32 != nil && s.plain != nil:
			b.jump(opJge, x32SyscallBit, x32, plain)
		case s.x32 != nil:
			bad := b.ret(badArchRet)
			b.jump(opJge, x32SyscallBit, x32, bad)
		case s.audit == auditX86_64:
			// x32 not listed: its syscalls are a foreign architecture.
			bad := b.ret(badArchRet)
			b.jump(opJge, x32SyscallBit, bad, plain)
		}
		entries[i] = b.load(offNr)
	}
	next := b.ret(badArchRet)
	for i := len(secs) - 1; i >= 0; i-- {
		next = b.jump(opJeq, secs[i].audit, entries[i], next)
	}
	b.load(offArch)
	return b.program()
}

// sysRules is the ordered rule list of one syscall number.
type sysRules struct {
	nr       uint32
	rules    []rule // conditional rules, configuration order
	fallback uint32 // first unconditional rule, or the default action
}

func (p *profile) collect(a *archInfo) []*sysRules {
	var order []*sysRules
	byNr := map[uint32]*sysRules{}
	hasFallback := map[uint32]bool{}
	for _, r := range p.rules {
		for _, n := range r.names {
			nr, ok := a.table.lookup(n)
			if !ok {
				continue // unknown here: skipped, as runc does
			}
			sr := byNr[nr]
			if sr == nil {
				sr = &sysRules{nr: nr, fallback: p.dflt}
				byNr[nr] = sr
				order = append(order, sr)
			}
			switch {
			case len(r.conds) > 0:
				sr.rules = append(sr.rules, r)
			case !hasFallback[nr]:
				hasFallback[nr] = true
				sr.fallback = r.ret
			}
		}
	}
	// Drop syscalls whose every path ends in the default action anyway.
	out := order[:0]
	for _, sr := range order {
		if sr.fallback != p.dflt || len(sr.rules) > 0 {
			out = append(out, sr)
		}
	}
	return out
}

// newest returns the highest number on a of the syscalls the profile
// names, whatever their action; false when it names none known on a.
func (p *profile) newest(a *archInfo) (uint32, bool) {
	var hi uint32
	found := false
	for _, r := range p.rules {
		for _, n := range r.names {
			if nr, ok := a.table.lookup(n); ok && (!found || nr > hi) {
				hi, found = nr, true
			}
		}
	}
	return hi, found
}

// emitSyscalls emits the syscall dispatch for one architecture (A holds nr
// on entry) and returns its first instruction.
func (p *profile) emitSyscalls(b *builder, a *archInfo) label {
	srs := p.collect(a)
	dflt := b.ret(p.dflt)
	next := dflt
	if newest, ok := p.newest(a); ok && p.newerENOSYS {
		// Reached only by syscalls without a rule: all named ones are
		// at most newest, so rules always win.
		enosys := b.ret(retENOSYS)
		next = b.jump(opJgt, newest, enosys, dflt)
		if a.audit == auditS390X {
			// On s390x, nr 0 is the multiplexer that large syscall
			// numbers go through; one the kernel does not know
			// arrives as 0, so runc answers 0 with ENOSYS as well.
			// No syscall the tables name has number 0 there.
			next = b.jump(opJeq, 0, enosys, next)
		}
	}
	// Most recent RET per value: syscalls with only an unconditional rule
	// jump to a shared one while it is within reach.
	rets := map[uint32]label{p.dflt: dflt}
	for i := len(srs) - 1; i >= 0; i-- {
		sr := srs[i]
		var target label
		if len(sr.rules) == 0 {
			l, ok := rets[sr.fallback]
			if !ok || b.dist(l) > 255 {
				// Emitting it inline costs the same as a trampoline.
				l = b.ret(sr.fallback)
				rets[sr.fallback] = l
			}
			target = l
		} else {
			target = emitRules(b, a, sr)
		}
		next = b.jump(opJeq, sr.nr, target, next)
	}
	return next
}
