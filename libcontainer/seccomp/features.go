package seccomp

import (
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// actions, operators and knownFlags are what the compiler accepts (a Go test
// runs each through actionRet, validOp and flagValue).
var (
	actions = []specs.LinuxSeccompAction{
		specs.ActKill, specs.ActKillProcess, specs.ActKillThread, specs.ActTrap, specs.ActErrno,
		specs.ActTrace, specs.ActAllow, specs.ActLog, specs.ActNotify,
	}
	operators = []specs.LinuxSeccompOperator{
		specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual,
	}
	knownFlags = []specs.LinuxSeccompFlag{
		flagTSYNC, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv,
	}
)

// Features describes the seccomp support for `hutch features`: the flags
// this kernel supports are probed.
func Features() *features.Seccomp {
	t := true
	f := &features.Seccomp{Enabled: &t}
	for _, a := range actions {
		f.Actions = append(f.Actions, string(a))
	}
	for _, o := range operators {
		f.Operators = append(f.Operators, string(o))
	}
	for a, info := range knownArches {
		if info != nil {
			f.Archs = append(f.Archs, string(a))
		}
	}
	sort.Strings(f.Archs)
	for _, fl := range knownFlags {
		f.KnownFlags = append(f.KnownFlags, string(fl))
		if v, _ := flagValue(fl); flagSupported(v) {
			f.SupportedFlags = append(f.SupportedFlags, string(fl))
		}
	}
	return f
}
