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

// Syscalls newer than every syscall the profile names get ENOSYS, per
// architecture, unless the default lets them through.
func TestNewerSyscallsENOSYS(t *testing.T) {
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	enosys := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "getpid", "clone3", "no_such_syscall_xyz"}, Action: specs.ActAllow},
			{Names: []string{"mkdir"}, Action: specs.ActErrno, ErrnoRet: uptr(7)},
			{Names: []string{"openat2"}, Action: specs.ActAllow,
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 5}}},
		},
	}
	prog := mustCompile(t, s).Program
	cases := []struct {
		name string
		arch uint32
		nr   uint32
		args [6]uint64
		want uint32
	}{
		{"x86_64 fchmodat2, newer", auditX86_64, nrOf(t, tblX86_64, "fchmodat2"), [6]uint64{}, enosys},
		{"x86_64 just above openat2", auditX86_64, nrOf(t, tblX86_64, "openat2") + 1, [6]uint64{}, enosys},
		{"x86_64 close_range, unnamed but older than openat2", auditX86_64, nrOf(t, tblX86_64, "close_range"), [6]uint64{}, eperm},
		{"x86_64 highest non-x32 number", auditX86_64, x32SyscallBit - 1, [6]uint64{}, enosys},
		{"x86_64 cachestat", auditX86_64, nrOf(t, tblX86_64, "cachestat"), [6]uint64{}, enosys},
		{"x86_64 clone3, named", auditX86_64, nrOf(t, tblX86_64, "clone3"), [6]uint64{}, unix.SECCOMP_RET_ALLOW},
		{"x86_64 getcwd, older", auditX86_64, nrOf(t, tblX86_64, "getcwd"), [6]uint64{}, eperm},
		{"x86_64 mkdir keeps its rule", auditX86_64, nrOf(t, tblX86_64, "mkdir"), [6]uint64{}, unix.SECCOMP_RET_ERRNO | 7},
		{"x86_64 openat2 matching", auditX86_64, nrOf(t, tblX86_64, "openat2"), [6]uint64{5}, unix.SECCOMP_RET_ALLOW},
		{"x86_64 openat2 falls back to the default", auditX86_64, nrOf(t, tblX86_64, "openat2"), [6]uint64{4}, eperm},
		{"x86 fchmodat2, newer", auditX86, nrOf(t, tblX86, "fchmodat2"), [6]uint64{}, enosys},
		{"x86 getcwd, older", auditX86, nrOf(t, tblX86, "getcwd"), [6]uint64{}, eperm},
		{"x32 fchmodat2, newer", auditX86_64, nrOf(t, tblX32, "fchmodat2"), [6]uint64{}, enosys},
		// Above x86_64's newest as a number, but x32 has its own.
		{"x32 getcwd, older", auditX86_64, nrOf(t, tblX32, "getcwd"), [6]uint64{}, eperm},
		{"x32 clone3, named", auditX86_64, nrOf(t, tblX32, "clone3"), [6]uint64{}, unix.SECCOMP_RET_ALLOW},
		{"unknown arch", auditAARCH64, 1000, [6]uint64{}, badArchRet},
	}
	for _, c := range cases {
		d := seccompData{nr: c.nr, arch: c.arch, args: c.args}
		if got := runBPF(t, prog, d.bytes()); got != c.want {
			t.Errorf("%s (nr %#x): got %#x, want %#x", c.name, c.nr, got, c.want)
		}
	}
}

// Each architecture compares with its own newest named syscall: pkey_alloc
// is 330 on x86_64 but 381 on x86, where 340 is prlimit64.
func TestNewerSyscallsPerArch(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActKillProcess,
		Architectures: []specs.Arch{specs.ArchX86},
		Syscalls:      []specs.LinuxSyscall{{Names: []string{"read", "pkey_alloc"}, Action: specs.ActAllow}},
	}
	prog := mustCompile(t, s).Program
	enosys := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	for _, c := range []struct {
		arch, nr, want uint32
	}{
		{auditX86_64, 330, unix.SECCOMP_RET_ALLOW},
		{auditX86_64, 329, unix.SECCOMP_RET_KILL_PROCESS},
		{auditX86_64, 331, enosys},
		{auditX86_64, 340, enosys},
		{auditX86, 340, unix.SECCOMP_RET_KILL_PROCESS},
		{auditX86, 381, unix.SECCOMP_RET_ALLOW},
		{auditX86, 382, enosys},
	} {
		d := seccompData{nr: c.nr, arch: c.arch}
		if got := runBPF(t, prog, d.bytes()); got != c.want {
			t.Errorf("arch %#x nr %d: got %#x, want %#x", c.arch, c.nr, got, c.want)
		}
	}
}

// A syscall named with the default action still counts as known: below it
// nothing is newer.
func TestNewerSyscallsNamedWithDefaultAction(t *testing.T) {
	s := &specs.LinuxSeccomp{
		DefaultAction: specs.ActErrno,
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read"}, Action: specs.ActAllow},
			{Names: []string{"fchmodat2"}, Action: specs.ActErrno},
		},
	}
	prog := mustCompile(t, s).Program
	eperm := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM))
	for _, c := range []struct{ nr, want uint32 }{
		{nrOf(t, tblX86_64, "cachestat"), eperm},
		{nrOf(t, tblX86_64, "fchmodat2"), eperm},
		{nrOf(t, tblX86_64, "fchmodat2") + 1, unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
	} {
		d := seccompData{nr: c.nr, arch: auditX86_64}
		if got := runBPF(t, prog, d.bytes()); got != c.want {
			t.Errorf("nr %d: got %#x, want %#x", c.nr, got, c.want)
		}
	}
}

// Defaults that let syscalls run (and a default of ENOSYS itself) leave
// newer syscalls alone, as does a profile naming nothing known here; x32
// numbers keep the bad-architecture action when x32 is not listed.
func TestNewerSyscallsUnchanged(t *testing.T) {
	fchmodat2 := nrOf(t, tblX86_64, "fchmodat2")
	names := []string{"read", "clone3"}
	cases := []struct {
		name    string
		dflt    specs.LinuxSeccompAction
		errno   *uint
		names   []string
		nr      uint32
		want    uint32
		wantOld uint32 // getcwd, an older unnamed syscall
	}{
		{"allow", specs.ActAllow, nil, names, fchmodat2, unix.SECCOMP_RET_ALLOW, unix.SECCOMP_RET_ALLOW},
		{"log", specs.ActLog, nil, names, fchmodat2, unix.SECCOMP_RET_LOG, unix.SECCOMP_RET_LOG},
		{"trace", specs.ActTrace, uptr(3), names, fchmodat2, unix.SECCOMP_RET_TRACE | 3, unix.SECCOMP_RET_TRACE | 3},
		{"errno ENOSYS", specs.ActErrno, uptr(uint(unix.ENOSYS)), names, fchmodat2,
			unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS), unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)},
		{"nothing named here", specs.ActErrno, nil, []string{"no_such_syscall_xyz"}, fchmodat2,
			unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM), unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{"x32 not listed", specs.ActErrno, nil, names, nrOf(t, tblX32, "fchmodat2"), badArchRet, unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
		{"x32 bit alone, not listed", specs.ActErrno, nil, names, x32SyscallBit, badArchRet, unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)},
	}
	for _, c := range cases {
		s := &specs.LinuxSeccomp{DefaultAction: c.dflt, DefaultErrnoRet: c.errno,
			Syscalls: []specs.LinuxSyscall{{Names: c.names, Action: specs.ActKillProcess}}}
		prog := mustCompile(t, s).Program
		d := seccompData{nr: c.nr, arch: auditX86_64}
		if got := runBPF(t, prog, d.bytes()); got != c.want {
			t.Errorf("%s: nr %#x: got %#x, want %#x", c.name, c.nr, got, c.want)
		}
		d.nr = nrOf(t, tblX86_64, "getcwd")
		if got := runBPF(t, prog, d.bytes()); got != c.wantOld {
			t.Errorf("%s: getcwd: got %#x, want %#x", c.name, got, c.wantOld)
		}
		if c.names[0] == "read" {
			d.nr = nrOf(t, tblX86_64, "read")
			if got := runBPF(t, prog, d.bytes()); got != unix.SECCOMP_RET_KILL_PROCESS {
				t.Errorf("%s: read: got %#x, want its rule", c.name, got)
			}
		}
	}
}

// s390x also answers nr 0, through which syscalls unknown to the kernel
// arrive, with ENOSYS. Not runnable here, so the profile is built directly.
func TestNewerSyscallsS390X(t *testing.T) {
	p := &profile{
		dflt:        unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM),
		newerENOSYS: true,
		arches:      []*archInfo{knownArches[specs.ArchS390X]},
		rules:       []rule{{names: []string{"read", "clone3"}, ret: unix.SECCOMP_RET_ALLOW}},
	}
	prog := p.generate()
	enosys := uint32(unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS))
	for _, c := range []struct{ nr, want uint32 }{
		{0, enosys},
		{nrOf(t, tblS390X, "read"), unix.SECCOMP_RET_ALLOW},
		{nrOf(t, tblS390X, "getcwd"), p.dflt},
		{nrOf(t, tblS390X, "fchmodat2"), enosys},
	} {
		d := seccompData{nr: c.nr, arch: auditS390X}
		if got := runBPF(t, prog, d.bytes()); got != c.want {
			t.Errorf("s390x nr %d: got %#x, want %#x", c.nr, got, c.want)
		}
	}
}
