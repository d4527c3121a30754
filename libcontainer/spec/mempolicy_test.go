package spec

import (
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func mpol(mode, nodes string, flags ...specs.MemoryPolicyFlagType) func(s *specs.Spec) {
	return func(s *specs.Spec) {
		s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MemoryPolicyModeType(mode), Nodes: nodes, Flags: flags}
	}
}

func TestValidateMemoryPolicy(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"bind", mpol("MPOL_BIND", "0"), ""},
		{"interleave ranges with spaces and empty elements", mpol("MPOL_INTERLEAVE", " 0-3, 7,,1023 "), ""},
		{"preferred without nodes is local allocation", mpol("MPOL_PREFERRED", ""), ""},
		{"default", mpol("MPOL_DEFAULT", ""), ""},
		{"local", mpol("MPOL_LOCAL", ""), ""},
		{"all flags known", mpol("MPOL_BIND", "0", specs.MpolFStaticNodes, specs.MpolFNumaBalancing), ""},
		{"missing mode", mpol("", "0"), "linux.memoryPolicy.mode: required"},
		{"unknown mode", mpol("MPOL_BOGUS", "0"), `linux.memoryPolicy.mode: unknown mode "MPOL_BOGUS"`},
		{"default with nodes", mpol("MPOL_DEFAULT", "0-7"), `linux.memoryPolicy.nodes: MPOL_DEFAULT takes no nodes, got "0-7"`},
		{"local with nodes", mpol("MPOL_LOCAL", "0"), "linux.memoryPolicy.nodes: MPOL_LOCAL takes no nodes"},
		{"bind without nodes", mpol("MPOL_BIND", ""), "linux.memoryPolicy.nodes: MPOL_BIND needs at least one node"},
		{"weighted interleave without nodes", mpol("MPOL_WEIGHTED_INTERLEAVE", " "), "needs at least one node"},
		{"node beyond MAX_NUMNODES", mpol("MPOL_BIND", "9999"), `linux.memoryPolicy.nodes: node 9999 in "9999" is beyond 1023`},
		{"node 1024", mpol("MPOL_BIND", "0-1024"), "node 1024"},
		{"huge range end", mpol("MPOL_BIND", "0-9876543210"), "node 9876543210"},
		{"beyond uint64", mpol("MPOL_BIND", "99999999999999999999"), "is not a node number"},
		{"negative", mpol("MPOL_BIND", "-1"), `"" in "-1" is not a node number`},
		{"not a number", mpol("MPOL_BIND", "0,x"), `"x" in "0,x" is not a node number`},
		{"hex", mpol("MPOL_BIND", "0x1"), "is not a node number"},
		{"open range", mpol("MPOL_BIND", "1-"), `"" in "1-" is not a node number`},
		{"reversed range", mpol("MPOL_BIND", "3-1"), `range "3-1" in "3-1" ends before it starts`},
		{"only commas", mpol("MPOL_BIND", ",,"), `linux.memoryPolicy.nodes: ",," names no node`},
		{"unknown flag", mpol("MPOL_BIND", "0", specs.MpolFStaticNodes, "badflag"), `linux.memoryPolicy.flags[1]: unknown flag "badflag"`},
		{"static and relative", mpol("MPOL_BIND", "0", specs.MpolFStaticNodes, specs.MpolFRelativeNodes), "exclude each other"},
	})
}

func TestValidateMemoryPolicyReportsEachField(t *testing.T) {
	s := base()
	mpol("MPOL_BOGUS", "5-2", "x")(s)
	err := Validate(s, t.TempDir())
	if err == nil {
		t.Fatal("expected errors")
	}
	for _, want := range []string{"linux.memoryPolicy.mode:", "linux.memoryPolicy.nodes:", "linux.memoryPolicy.flags[0]:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestParseMemoryPolicy(t *testing.T) {
	mp, err := ParseMemoryPolicy(&specs.LinuxMemoryPolicy{
		Mode: specs.MpolInterleave, Nodes: "0-2,63,64-191,1023",
		Flags: []specs.MemoryPolicyFlagType{specs.MpolFRelativeNodes},
	})
	if err != nil {
		t.Fatal(err)
	}
	if mp.Mode != unix.MPOL_INTERLEAVE || mp.Flags != unix.MPOL_F_RELATIVE_NODES {
		t.Fatalf("mode %d flags %#x", mp.Mode, mp.Flags)
	}
	var want [MaxNUMANodes / 64]uint64
	want[0] = 0x7 | 1<<63
	want[1], want[2] = ^uint64(0), ^uint64(0)
	want[15] = 1 << 63
	if mp.Nodes != want {
		t.Fatalf("nodes %#x, want %#x", mp.Nodes, want)
	}
	if _, err := ParseMemoryPolicy(&specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "1024"}); err == nil {
		t.Fatal("node 1024 accepted")
	}
}

func TestMemoryPolicyNames(t *testing.T) {
	modes := MemoryPolicyModes()
	if len(modes) != 7 || !slices.IsSorted(modes) || !slices.Contains(modes, "MPOL_WEIGHTED_INTERLEAVE") {
		t.Fatalf("modes %v", modes)
	}
	flags := MemoryPolicyFlags()
	if !slices.Equal(flags, []string{"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES"}) {
		t.Fatalf("flags %v", flags)
	}
}
