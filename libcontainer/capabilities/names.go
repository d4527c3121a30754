// Package capabilities parses and validates the OCI process.capabilities
// sets. The C process executor (nsenter/process.c) applies them.
package capabilities

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// byName maps every capability name the runtime spec knows to its number.
// Spelled out instead of derived so that a name the kernel headers gain
// later is still reported as unknown until hutch is taught about it.
var byName = map[string]int{
	"CAP_CHOWN":              unix.CAP_CHOWN,
	"CAP_DAC_OVERRIDE":       unix.CAP_DAC_OVERRIDE,
	"CAP_DAC_READ_SEARCH":    unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER":             unix.CAP_FOWNER,
	"CAP_FSETID":             unix.CAP_FSETID,
	"CAP_KILL":               unix.CAP_KILL,
	"CAP_SETGID":             unix.CAP_SETGID,
	"CAP_SETUID":             unix.CAP_SETUID,
	"CAP_SETPCAP":            unix.CAP_SETPCAP,
	"CAP_LINUX_IMMUTABLE":    unix.CAP_LINUX_IMMUTABLE,
	"CAP_NET_BIND_SERVICE":   unix.CAP_NET_BIND_SERVICE,
	"CAP_NET_BROADCAST":      unix.CAP_NET_BROADCAST,
	"CAP_NET_ADMIN":          unix.CAP_NET_ADMIN,
	"CAP_NET_RAW":            unix.CAP_NET_RAW,
	"CAP_IPC_LOCK":           unix.CAP_IPC_LOCK,
	"CAP_IPC_OWNER":          unix.CAP_IPC_OWNER,
	"CAP_SYS_MODULE":         unix.CAP_SYS_MODULE,
	"CAP_SYS_RAWIO":          unix.CAP_SYS_RAWIO,
	"CAP_SYS_CHROOT":         unix.CAP_SYS_CHROOT,
	"CAP_SYS_PTRACE":         unix.CAP_SYS_PTRACE,
	"CAP_SYS_PACCT":          unix.CAP_SYS_PACCT,
	"CAP_SYS_ADMIN":          unix.CAP_SYS_ADMIN,
	"CAP_SYS_BOOT":           unix.CAP_SYS_BOOT,
	"CAP_SYS_NICE":           unix.CAP_SYS_NICE,
	"CAP_SYS_RESOURCE":       unix.CAP_SYS_RESOURCE,
	"CAP_SYS_TIME":           unix.CAP_SYS_TIME,
	"CAP_SYS_TTY_CONFIG":     unix.CAP_SYS_TTY_CONFIG,
	"CAP_MKNOD":              unix.CAP_MKNOD,
	"CAP_LEASE":              unix.CAP_LEASE,
	"CAP_AUDIT_WRITE":        unix.CAP_AUDIT_WRITE,
	"CAP_AUDIT_CONTROL":      unix.CAP_AUDIT_CONTROL,
	"CAP_SETFCAP":            unix.CAP_SETFCAP,
	"CAP_MAC_OVERRIDE":       unix.CAP_MAC_OVERRIDE,
	"CAP_MAC_ADMIN":          unix.CAP_MAC_ADMIN,
	"CAP_SYSLOG":             unix.CAP_SYSLOG,
	"CAP_WAKE_ALARM":         unix.CAP_WAKE_ALARM,
	"CAP_BLOCK_SUSPEND":      unix.CAP_BLOCK_SUSPEND,
	"CAP_AUDIT_READ":         unix.CAP_AUDIT_READ,
	"CAP_PERFMON":            unix.CAP_PERFMON,
	"CAP_BPF":                unix.CAP_BPF,
	"CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE,
}

// maxKnown is the highest capability number in byName; capset v3 carries
// 64 bits, so anything up to 63 fits the two-word encoding.
const maxKnown = unix.CAP_CHECKPOINT_RESTORE

// Name returns the spec name of capability number c, or "CAP_<n>" for a
// number hutch has no name for.
func Name(c int) string {
	for n, v := range byName {
		if v == c {
			return n
		}
	}
	return "CAP_" + strconv.Itoa(c)
}

// Known reports whether name is a capability name the runtime spec defines.
func Known(name string) bool {
	_, ok := byName[name]
	return ok
}

// List returns every capability name hutch knows that this kernel
// supports, in numeric order (for `hutch features`).
func List() []string {
	last := LastCap()
	out := make([]string, 0, last+1)
	for c := 0; c <= last && c <= maxKnown; c++ {
		out = append(out, Name(c))
	}
	return out
}

var lastCap = sync.OnceValue(readLastCap)

// LastCap returns the highest capability number the running kernel
// supports (/proc/sys/kernel/cap_last_cap).
func LastCap() int { return lastCap() }

func readLastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n >= 0 {
			return min(n, maxKnown)
		}
	}
	// /proc may not be mounted (or be the container's read-only view);
	// probe the bounding set instead: PR_CAPBSET_READ fails with EINVAL
	// for numbers the kernel does not know.
	n := 0
	for c := 0; c <= maxKnown; c++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err != nil {
			break
		}
		n = c
	}
	return n
}

// parseSet turns the names of one set into a bit mask, failing on names
// unknown to the spec or above the kernel's last capability.
func parseSet(field string, names []string, last int) (uint64, error) {
	var m uint64
	for _, n := range names {
		c, ok := byName[n]
		if !ok {
			return 0, fmt.Errorf("%s: unknown capability %q", field, n)
		}
		if c > last {
			return 0, fmt.Errorf("%s: %s is not supported by this kernel (cap_last_cap is %d)", field, n, last)
		}
		m |= 1 << uint(c)
	}
	return m, nil
}

// names lists the capabilities set in m, for error messages.
func names(m uint64) []string {
	var out []string
	for c := 0; c < 64; c++ {
		if m&(1<<uint(c)) != 0 {
			out = append(out, Name(c))
		}
	}
	return out
}
