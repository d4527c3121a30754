// Package lsm applies the AppArmor profile and SELinux label the config
// asks for. Where the host has no such LSM, asking for one is an error: a
// container that silently runs unconfined is worse than one that does not
// start. The SELinux mount label is different: it only adds context= to
// mounts, and hutch passes none on a host without SELinux.
package lsm

import (
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// AppArmorEnabled reports whether the kernel runs AppArmor.
func AppArmorEnabled() bool {
	data, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && strings.HasPrefix(string(data), "Y")
}

// SELinuxEnabled reports whether SELinux is mounted and active.
func SELinuxEnabled() bool {
	_, err := os.Stat("/sys/fs/selinux/enforce")
	return err == nil
}

// Validate refuses a profile or label this host cannot apply.
func Validate(p *specs.Process) error {
	if p == nil {
		return nil
	}
	if p.ApparmorProfile != "" && !AppArmorEnabled() {
		return fmt.Errorf("process.apparmorProfile: %q requested but AppArmor is not enabled on this host", p.ApparmorProfile)
	}
	if p.SelinuxLabel != "" && !SELinuxEnabled() {
		return fmt.Errorf("process.selinuxLabel: %q requested but SELinux is not enabled on this host", p.SelinuxLabel)
	}
	return nil
}

// Apply arranges for the next execve of the calling thread to enter the
// configured profile and label. It runs inside the container (its /proc).
func Apply(p *specs.Process) error {
	if p.ApparmorProfile != "" {
		if err := writeAttr([]string{"/proc/thread-self/attr/apparmor/exec", "/proc/thread-self/attr/exec"}, "exec "+p.ApparmorProfile); err != nil {
			return fmt.Errorf("process.apparmorProfile: %q: %w", p.ApparmorProfile, err)
		}
	}
	if p.SelinuxLabel != "" {
		if err := writeAttr([]string{"/proc/thread-self/attr/exec"}, p.SelinuxLabel); err != nil {
			return fmt.Errorf("process.selinuxLabel: %q: %w", p.SelinuxLabel, err)
		}
	}
	return nil
}

func writeAttr(paths []string, value string) error {
	var err error
	for _, path := range paths {
		var f *os.File
		if f, err = os.OpenFile(path, os.O_WRONLY, 0); err != nil {
			continue
		}
		_, err = f.WriteString(value)
		f.Close()
		return err
	}
	return err
}
