package libcontainer

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/plan"
)

// render shows a bootstrap plan's records as "tag payload" lines, the
// payload's NULs as spaces.
func render(t *testing.T, b *plan.Bootstrap) string {
	t.Helper()
	recs, ok := plan.Decode(b.Bytes())
	if !ok {
		t.Fatal("malformed bootstrap plan")
	}
	var out strings.Builder
	for _, r := range recs {
		out.WriteString(strings.TrimSpace(string(r.Tag) + " " + strings.ReplaceAll(string(r.Payload), "\x00", " ")))
		out.WriteByte('\n')
	}
	return out.String()
}

// The memory policy record is set before the fork into the pid namespace,
// for create and exec alike; the constructor parses MODE FLAGS WORDS.
func TestPlanMempolicy(t *testing.T) {
	cases := []struct {
		mpol specs.LinuxMemoryPolicy
		want string
	}{
		{specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "0"}, "m 2 0 0x1\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolInterleave, Nodes: "0-3,7", Flags: []specs.MemoryPolicyFlagType{specs.MpolFStaticNodes}},
			"m 3 32768 0x8f\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolPreferredMany, Nodes: "1,64,130"}, "m 5 0 0x2,0x1,0x4\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolWeightedInterleave, Nodes: "1023"},
			"m 6 0 " + strings.Repeat("0x0,", 15) + "0x8000000000000000\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolDefault}, "m 0 0 0x0\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolLocal}, "m 4 0 0x0\n"},
		{specs.LinuxMemoryPolicy{Mode: specs.MpolPreferred, Flags: []specs.MemoryPolicyFlagType{specs.MpolFRelativeNodes}},
			"m 1 16384 0x0\n"},
	}
	for _, tt := range cases {
		s := &specs.Spec{Linux: &specs.Linux{
			Namespaces:   []specs.LinuxNamespace{{Type: specs.PIDNamespace}, {Type: specs.MountNamespace}},
			MemoryPolicy: &tt.mpol,
		}}
		boot, err := bootstrapPlan(s, nil)
		if err != nil {
			t.Fatalf("%+v: %v", tt.mpol, err)
		}
		if got, want := render(t, boot), "c 537001984\n"+tt.want+"f\n"; got != want {
			t.Errorf("%+v: create plan %q, want %q", tt.mpol, got, want)
		}
		joined := []joinedNS{{typ: specs.MountNamespace}, {typ: specs.PIDNamespace}}
		fds := map[specs.LinuxNamespaceType]int{specs.MountNamespace: 5, specs.PIDNamespace: 6}
		boot, err = joinPlan(joined, fds, &tt.mpol)
		if err != nil {
			t.Fatalf("%+v: %v", tt.mpol, err)
		}
		if got, want := render(t, boot), "j mount @5\nj pid @6\nc 0\nd\n"+tt.want+"f\n"; got != want {
			t.Errorf("%+v: exec plan %q, want %q", tt.mpol, got, want)
		}
	}
	s := &specs.Spec{Linux: &specs.Linux{}}
	if boot, err := bootstrapPlan(s, nil); err != nil || strings.Contains(render(t, boot), "m ") {
		t.Fatalf("no policy: plan %v", err)
	}
	if boot, err := joinPlan(nil, nil, nil); err != nil || strings.Contains(render(t, boot), "m ") {
		t.Fatalf("no policy: exec plan %v", err)
	}
	// Unvalidated input is refused, not rendered.
	s.Linux.MemoryPolicy = &specs.LinuxMemoryPolicy{Mode: specs.MpolBind, Nodes: "1024"}
	if _, err := bootstrapPlan(s, nil); err == nil || !strings.Contains(err.Error(), "linux.memoryPolicy.nodes") {
		t.Fatalf("node 1024: %v", err)
	}
}
