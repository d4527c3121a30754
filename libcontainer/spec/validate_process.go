package spec

import (
	"errors"
	"math"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// knownRlimits are the resources setrlimit(2) accepts on Linux.
var knownRlimits = map[string]bool{
	"RLIMIT_AS": true, "RLIMIT_CORE": true, "RLIMIT_CPU": true, "RLIMIT_DATA": true,
	"RLIMIT_FSIZE": true, "RLIMIT_LOCKS": true, "RLIMIT_MEMLOCK": true, "RLIMIT_MSGQUEUE": true,
	"RLIMIT_NICE": true, "RLIMIT_NOFILE": true, "RLIMIT_NPROC": true, "RLIMIT_RSS": true,
	"RLIMIT_RTPRIO": true, "RLIMIT_RTTIME": true, "RLIMIT_SIGPENDING": true, "RLIMIT_STACK": true,
}

// ValidateProcess checks a process object alone, as validateProcess does
// for create: exec's process (from --process, or the container's with the
// command line's changes) goes through the same checks.
func ValidateProcess(p *specs.Process) error {
	var errs errList
	validateProcess(&errs, p)
	return errors.Join(errs...)
}

func validateProcess(errs *errList, p *specs.Process) {
	if p == nil {
		errs.add("process: must be set")
		return
	}
	if len(p.Args) == 0 {
		errs.add("process.args: must not be empty")
	} else if p.Args[0] == "" {
		// runc's words after the field: engines map "executable file not
		// found" to exit code 127 (podman run IMAGE "" gives 127 with runc).
		errs.add(`process.args[0]: must not be empty (exec: "": executable file not found in $PATH)`)
	}
	if !isAbs(p.Cwd) {
		errs.add("process.cwd: must be an absolute path, got %q", p.Cwd)
	}
	for i, e := range p.Env {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			errs.add("process.env[%d]: %q is not KEY=VALUE", i, e)
		}
	}
	if p.ConsoleSize != nil && !p.Terminal {
		errs.add("process.consoleSize: requires process.terminal to be true")
	}
	validateProcessNUL(errs, p)
	validateUser(errs, &p.User)
	validateRlimits(errs, p.Rlimits)
	validateCapabilities(errs, p.Capabilities)
	if p.OOMScoreAdj != nil && (*p.OOMScoreAdj < -1000 || *p.OOMScoreAdj > 1000) {
		errs.add("process.oomScoreAdj: %d is outside -1000..1000", *p.OOMScoreAdj)
	}
}

// validateUser refuses ids the kernel treats as "no change" ((uid_t)-1),
// which would silently leave the process running as root.
func validateUser(errs *errList, u *specs.User) {
	if u.UID == math.MaxUint32 {
		errs.add("process.user.uid: %d is not a valid id", u.UID)
	}
	if u.GID == math.MaxUint32 {
		errs.add("process.user.gid: %d is not a valid id", u.GID)
	}
	for i, g := range u.AdditionalGids {
		if g == math.MaxUint32 {
			errs.add("process.user.additionalGids[%d]: %d is not a valid id", i, g)
		}
	}
	if u.Umask != nil && *u.Umask&^0o777 != 0 {
		errs.add("process.user.umask: %#o has bits outside 0777", *u.Umask)
	}
}

func validateRlimits(errs *errList, rl []specs.POSIXRlimit) {
	seen := make(map[string]int, len(rl))
	for i, r := range rl {
		switch {
		case !strings.HasPrefix(r.Type, "RLIMIT_"):
			errs.add("process.rlimits[%d].type: %q must start with RLIMIT_", i, r.Type)
		case !knownRlimits[r.Type]:
			errs.add("process.rlimits[%d].type: unknown rlimit %q", i, r.Type)
		}
		if j, dup := seen[r.Type]; dup {
			errs.add("process.rlimits[%d].type: %q is already set by process.rlimits[%d]", i, r.Type, j)
		} else {
			seen[r.Type] = i
		}
		if r.Soft > r.Hard {
			errs.add("process.rlimits[%d]: soft limit %d exceeds hard limit %d", i, r.Soft, r.Hard)
		}
	}
}

// validateCapabilities only rejects empty names; the capability package
// knows which names the kernel supports.
func validateCapabilities(errs *errList, c *specs.LinuxCapabilities) {
	if c == nil {
		return
	}
	sets := []struct {
		name string
		caps []string
	}{
		{"bounding", c.Bounding}, {"effective", c.Effective}, {"inheritable", c.Inheritable},
		{"permitted", c.Permitted}, {"ambient", c.Ambient},
	}
	for _, set := range sets {
		for i, name := range set.caps {
			if strings.TrimSpace(name) == "" {
				errs.add("process.capabilities.%s[%d]: must not be empty", set.name, i)
			}
		}
	}
}
