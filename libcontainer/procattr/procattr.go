// Package procattr validates the per-thread process attributes of the
// runtime spec that the container process inherits at execve (personality,
// I/O priority, scheduler and CPU affinity) and translates them into the
// values the process executor sets (libcontainer/plan).
package procattr

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Linux personality domains (<linux/personality.h>).
const (
	perLinux   = 0x0000
	perLinux32 = 0x0008
)

const ioprioClassShift = 13

var ioClasses = map[specs.IOPriorityClass]int{
	specs.IOPRIO_CLASS_RT: 1, specs.IOPRIO_CLASS_BE: 2, specs.IOPRIO_CLASS_IDLE: 3,
}

var policies = map[specs.LinuxSchedulerPolicy]uint32{
	specs.SchedOther: 0, specs.SchedFIFO: 1, specs.SchedRR: 2, specs.SchedBatch: 3,
	specs.SchedIdle: 5, specs.SchedDeadline: 6,
}

var schedFlags = map[specs.LinuxSchedulerFlag]uint64{
	specs.SchedFlagResetOnFork: 0x01, specs.SchedFlagReclaim: 0x02, specs.SchedFlagDLOverrun: 0x04,
	specs.SchedFlagKeepPolicy: 0x08, specs.SchedFlagKeepParams: 0x10,
	specs.SchedFlagUtilClampMin: 0x20, specs.SchedFlagUtilClampMax: 0x40,
}

// Validate checks the attributes before anything is created; errors name
// the config field.
func Validate(s *specs.Spec) error {
	if s.Linux != nil && s.Linux.Personality != nil {
		if _, err := personality(s.Linux.Personality); err != nil {
			return err
		}
	}
	p := s.Process
	if p == nil {
		return nil
	}
	return ValidateProcess(p)
}

// ValidateProcess checks the process-level attributes (also for exec).
func ValidateProcess(p *specs.Process) error {
	if io := p.IOPriority; io != nil {
		if _, ok := ioClasses[io.Class]; !ok {
			return fmt.Errorf("process.ioPriority.class: unknown class %q", io.Class)
		}
		if io.Priority < 0 || io.Priority > 7 {
			return fmt.Errorf("process.ioPriority.priority: %d is not in 0..7", io.Priority)
		}
	}
	if sc := p.Scheduler; sc != nil {
		if _, ok := policies[sc.Policy]; !ok {
			return fmt.Errorf("process.scheduler.policy: unknown or unsupported policy %q", sc.Policy)
		}
		if sc.Nice < -20 || sc.Nice > 19 {
			return fmt.Errorf("process.scheduler.nice: %d is not in -20..19", sc.Nice)
		}
		for i, f := range sc.Flags {
			if _, ok := schedFlags[f]; !ok {
				return fmt.Errorf("process.scheduler.flags[%d]: unknown flag %q", i, f)
			}
		}
	}
	if a := p.ExecCPUAffinity; a != nil {
		if _, err := parseCPUs(a.Initial); err != nil {
			return fmt.Errorf("process.execCPUAffinity.initial: %w", err)
		}
		if _, err := parseCPUs(a.Final); err != nil {
			return fmt.Errorf("process.execCPUAffinity.final: %w", err)
		}
	}
	return nil
}

func personality(p *specs.LinuxPersonality) (uint, error) {
	if len(p.Flags) > 0 {
		return 0, fmt.Errorf("linux.personality.flags: no flags are defined, got %v", p.Flags)
	}
	switch p.Domain {
	case specs.PerLinux:
		return perLinux, nil
	case specs.PerLinux32:
		return perLinux32, nil
	}
	return 0, fmt.Errorf("linux.personality.domain: unknown domain %q (LINUX or LINUX32)", p.Domain)
}

// parseCPUs parses a cpu list such as "0-3,6".
func parseCPUs(list string) ([]int, error) {
	if list == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(list, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad cpu list %q", list)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad cpu list %q", list)
			}
		}
		if b >= 1024 {
			return nil, fmt.Errorf("cpu %d in %q is beyond 1023", b, list)
		}
		for c := a; c <= b; c++ {
			out = append(out, c)
		}
	}
	return out, nil
}

// The values the process executor (libcontainer/plan) passes to the
// kernel, from a validated process.

// PersonalityDomain is linux.personality's personality(2) value.
func PersonalityDomain(p *specs.LinuxPersonality) (uint, error) { return personality(p) }

// IOPrio is process.ioPriority's ioprio_set(2) value.
func IOPrio(io *specs.LinuxIOPriority) int {
	return ioClasses[io.Class]<<ioprioClassShift | io.Priority
}

// SchedPolicy returns process.scheduler's sched_setattr(2) policy and flags.
func SchedPolicy(sc *specs.Scheduler) (policy uint32, flags uint64) {
	for _, f := range sc.Flags {
		flags |= schedFlags[f]
	}
	return policies[sc.Policy], flags
}

// CPUMask is a cpu list ("0-3,6") as the kernel's 1024-bit cpu_set_t.
func CPUMask(field, list string) ([]byte, error) {
	cpus, err := parseCPUs(list)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	mask := make([]byte, 128)
	for _, c := range cpus {
		mask[c/8] |= 1 << (c % 8)
	}
	return mask, nil
}
