package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The memory policy line is set before the fork into the pid namespace,
// for create and exec alike; the constructor parses MODE FLAGS WORDS.
func TestPlanMempolicy(t *testing.T) {
	cases := []struct {
		mpol specs.LinuxMemoryPolicy
		want string
	}{
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}, "mempolicy 2 0x0 0x1\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0-3,7", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}},
			"mempolicy 3 0x8000 0x8f\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolPreferredMany, Nodes: "1,64,130"}, "mempolicy 5 0x0 0x2,0x1,0x4\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolWeightedInterleave, Nodes: "1023"},
			"mempolicy 6 0x0 " + strings.Repeat("0x0,", 15) + "0x8000000000000000\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolDefault}, "mempolicy 0 0x0 0x0\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, "mempolicy 4 0x0 0x0\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolPreferred, Flags: []specs.MemoryPolicyFlagType{specs.MpolFRelativeNodes}},
			"mempolicy 1 0x4000 0x0\n"},
	}
	for _, tt := range cases {
		s := &specs.Spec{Linux: &specs.Linux{
			Namespaces:   []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}},
			MemoryPolicy: &tt.mpol,
		}}
		plan, err := bootstrapPlan(s, nil)
		if err != nil {
			t.Fatalf("%+v: %v", tt.mpol, err)
		}
		if want := "clone 0x20020000\n" + tt.want + "fork\n"; string(plan) != want {
			t.Errorf("%+v: create plan %q, want %q", tt.mpol, plan, want)
		}
		joined := []joinedNS{{typ: specs.MountNamespace}, {typ: specs.PIDNamespace}}
		fds := map[specs.LinuxNamespaceType]int{specs.MountNamespace: 5, specs.PIDNamespace: 6}
		plan, err = joinPlan(joined, fds, &tt.mpol)
		if err != nil {
			t.Fatalf("%+v: %v", tt.mpol, err)
		}
		if want := "join mount @5\njoin pid @6\nclone 0x0\nnodump\n" + tt.want + "fork\n"; string(plan) != want {
			t.Errorf("%+v: exec plan %q, want %q", tt.mpol, plan, want)
		}
	}
	s := &specs.Spec{Linux: &specs.Linux{}}
	if plan, err := bootstrapPlan(s, nil); err != nil || strings.Contains(string(plan), "mempolicy") {
		t.Fatalf("no policy: plan %q, %v", plan, err)
	}
	if plan, err := joinPlan(nil, nil, nil); err != nil || strings.Contains(string(plan), "mempolicy") {
		t.Fatalf("no policy: exec plan %q, %v", plan, err)
	}
	// Unvalidated input is refused, not rendered.
	s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "1024"}
	if _, err := bootstrapPlan(s, nil); err == nil || !strings.Contains(err.Error(), "linux.memoryPolicy.nodes") {
		t.Fatalf("node 1024: %v", err)
	}
}
