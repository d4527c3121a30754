package seccomp

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func uptr(v uint) *uint { return &v }

func mustCompile(t *testing.T, s *specs.LinuxSeccomp) *Filter {
	t.Helper()
	f, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return f
}

func nrOf(t *testing.T, tbl sysTable, name string) uint32 {
	t.Helper()
	nr, ok := tbl.lookup(name)
	if !ok {
		t.Fatalf("no syscall %q", name)
	}
	return nr
}

// goCompare is the reference semantics of the operators.
func goCompare(op specs.LinuxSeccompOperator, arg, v1, v2 uint64) bool {
	switch op {
	case specs.OpEqualTo:
		return arg == v1
	case specs.OpNotEqual:
		return arg != v1
	case specs.OpLessThan:
		return arg < v1
	case specs.OpLessEqual:
		return arg <= v1
	case specs.OpGreaterThan:
		return arg > v1
	case specs.OpGreaterEqual:
		return arg >= v1
	case specs.OpMaskedEqual:
		return arg&v1 == v2
	}
	panic("op")
}

var allOps = []specs.LinuxSeccompOperator{specs.OpEqualTo, specs.OpNotEqual, specs.OpLessThan,
	specs.OpLessEqual, specs.OpGreaterThan, specs.OpGreaterEqual, specs.OpMaskedEqual}

func TestOperators64(t *testing.T) {
	values := []uint64{0, 5, 0xffffffff, 0x100000000, 0x100000005, 0x1ffffffff, 0xffffffff00000000, ^uint64(0)}
	nr := nrOf(t, tblX86_64, "getpid")
	for _, op := range allOps {
		for _, v := range values {
			for _, idx := range []uint{0, 3, 5} {
				v2 := v & 0xff0000000f
				s := &specs.LinuxSeccomp{
					DefaultAction: specs.ActAllow,
					Syscalls: []specs.LinuxSyscall{{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(7),
						Args: []specs.LinuxSeccompArg{{Index: idx, Op: op, Value: v, ValueTwo: v2}}}},
				}
				prog := mustCompile(t, s).Program
				for _, arg := range values {
					for _, d := range []uint64{arg - 1, arg, arg + 1} {
						data := seccompData{nr: nr, arch: auditX86_64}
						data.args[idx] = d
						got := runBPF(t, prog, data.bytes()) == unix.SECCOMP_RET_ERRNO|7
						if want := goCompare(op, d, v, v2); got != want {
							t.Errorf("%s arg%d=%#x value=%#x valueTwo=%#x: matched=%v, want %v", op, idx, d, v, v2, got, want)
						}
					}
				}
			}
		}
	}
}

func TestOperators32BitArchComparesLowWord(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"personality"}, Action: specs.ActErrno,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 0xffffffff}}}},
	}
	prog := mustCompile(t, s).Program
	data := seccompData{nr: nrOf(t, tblX86, "personality"), arch: auditX86}
	data.args[0] = 0xffffffff
	if got := runBPF(t, prog, data.bytes()); got != unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM) {
		t.Errorf("x86 personality(0xffffffff) = %#x, want ERRNO(EPERM)", got)
	}
	data.args[0] = 0
	if got := runBPF(t, prog, data.bytes()); got != unix.SECCOMP_RET_ALLOW {
		t.Errorf("x86 personality(0) = %#x, want ALLOW", got)
	}
}

func TestArchDispatch(t *testing.T) {
	base := specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uptr(38),
		Syscalls:        []specs.LinuxSyscall{{Names: []string{"mkdir", "rt_sigaction"}, Action: specs.ActAllow}},
	}
	errno38 := uint32(unix.SECCOMP_RET_ERRNO | 38)
	cases := []struct {
		name   string
		arches []specs.Arch
		arch   uint32
		nr     uint32
		want   uint32
	}{
		{"native always included", nil, auditX86_64, nrOf(t, tblX86_64, "mkdir"), unix.SECCOMP_RET_ALLOW},
		{"native default", nil, auditX86_64, nrOf(t, tblX86_64, "getcwd"), errno38},
		{"x86 not listed", nil, auditX86, nrOf(t, tblX86, "mkdir"), badArchRet},
		{"x32 not listed", nil, auditX86_64, nrOf(t, tblX32, "mkdir"), badArchRet},
		{"foreign arch", nil, auditAARCH64, 34, badArchRet},
		{"x86 listed", []specs.Arch{specs.ArchX86}, auditX86, nrOf(t, tblX86, "mkdir"), unix.SECCOMP_RET_ALLOW},
		{"x86 listed default", []specs.Arch{specs.ArchX86}, auditX86, nrOf(t, tblX86, "getcwd"), errno38},
		{"x32 listed", []specs.Arch{specs.ArchX32}, auditX86_64, nrOf(t, tblX32, "mkdir"), unix.SECCOMP_RET_ALLOW},
		{"x32 own numbers", []specs.Arch{specs.ArchX32}, auditX86_64, nrOf(t, tblX32, "rt_sigaction"), unix.SECCOMP_RET_ALLOW},
		{"x32 listed, x86_64 still filtered", []specs.Arch{specs.ArchX32}, auditX86_64, nrOf(t, tblX86_64, "mkdir"), unix.SECCOMP_RET_ALLOW},
		{"x32 default", []specs.Arch{specs.ArchX32, specs.ArchX86}, auditX86_64, nrOf(t, tblX32, "getcwd"), errno38},
		{"non-runnable arch ignored", []specs.Arch{specs.ArchMIPS, specs.ArchAARCH64}, auditAARCH64, 34, badArchRet},
	}
	for _, c := range cases {
		s := base
		s.Architectures = c.arches
		prog := mustCompile(t, &s).Program
		d := seccompData{nr: c.nr, arch: c.arch}
		if got := runBPF(t, prog, d.bytes()); got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.name, got, c.want)
		}
	}
}

func TestRuleOrder(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{
			// Unconditional first, but it is only the fallback.
			{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(1)},
			{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(2),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: 10}}},
			// First match wins among conditional rules.
			{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(3),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: 5}}},
			// A second unconditional rule is ignored.
			{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: uptr(4)},
			// Repeated index: ORed.
			{Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: uptr(5),
				Args: []specs.LinuxSeccompArg{{Index: 1, Op: specs.OpEqualTo, Value: 1}, {Index: 1, Op: specs.OpEqualTo, Value: 2}}},
			// Distinct indexes: ANDed.
			{Names: []string{"getuid"}, Action: specs.ActErrno, ErrnoRet: uptr(6),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 1}, {Index: 1, Op: specs.OpEqualTo, Value: 2}}},
		},
	}
	prog := mustCompile(t, s).Program
	run := func(name string, a0, a1 uint64) uint32 {
		d := seccompData{nr: nrOf(t, tblX86_64, name), arch: auditX86_64, args: [6]uint64{a0, a1}}
		r := runBPF(t, prog, d.bytes())
		if r == unix.SECCOMP_RET_ALLOW {
			return 0
		}
		return r &^ unix.SECCOMP_RET_ERRNO
	}
	checks := []struct {
		name   string
		a0, a1 uint64
		want   uint32
	}{
		{"getpid", 0, 0, 1}, {"getpid", 6, 0, 3}, {"getpid", 11, 0, 2},
		{"getppid", 0, 1, 5}, {"getppid", 0, 2, 5}, {"getppid", 0, 3, 0},
		{"getuid", 1, 2, 6}, {"getuid", 1, 3, 0}, {"getuid", 0, 2, 0},
	}
	for _, c := range checks {
		if got := run(c.name, c.a0, c.a1); got != c.want {
			t.Errorf("%s(%d, %d) = errno %d, want %d (0 = allowed)", c.name, c.a0, c.a1, got, c.want)
		}
	}
}

// A profile naming every known syscall on three architectures must fit in
// BPF_MAXINSNS and exercise the long-jump trampolines correctly.
func TestLargeProfile(t *testing.T) {
	names := map[string]bool{}
	for _, tbl := range []sysTable{tblX86_64, tblX86, tblX32} {
		for _, e := range tbl {
			names[e.name] = true
		}
	}
	var list []string
	for n := range names {
		if n != "getcwd" {
			list = append(list, n)
		}
	}
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: list, Action: specs.ActAllow},
			{Names: []string{"clone"}, Action: specs.ActErrno, ErrnoRet: uptr(9),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpMaskedEqual, Value: unix.CLONE_NEWUSER, ValueTwo: unix.CLONE_NEWUSER}}},
		},
	}
	prog := mustCompile(t, s).Program
	t.Logf("%d syscall names, %d instructions", len(list), len(prog))
	for _, c := range []struct {
		audit uint32
		tbl   sysTable
	}{{auditX86_64, tblX86_64}, {auditX86, tblX86}, {auditX86_64, tblX32}} {
		for _, e := range c.tbl {
			d := seccompData{nr: e.nr, arch: c.audit}
			want := uint32(unix.SECCOMP_RET_ALLOW)
			if e.name == "getcwd" {
				want = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
			}
			if got := runBPF(t, prog, d.bytes()); got != want {
				t.Errorf("arch %#x %s (%#x): got %#x, want %#x", c.audit, e.name, e.nr, got, want)
			}
		}
		d := seccompData{nr: nrOf(t, c.tbl, "clone"), arch: c.audit, args: [6]uint64{unix.CLONE_NEWUSER | unix.CLONE_NEWNS}}
		if got := runBPF(t, prog, d.bytes()); got != unix.SECCOMP_RET_ERRNO|9 {
			t.Errorf("arch %#x clone(CLONE_NEWUSER): got %#x", c.audit, got)
		}
	}
}
