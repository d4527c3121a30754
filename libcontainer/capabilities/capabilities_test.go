package capabilities

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	all := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	tests := []struct {
		name string
		caps *specs.LinuxCapabilities
		last int
		want string // substring of the error; "" means valid
	}{
		{"nil", nil, 40, ""},
		{"empty", &specs.LinuxCapabilities{}, 40, ""},
		{"full", &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all, Inheritable: all, Ambient: all}, 40, ""},
		{"unknown bounding", &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_FOO"}}, 40,
			`process.capabilities.bounding: unknown capability "CAP_FOO"`},
		{"unknown effective", &specs.LinuxCapabilities{Effective: []string{"CAP_BAR"}}, 40,
			`process.capabilities.effective: unknown capability "CAP_BAR"`},
		{"unknown permitted", &specs.LinuxCapabilities{Permitted: []string{"chown"}}, 40,
			`process.capabilities.permitted: unknown capability "chown"`},
		{"unknown inheritable", &specs.LinuxCapabilities{Inheritable: []string{"cap_chown"}}, 40,
			`process.capabilities.inheritable: unknown capability "cap_chown"`},
		{"unknown ambient", &specs.LinuxCapabilities{Ambient: []string{""}}, 40,
			`process.capabilities.ambient: unknown capability ""`},
		{"above kernel", &specs.LinuxCapabilities{Bounding: []string{"CAP_BPF"}}, 38,
			`process.capabilities.bounding: CAP_BPF is not supported by this kernel (cap_last_cap is 38)`},
		{"at kernel limit", &specs.LinuxCapabilities{Bounding: []string{"CAP_PERFMON"}}, 38, ""},
		{"effective outside permitted", &specs.LinuxCapabilities{Bounding: all, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_CHOWN"}}, 40,
			"process.capabilities.effective: CAP_KILL not in process.capabilities.permitted"},
		{"inheritable outside bounding", &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN"}, Inheritable: []string{"CAP_KILL"}}, 40,
			"process.capabilities.inheritable: CAP_KILL not in process.capabilities.bounding"},
		// runc spec's own config: accepted, the cap is left out (see UnraisableAmbient).
		{"ambient outside inheritable", &specs.LinuxCapabilities{Bounding: all, Permitted: all, Inheritable: []string{"CAP_CHOWN"}, Ambient: []string{"CAP_KILL"}}, 40, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(tc.caps, tc.last)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && err == nil:
				t.Fatalf("no error, want %q", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestValidateUsesRunningKernel(t *testing.T) {
	// Every name the kernel supports must pass Validate; the list and the
	// kernel's cap_last_cap must agree.
	l := List()
	if len(l) != LastCap()+1 {
		t.Fatalf("List() has %d names, cap_last_cap is %d", len(l), LastCap())
	}
	if err := Validate(&specs.LinuxCapabilities{Bounding: l, Permitted: l, Effective: l, Inheritable: l, Ambient: l}); err != nil {
		t.Fatal(err)
	}
	if l[0] != "CAP_CHOWN" || Name(21) != "CAP_SYS_ADMIN" || !Known("CAP_BPF") || Known("CAP_FOO") {
		t.Fatalf("name table broken: %v", l[:3])
	}
}

func TestUnraisableAmbient(t *testing.T) {
	c := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_KILL", "CAP_CHOWN"},
		Permitted:   []string{"CAP_KILL", "CAP_CHOWN"},
		Inheritable: []string{"CAP_CHOWN"},
		Ambient:     []string{"CAP_KILL", "CAP_CHOWN"},
	}
	got := UnraisableAmbient(c)
	if len(got) != 1 || got[0] != "CAP_KILL" {
		t.Fatalf("UnraisableAmbient = %v, want [CAP_KILL]", got)
	}
	if got := UnraisableAmbient(nil); got != nil {
		t.Fatalf("nil caps: %v", got)
	}
}
