package lsm

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidateRefusesMissingLSM(t *testing.T) {
	if !AppArmorEnabled() {
		err := Validate(&specs.Process{ApparmorProfile: "acme"})
		if err == nil || !strings.Contains(err.Error(), "process.apparmorProfile") {
			t.Fatalf("apparmor on a host without it: %v", err)
		}
	}
	if !SELinuxEnabled() {
		err := Validate(&specs.Process{SelinuxLabel: "system_u:system_r:container_t:s0"})
		if err == nil || !strings.Contains(err.Error(), "process.selinuxLabel") {
			t.Fatalf("selinux on a host without it: %v", err)
		}
	}
	if err := Validate(&specs.Process{}); err != nil {
		t.Fatalf("nothing requested: %v", err)
	}
}
