package seccomp

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func dockerLikeProfile() *specs.LinuxSeccomp {
	var names []string
	for _, e := range tblX86_64 {
		switch e.name {
		case "mount", "umount2", "kexec_load", "reboot", "init_module", "ptrace", "bpf", "unshare", "setns":
		default:
			names = append(names, e.name)
		}
	}
	return &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: uptr(1),
		Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
		Syscalls: []specs.LinuxSyscall{
			{Names: names, Action: specs.ActAllow},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 0}}},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: 8}}},
			{Names: []string{"clone"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpMaskedEqual, Value: 0x7e020000, ValueTwo: 0}}},
			{Names: []string{"clone3"}, Action: specs.ActErrno, ErrnoRet: uptr(38)},
		},
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	f := mustCompile(t, dockerLikeProfile())
	f.Notify = true
	b, err := f.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var g Filter
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f, &g) {
		t.Error("round trip changed the filter")
	}
	for _, bad := range [][]byte{nil, {1, 2, 3, 4, 5}, make([]byte, 12)} {
		if err := g.UnmarshalBinary(bad); err == nil {
			t.Errorf("UnmarshalBinary(%d bytes): no error", len(bad))
		}
	}
}

func BenchmarkCompileDockerLike(b *testing.B) {
	s := dockerLikeProfile()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(s); err != nil {
			b.Fatal(err)
		}
	}
}
