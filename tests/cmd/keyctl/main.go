// keyctl is the keyring probe of the keyring tests (busybox has none):
//
//	keyctl session            prints the session keyring: "SERIAL PERM NAME"
//	keyctl plant NAME CMD...  joins (or makes) the session keyring NAME, makes
//	                          it searchable by its owner as runc's is, and
//	                          execs CMD, which keeps it alive
package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "keyctl:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 1 && args[0] == "session":
		id, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_SESSION_KEYRING, false)
		if err != nil {
			return fmt.Errorf("session keyring: %w", err)
		}
		return describe(id)
	case len(args) >= 3 && args[0] == "plant":
		id, err := unix.KeyctlJoinSessionKeyring(args[1])
		if err != nil {
			return fmt.Errorf("join %s: %w", args[1], err)
		}
		d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		if err != nil {
			return err
		}
		var perm uint32
		if _, err := fmt.Sscanf(strings.Split(d, ";")[3], "%x", &perm); err != nil {
			return fmt.Errorf("describe %q: %w", d, err)
		}
		if err := unix.KeyctlSetperm(id, perm|0x00080000); err != nil {
			return fmt.Errorf("setperm: %w", err)
		}
		if err := describe(id); err != nil {
			return err
		}
		return syscall.Exec(args[2], args[2:], os.Environ())
	}
	return fmt.Errorf("usage: keyctl session | keyctl plant NAME CMD...")
}

func describe(id int) error {
	d, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
	if err != nil {
		return fmt.Errorf("describe %d: %w", id, err)
	}
	f := strings.SplitN(d, ";", 5) // type;uid;gid;perm;name
	if len(f) != 5 {
		return fmt.Errorf("describe %d: %q", id, d)
	}
	fmt.Printf("%d %s %s\n", id, f[3], f[4])
	return nil
}
