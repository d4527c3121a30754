package seccomp

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	ok := func() specs.LinuxSeccomp {
		return specs.LinuxSeccomp{
			DefaultAction: specs.ActErrno,
			Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
			Syscalls:      []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow}},
		}
	}
	cases := []struct {
		name   string
		mutate func(s *specs.LinuxSeccomp)
		want   string // "" means valid
	}{
		{"valid", func(s *specs.LinuxSeccomp) {}, ""},
		{"unknown syscall names are skipped", func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Names = append(s.Syscalls[0].Names, "not_a_syscall", "pkey_mprotect_2099")
		}, ""},
		{"foreign arch ignored", func(s *specs.LinuxSeccomp) {
			s.Architectures = append(s.Architectures, specs.ArchMIPS, specs.ArchAARCH64, specs.ArchS390X)
		}, ""},
		{"all flags", func(s *specs.LinuxSeccomp) {
			s.Flags = []specs.LinuxSeccompFlag{flagTSYNC, specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow, specs.LinuxSeccompFlagWaitKillableRecv}
			s.ListenerPath = "/run/agent.sock"
			s.Syscalls = append(s.Syscalls, specs.LinuxSyscall{Names: []string{"mount"}, Action: specs.ActNotify})
		}, ""},
		{"errno 0 allowed", func(s *specs.LinuxSeccomp) { s.DefaultErrnoRet = uptr(0) }, ""},
		{"missing default", func(s *specs.LinuxSeccomp) { s.DefaultAction = "" }, "linux.seccomp.defaultAction: action is required"},
		{"unknown default", func(s *specs.LinuxSeccomp) { s.DefaultAction = "SCMP_ACT_NOPE" }, `linux.seccomp.defaultAction: unknown action "SCMP_ACT_NOPE"`},
		{"notify default", func(s *specs.LinuxSeccomp) { s.DefaultAction = specs.ActNotify }, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot"},
		{"defaultErrnoRet with allow", func(s *specs.LinuxSeccomp) {
			s.DefaultAction = specs.ActAllow
			s.DefaultErrnoRet = uptr(1)
		}, "linux.seccomp.defaultAction: errnoRet is only valid"},
		{"errno too big", func(s *specs.LinuxSeccomp) { s.DefaultErrnoRet = uptr(70000) }, "errnoRet 70000 is larger than 4095"},
		{"unknown arch", func(s *specs.LinuxSeccomp) { s.Architectures = []specs.Arch{"SCMP_ARCH_VAX"} }, `linux.seccomp.architectures: unknown architecture "SCMP_ARCH_VAX"`},
		{"unknown flag", func(s *specs.LinuxSeccomp) {
			s.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, "SECCOMP_FILTER_FLAG_BOGUS"}
		}, `linux.seccomp.flags[1]: unknown flag "SECCOMP_FILTER_FLAG_BOGUS"`},
		{"wait killable without notify", func(s *specs.LinuxSeccomp) {
			s.Flags = []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagWaitKillableRecv}
		}, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a notify listener"},
		{"unknown action", func(s *specs.LinuxSeccomp) { s.Syscalls[0].Action = "SCMP_ACT_MAYBE" }, `linux.seccomp.syscalls[0].action: unknown action "SCMP_ACT_MAYBE"`},
		{"missing action", func(s *specs.LinuxSeccomp) { s.Syscalls[0].Action = "" }, "linux.seccomp.syscalls[0].action: action is required"},
		{"errnoRet on kill", func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Action = specs.ActKillProcess
			s.Syscalls[0].ErrnoRet = uptr(1)
		}, "linux.seccomp.syscalls[0].action: errnoRet is only valid"},
		{"no names", func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = nil }, "linux.seccomp.syscalls[0].names: must not be empty"},
		{"empty name", func(s *specs.LinuxSeccomp) { s.Syscalls[0].Names = []string{"read", ""} }, "linux.seccomp.syscalls[0].names[1]: empty syscall name"},
		{"unknown op", func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_LIKE"}}
		}, `linux.seccomp.syscalls[0].args[0].op: unknown operator "SCMP_CMP_LIKE"`},
		{"missing op", func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo}, {Index: 1}}
		}, `linux.seccomp.syscalls[0].args[1].op: unknown operator ""`},
		{"arg index", func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Args = []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}
		}, "linux.seccomp.syscalls[0].args[0].index: 6 out of range"},
		{"notify without listenerPath", func(s *specs.LinuxSeccomp) {
			s.Syscalls[0].Action = specs.ActNotify
		}, "linux.seccomp.listenerPath: required when SCMP_ACT_NOTIFY is used"},
		{"notify on write", func(s *specs.LinuxSeccomp) {
			s.ListenerPath = "/run/agent.sock"
			s.Syscalls[0] = specs.LinuxSyscall{Names: []string{"mount", "write"}, Action: specs.ActNotify}
		}, `linux.seccomp.syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for "write"`},
	}
	for _, c := range cases {
		s := ok()
		c.mutate(&s)
		err := Validate(&s)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: unexpected error: %v", c.name, err)
		case c.want != "" && err == nil:
			t.Errorf("%s: no error, want %q", c.name, c.want)
		case c.want != "" && !strings.Contains(err.Error(), c.want):
			t.Errorf("%s: error %q, want it to contain %q", c.name, err, c.want)
		}
	}
	if err := Validate(nil); err != nil {
		t.Errorf("Validate(nil): %v", err)
	}
}

func TestTableLookup(t *testing.T) {
	for _, tbl := range []sysTable{tblX86_64, tblX86, tblX32, tblAARCH64, tblARM, tblRISCV64, tblPPC64LE, tblPPC64, tblS390X, tblLOONGARCH64} {
		for i := 1; i < len(tbl); i++ {
			if tbl[i-1].name >= tbl[i].name {
				t.Fatalf("table not sorted at %q", tbl[i].name)
			}
		}
	}
	for _, c := range []struct {
		tbl  sysTable
		name string
		nr   uint32
	}{
		{tblX86_64, "read", 0}, {tblX86_64, "mkdirat", 258}, {tblX86, "socketcall", 102},
		{tblX32, "read", x32SyscallBit}, {tblX32, "rt_sigaction", x32SyscallBit | 512},
		{tblAARCH64, "openat", 56}, {tblX86_64, "listns", 470},
	} {
		if nr, ok := c.tbl.lookup(c.name); !ok || nr != c.nr {
			t.Errorf("%s: %d %v, want %d", c.name, nr, ok, c.nr)
		}
	}
	if _, ok := tblX86_64.lookup("socketcall"); ok {
		t.Error("x86_64 has no socketcall")
	}
}

// The features lists are what the compiler accepts, and only that.
func TestFeaturesMatchCompiler(t *testing.T) {
	for _, a := range actions {
		if _, err := actionRet(a, nil, "x"); err != nil {
			t.Errorf("action %s listed but refused: %v", a, err)
		}
	}
	for _, o := range operators {
		if !validOp(o) {
			t.Errorf("operator %s listed but refused", o)
		}
	}
	for _, fl := range knownFlags {
		if _, ok := flagValue(fl); !ok {
			t.Errorf("flag %s listed but refused", fl)
		}
	}
	f := Features()
	for _, a := range f.Archs {
		if knownArches[specs.Arch(a)] == nil {
			t.Errorf("arch %s listed without a syscall table", a)
		}
	}
	if len(f.Archs) == 0 || len(f.SupportedFlags) == 0 {
		t.Errorf("features: %+v", f)
	}
}
