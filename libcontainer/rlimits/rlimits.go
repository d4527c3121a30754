// Package rlimits validates and applies process.rlimits.
package rlimits

import (
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

var byName = map[string]int{
	"RLIMIT_AS":         unix.RLIMIT_AS,
	"RLIMIT_CORE":       unix.RLIMIT_CORE,
	"RLIMIT_CPU":        unix.RLIMIT_CPU,
	"RLIMIT_DATA":       unix.RLIMIT_DATA,
	"RLIMIT_FSIZE":      unix.RLIMIT_FSIZE,
	"RLIMIT_LOCKS":      unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK":    unix.RLIMIT_MEMLOCK,
	"RLIMIT_MSGQUEUE":   unix.RLIMIT_MSGQUEUE,
	"RLIMIT_NICE":       unix.RLIMIT_NICE,
	"RLIMIT_NOFILE":     unix.RLIMIT_NOFILE,
	"RLIMIT_NPROC":      unix.RLIMIT_NPROC,
	"RLIMIT_RSS":        unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO":     unix.RLIMIT_RTPRIO,
	"RLIMIT_RTTIME":     unix.RLIMIT_RTTIME,
	"RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK":      unix.RLIMIT_STACK,
}

// Names lists the rlimit types hutch supports (for `hutch features`).
func Names() []string {
	out := make([]string, 0, len(byName))
	for n := range byName {
		out = append(out, n)
	}
	return out
}

// Validate checks names, soft <= hard, and that no type appears twice.
func Validate(rs []specs.POSIXRlimit) error {
	seen := make(map[string]int, len(rs))
	for i, r := range rs {
		if _, ok := byName[r.Type]; !ok {
			return fmt.Errorf("process.rlimits[%d].type: unknown rlimit %q", i, r.Type)
		}
		if j, dup := seen[r.Type]; dup {
			return fmt.Errorf("process.rlimits[%d].type: %s is already set by process.rlimits[%d]", i, r.Type, j)
		}
		seen[r.Type] = i
		if r.Soft > r.Hard {
			return fmt.Errorf("process.rlimits[%d] (%s): soft limit %d is greater than hard limit %d", i, r.Type, r.Soft, r.Hard)
		}
	}
	return nil
}

// Resource is the RLIMIT_ number of an OCI rlimit type.
func Resource(typ string) (int, bool) {
	r, ok := byName[typ]
	return r, ok
}

// Apply sets each limit on the calling process with prlimit(0, ...).
// unix.Prlimit also tells the Go runtime not to restore its startup
// RLIMIT_NOFILE at the next exec, so a configured RLIMIT_NOFILE survives
// into the container process.
func Apply(rs []specs.POSIXRlimit) error {
	for i, r := range rs {
		res, ok := byName[r.Type]
		if !ok {
			return fmt.Errorf("process.rlimits[%d].type: unknown rlimit %q", i, r.Type)
		}
		lim := unix.Rlimit{Cur: r.Soft, Max: r.Hard}
		err := unix.Prlimit(0, res, &lim, nil)
		if err == nil {
			continue
		}
		if errors.Is(err, unix.EPERM) {
			var cur unix.Rlimit
			if unix.Prlimit(0, res, nil, &cur) == nil && r.Hard > cur.Max {
				hint := "raising a hard limit needs CAP_SYS_RESOURCE"
				if res == unix.RLIMIT_NOFILE {
					hint += " and may not exceed fs.nr_open"
				}
				return fmt.Errorf("process.rlimits[%d] (%s): setting soft=%d hard=%d: %w (current hard limit is %d; %s)",
					i, r.Type, r.Soft, r.Hard, err, cur.Max, hint)
			}
		}
		return fmt.Errorf("process.rlimits[%d] (%s): setting soft=%d hard=%d: %w", i, r.Type, r.Soft, r.Hard, err)
	}
	return nil
}
