package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cond is one argument comparison; for MASKED_EQ v1 is the mask and v2 the
// value compared with the masked argument, as in libseccomp.
type cond struct {
	index  uint32
	op     specs.LinuxSeccompOperator
	v1, v2 uint64
}

// rule is a validated syscalls[i] entry (or a part of one, see expandArgs).
type rule struct {
	names  []string
	ret    uint32
	conds  []cond
	notify bool
}

// profile is a validated linux.seccomp, ready to be compiled.
type profile struct {
	dflt   uint32
	flags  uint
	notify bool
	// newerENOSYS: syscalls newer than every one the profile names get
	// ENOSYS instead of dflt (see newerThanProfile).
	newerENOSYS bool
	arches      []*archInfo // runnable here, native first, no duplicates
	rules       []rule
}

// Syscalls that the runtime itself makes between loading the filter and the
// notify fd reaching the agent (Filter.InstallNotify: sendmsg, then write
// for the rest of a short send); notified, they would wait for a listener
// that has not got the fd yet, and the container start would hang. runc
// refuses write for the same reason.
var notifyForbidden = map[string]bool{"write": true, "sendmsg": true}

func parse(s *specs.LinuxSeccomp) (*profile, error) {
	p := &profile{}
	var err error
	if s.DefaultAction == specs.ActNotify {
		return nil, fmt.Errorf("linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action")
	}
	if p.dflt, err = actionRet(s.DefaultAction, s.DefaultErrnoRet, "linux.seccomp.defaultAction"); err != nil {
		return nil, err
	}
	p.newerENOSYS = newerThanProfile(s.DefaultAction, p.dflt)

	native := nativeArches()
	if len(native) == 0 {
		return nil, fmt.Errorf("linux.seccomp: no syscall table for this machine's architecture")
	}
	seen := map[specs.Arch]bool{}
	for _, a := range append([]specs.Arch{native[0]}, s.Architectures...) {
		info, known := knownArches[a]
		if !known {
			return nil, fmt.Errorf("linux.seccomp.architectures: unknown architecture %q", a)
		}
		if seen[a] || !runnableHere(a, native) {
			// A process here can never issue syscalls of that
			// architecture, so it needs no rules.
			continue
		}
		seen[a] = true
		if info == nil {
			return nil, fmt.Errorf("linux.seccomp.architectures: %q is not supported by hutch", a)
		}
		p.arches = append(p.arches, info)
	}

	for i, f := range s.Flags {
		v, ok := flagValue(f)
		if !ok {
			return nil, fmt.Errorf("linux.seccomp.flags[%d]: unknown flag %q", i, f)
		}
		p.flags |= v
	}

	for i, sc := range s.Syscalls {
		field := fmt.Sprintf("linux.seccomp.syscalls[%d]", i)
		if len(sc.Names) == 0 {
			return nil, fmt.Errorf("%s.names: must not be empty", field)
		}
		for j, n := range sc.Names {
			if n == "" {
				return nil, fmt.Errorf("%s.names[%d]: empty syscall name", field, j)
			}
			if sc.Action == specs.ActNotify && notifyForbidden[n] {
				return nil, fmt.Errorf("%s.names[%d]: SCMP_ACT_NOTIFY cannot be used for %q (the runtime needs it to pass the notify fd)", field, j, n)
			}
		}
		ret, err := actionRet(sc.Action, sc.ErrnoRet, field+".action")
		if err != nil {
			return nil, err
		}
		conds := make([]cond, len(sc.Args))
		for j, a := range sc.Args {
			af := fmt.Sprintf("%s.args[%d]", field, j)
			if a.Index > 5 {
				return nil, fmt.Errorf("%s.index: %d out of range, syscalls have 6 arguments (0-5)", af, a.Index)
			}
			if !validOp(a.Op) {
				return nil, fmt.Errorf("%s.op: unknown operator %q", af, a.Op)
			}
			conds[j] = cond{index: uint32(a.Index), op: a.Op, v1: a.Value, v2: a.ValueTwo}
		}
		notify := sc.Action == specs.ActNotify
		p.notify = p.notify || notify
		for _, cs := range expandArgs(conds) {
			p.rules = append(p.rules, rule{names: sc.Names, ret: ret, conds: cs, notify: notify})
		}
	}

	if p.notify && s.ListenerPath == "" {
		return nil, fmt.Errorf("linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used")
	}
	if p.flags&unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV != 0 && !p.notify {
		return nil, fmt.Errorf("linux.seccomp.flags: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a notify listener, but no syscall uses SCMP_ACT_NOTIFY")
	}
	return p, nil
}

// expandArgs returns the condition sets of one syscalls[i] entry: all
// arguments ANDed, or, when an argument index repeats (which an AND could
// never mean usefully, e.g. "arg0 == 1 && arg0 == 2"), one set per argument,
// ORed. This is how runc reads such profiles.
func expandArgs(conds []cond) [][]cond {
	seen := map[uint32]bool{}
	repeated := false
	for _, c := range conds {
		if seen[c.index] {
			repeated = true
		}
		seen[c.index] = true
	}
	if !repeated {
		return [][]cond{conds}
	}
	out := make([][]cond, len(conds))
	for i := range conds {
		out[i] = conds[i : i+1]
	}
	return out
}

// Validate checks linux.seccomp without installing anything, including that
// the program fits the kernel's size limit. Syscall names unknown on this
// machine are not errors.
func Validate(s *specs.LinuxSeccomp) error {
	if s == nil {
		return nil
	}
	_, err := Compile(s)
	return err
}
