package netdev

import (
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidName(t *testing.T) {
	for _, c := range []struct {
		name     string
		template bool
		ok       bool
	}{
		{"eth0", false, true},
		{"a234567890abcde", false, true},
		{"a234567890abcdef", false, false},
		{"", false, false},
		{".", false, false},
		{"a/b", false, false},
		{"a:b", false, false},
		{"a b", false, false},
		{"eth%d", true, true},
		{"eth%d", false, false},
		{"eth%d%d", true, false},
		{"eth%s", true, false},
	} {
		if err := validName(c.name, c.template); (err == nil) != c.ok {
			t.Errorf("validName(%q, %v) = %v, want ok=%v", c.name, c.template, err, c.ok)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := Validate(nil, false); err != nil {
		t.Fatalf("no devices: %v", err)
	}
	devs := map[string]specs.LinuxNetDevice{"veth1": {Name: "eth0"}}
	if err := Validate(devs, false); err == nil || !strings.Contains(err.Error(), "linux.netDevices") {
		t.Fatalf("no netns: got %v", err)
	}
	if os.Geteuid() != 0 {
		t.Skip("the remaining checks run as root")
	}
	if err := Validate(devs, true); err != nil {
		t.Fatalf("valid: %v", err)
	}
	dup := map[string]specs.LinuxNetDevice{"veth1": {Name: "eth0"}, "eth0": {}}
	if err := Validate(dup, true); err == nil || !strings.Contains(err.Error(), "also the name") {
		t.Fatalf("two devices named eth0: got %v", err)
	}
}
