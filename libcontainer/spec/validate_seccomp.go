package spec

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var knownSeccompActions = map[specs.LinuxSeccompAction]bool{
	specs.ActKill: true, specs.ActKillProcess: true, specs.ActKillThread: true,
	specs.ActTrap: true, specs.ActErrno: true, specs.ActTrace: true,
	specs.ActAllow: true, specs.ActLog: true, specs.ActNotify: true,
}

var knownSeccompArchs = map[specs.Arch]bool{
	specs.ArchX86: true, specs.ArchX86_64: true, specs.ArchX32: true, specs.ArchARM: true,
	specs.ArchAARCH64: true, specs.ArchMIPS: true, specs.ArchMIPS64: true, specs.ArchMIPS64N32: true,
	specs.ArchMIPSEL: true, specs.ArchMIPSEL64: true, specs.ArchMIPSEL64N32: true, specs.ArchPPC: true,
	specs.ArchPPC64: true, specs.ArchPPC64LE: true, specs.ArchS390: true, specs.ArchS390X: true,
	specs.ArchPARISC: true, specs.ArchPARISC64: true, specs.ArchRISCV64: true,
	specs.ArchLOONGARCH64: true, specs.ArchM68K: true, specs.ArchSH: true, specs.ArchSHEB: true,
}

var knownSeccompFlags = map[specs.LinuxSeccompFlag]bool{
	"SECCOMP_FILTER_FLAG_TSYNC": true, specs.LinuxSeccompFlagLog: true,
	specs.LinuxSeccompFlagSpecAllow: true, specs.LinuxSeccompFlagWaitKillableRecv: true,
}

var knownSeccompOps = map[specs.LinuxSeccompOperator]bool{
	specs.OpNotEqual: true, specs.OpLessThan: true, specs.OpLessEqual: true, specs.OpEqualTo: true,
	specs.OpGreaterEqual: true, specs.OpGreaterThan: true, specs.OpMaskedEqual: true,
}

// takesErrno: the spec requires an error when errnoRet is given to an
// action that cannot return one.
func takesErrno(a specs.LinuxSeccompAction) bool {
	return a == specs.ActErrno || a == specs.ActTrace
}

// maxSyscallArgs is the number of syscall arguments seccomp can inspect.
const maxSyscallArgs = 6

func validateSeccomp(errs *errList, sc *specs.LinuxSeccomp) {
	const f = "linux.seccomp"
	switch {
	case sc.DefaultAction == "":
		errs.add("%s.defaultAction: must be set", f)
	case !knownSeccompActions[sc.DefaultAction]:
		errs.add("%s.defaultAction: unknown action %q", f, sc.DefaultAction)
	case sc.DefaultAction == specs.ActNotify:
		// Every syscall, including the ones the runtime still makes, would
		// wait for an agent; libseccomp refuses it too.
		errs.add("%s.defaultAction: %s cannot be the default action", f, specs.ActNotify)
	}
	if sc.DefaultErrnoRet != nil && !takesErrno(sc.DefaultAction) {
		errs.add("%s.defaultErrnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %q", f, sc.DefaultAction)
	}
	for i, a := range sc.Architectures {
		if !knownSeccompArchs[a] {
			errs.add("%s.architectures[%d]: unknown architecture %q", f, i, a)
		}
	}
	for i, fl := range sc.Flags {
		if !knownSeccompFlags[fl] {
			errs.add("%s.flags[%d]: unknown flag %q", f, i, fl)
		}
	}
	if sc.ListenerMetadata != "" && sc.ListenerPath == "" {
		errs.add("%s.listenerMetadata: requires %s.listenerPath", f, f)
	}
	notify := false
	for i, call := range sc.Syscalls {
		if len(call.Names) == 0 {
			errs.add("%s.syscalls[%d].names: must not be empty", f, i)
		}
		for j, n := range call.Names {
			if strings.TrimSpace(n) == "" {
				errs.add("%s.syscalls[%d].names[%d]: must not be empty", f, i, j)
			}
		}
		switch {
		case call.Action == "":
			errs.add("%s.syscalls[%d].action: must be set", f, i)
		case !knownSeccompActions[call.Action]:
			errs.add("%s.syscalls[%d].action: unknown action %q", f, i, call.Action)
		}
		if call.Action == specs.ActNotify {
			notify = true
		}
		if call.ErrnoRet != nil && !takesErrno(call.Action) {
			errs.add("%s.syscalls[%d].errnoRet: only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %q", f, i, call.Action)
		}
		for j, a := range call.Args {
			if a.Index >= maxSyscallArgs {
				errs.add("%s.syscalls[%d].args[%d].index: %d is out of range 0..%d", f, i, j, a.Index, maxSyscallArgs-1)
			}
			if !knownSeccompOps[a.Op] {
				errs.add("%s.syscalls[%d].args[%d].op: unknown operator %q", f, i, j, a.Op)
			}
		}
	}
	// Without a listener nobody receives the notify fd and matching
	// syscalls would block forever.
	if notify && sc.ListenerPath == "" {
		errs.add("%s.listenerPath: required when a syscall uses %s", f, specs.ActNotify)
	}
	if sc.ListenerPath != "" && !isAbs(sc.ListenerPath) {
		errs.add("%s.listenerPath: must be an absolute path, got %q", f, sc.ListenerPath)
	}
}
