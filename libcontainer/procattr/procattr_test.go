package procattr

import (
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestParseCPUs(t *testing.T) {
	got, err := parseCPUs("0-2,5")
	if err != nil || !reflect.DeepEqual(got, []int{0, 1, 2, 5}) {
		t.Fatalf("parseCPUs = %v, %v", got, err)
	}
	for _, bad := range []string{"a", "3-1", "-1", "0-2000", "1,,2"} {
		if _, err := parseCPUs(bad); err == nil {
			t.Errorf("parseCPUs(%q): want error", bad)
		}
	}
}

func TestValidateNamesFields(t *testing.T) {
	tests := []struct {
		s    *specs.Spec
		want string
	}{
		{&specs.Spec{Process: &specs.Process{IOPriority: &specs.LinuxIOPriority{Class: "X"}}}, "process.ioPriority.class"},
		{&specs.Spec{Process: &specs.Process{IOPriority: &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 9}}}, "process.ioPriority.priority"},
		{&specs.Spec{Process: &specs.Process{Scheduler: &specs.Scheduler{Policy: "SCHED_X"}}}, "process.scheduler.policy"},
		{&specs.Spec{Process: &specs.Process{Scheduler: &specs.Scheduler{Policy: specs.SchedOther, Nice: 40}}}, "process.scheduler.nice"},
		{&specs.Spec{Process: &specs.Process{Scheduler: &specs.Scheduler{Policy: specs.SchedOther, Flags: []specs.LinuxSchedulerFlag{"F"}}}}, "process.scheduler.flags[0]"},
		{&specs.Spec{Process: &specs.Process{ExecCPUAffinity: &specs.CPUAffinity{Final: "x"}}}, "process.execCPUAffinity.final"},
		{&specs.Spec{Process: &specs.Process{}, Linux: &specs.Linux{Personality: &specs.LinuxPersonality{Domain: "X"}}}, "linux.personality.domain"},
	}
	for _, tc := range tests {
		err := Validate(tc.s)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate: got %v, want an error naming %s", err, tc.want)
		}
	}
	ok := &specs.Spec{Process: &specs.Process{
		IOPriority: &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4},
		Scheduler:  &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5},
	}, Linux: &specs.Linux{Personality: &specs.LinuxPersonality{Domain: specs.PerLinux32}}}
	if err := Validate(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}
