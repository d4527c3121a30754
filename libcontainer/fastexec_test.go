package libcontainer

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func plainProcess() *specs.Process {
	umask := uint32(0o027)
	return &specs.Process{
		Args: []string{"sh", "-c", "echo hi"}, Env: []string{"PATH=/bin", "A=b c"}, Cwd: "/tmp",
		User:         specs.User{UID: 1000, GID: 100, AdditionalGids: []uint32{10, 20}, Umask: &umask},
		Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL", "CAP_CHOWN"}, Permitted: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}},
		Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}},
	}
}

// records decodes a plan into "tag payload" lines.
func records(t *testing.T, b []byte) []string {
	var out []string
	for len(b) > 0 {
		if len(b) < 5 {
			t.Fatalf("truncated record header: %q", b)
		}
		n := binary.BigEndian.Uint32(b[1:5])
		if int(n) > len(b)-5 {
			t.Fatalf("record %c longer than the plan", b[0])
		}
		out = append(out, fmt.Sprintf("%c %s", b[0], b[5:5+n]))
		b = b[5+n:]
	}
	return out
}

func TestExecPlanRecords(t *testing.T) {
	got := strings.Join(records(t, execPlan(plainProcess(), nil, 2, 7)), "\n")
	for _, want := range []string{
		"A sh\nA -c\nA echo hi\n", "E PATH=/bin\nE A=b c\n", "C /tmp\n", "F 2\n", "T 7\n",
		"R 0 7 10 20 RLIMIT_NOFILE\n", "U 1000 100 23 10 20\n",
		// bounding CHOWN|KILL = 0x21, permitted = effective = KILL = 0x20
		" 33 32 32 0 0",
	} {
		if !strings.Contains(got+"\n", want) {
			t.Errorf("plan lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "N ") || strings.Contains(got, "\nS ") {
		t.Errorf("no_new_privs or a filter in a plan that has neither:\n%s", got)
	}
}

func TestExecPlanLeavesToGoInit(t *testing.T) {
	for name, edit := range map[string]func(p *specs.Process){
		"terminal":    func(p *specs.Process) { p.Terminal = true },
		"apparmor":    func(p *specs.Process) { p.ApparmorProfile = "x" },
		"selinux":     func(p *specs.Process) { p.SelinuxLabel = "x" },
		"ioPriority":  func(p *specs.Process) { p.IOPriority = &specs.LinuxIOPriority{Class: "IOPRIO_CLASS_BE"} },
		"scheduler":   func(p *specs.Process) { p.Scheduler = &specs.Scheduler{Policy: "SCHED_OTHER"} },
		"affinity":    func(p *specs.Process) { p.ExecCPUAffinity = &specs.CPUAffinity{Initial: "0"} },
		"NUL in arg":  func(p *specs.Process) { p.Args[2] = "a\x00b" },
		"NUL in env":  func(p *specs.Process) { p.Env = append(p.Env, "X=\x00") },
		"bad rlimit":  func(p *specs.Process) { p.Rlimits[0].Type = "RLIMIT_NOPE" },
		"bad cap":     func(p *specs.Process) { p.Capabilities.Bounding = append(p.Capabilities.Bounding, "CAP_NOPE") },
		"no argument": func(p *specs.Process) { p.Args = nil },
	} {
		p := plainProcess()
		edit(p)
		if plan := execPlan(p, nil, 0, 0); plan != nil {
			t.Errorf("%s: got a plan, want the Go init", name)
		}
	}
	notify := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}}
	if plan := execPlan(plainProcess(), notify, 0, 0); plan != nil {
		t.Error("seccomp notify: got a plan, want the Go init")
	}
}

func TestExecPlanSeccomp(t *testing.T) {
	p := plainProcess()
	p.NoNewPrivileges = true
	sc := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}
	recs := records(t, execPlan(p, sc, 0, 0))
	var prog string
	nnp := false
	for _, r := range recs {
		switch r[0] {
		case 'S':
			prog = r[2:]
		case 'N':
			nnp = true
		}
	}
	if !nnp {
		t.Error("no_new_privs missing from the plan")
	}
	if len(prog) == 0 || len(prog)%8 != 0 {
		t.Fatalf("filter program of %d bytes, want a non-empty multiple of 8", len(prog))
	}
}
