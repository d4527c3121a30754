package plan

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
)

// TestRoundTripThroughTheCDecoder encodes a plan with every record kind
// and decodes it with the executor's own parser (process.c, built into
// testdata/dump.c): what the C side reads is what Go meant.
// buildDecoder builds testdata/dump.c, the C decoders fed a plan on stdin.
func buildDecoder(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to build the C decoder (cgo needs it too)")
	}
	bin := filepath.Join(t.TempDir(), "dump")
	// dump.c includes process.c; the rest of the C half but the
	// constructor (nsenter.c) links with it.
	args := []string{"-O2", "-Wall", "-o", bin, "testdata/dump.c"}
	srcs, _ := filepath.Glob("../nsenter/*.c")
	for _, f := range srcs {
		if b := filepath.Base(f); b != "nsenter.c" && b != "process.c" {
			args = append(args, f)
		}
	}
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("build the C decoder: %v\n%s", err, out)
	}
	return bin
}

func TestRoundTripThroughTheCDecoder(t *testing.T) {
	bin := buildDecoder(t)
	umask, timeout, size, oom := uint32(0o27), 7, &specs.Box{Height: 40, Width: 120}, -500
	filter, err := seccomp.Compile(&specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: "/run/agent.sock",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActNotify}}})
	if err != nil {
		t.Fatal(err)
	}
	p := &Process{
		Process: &specs.Process{
			Args: []string{"sh", "-c", "echo a b"}, Env: []string{"PATH=/bin", "X=y z"}, Cwd: "/tmp",
			User:            specs.User{UID: 1000, GID: 100, Umask: &umask, AdditionalGids: []uint32{10, 20}},
			Rlimits:         []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 1024}},
			Capabilities:    &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", "CAP_KILL"}, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			NoNewPrivileges: true, ConsoleSize: size,
			ExecCPUAffinity: &specs.CPUAffinity{Initial: "0", Final: "0-1"},
			IOPriority:      &specs.LinuxIOPriority{Class: specs.IOPRIO_CLASS_BE, Priority: 4},
			Scheduler:       &specs.Scheduler{Policy: specs.SchedBatch, Nice: 5},
			ApparmorProfile: "prof", SelinuxLabel: "lab",
		},
		Personality: &specs.LinuxPersonality{Domain: specs.PerLinux32},
		Seccomp:     filter, NotifyFd: 9, NotifyMsg: []byte(`{"pid":1}`),
		PreserveFds: 2, RootFd: 8, ConsoleFd: 7, FifoFd: 6,
		StartHooks: []specs.Hook{{Path: "/bin/h", Args: []string{"h", "1"}, Env: []string{"A=b"}, Timeout: &timeout}, {Path: "/bin/g"}},
		HookState:  []byte(`{"status":"created"}`),
		Setup: &Setup{Dev: true, Devices: []Device{{Label: "default device /dev/null", Path: "/dev/null", Mode: 0o20666, Major: 1, Minor: 3, UID: -1, GID: -1},
			{Label: "linux.devices[0] (/dev/my dev)", Path: "/dev/my dev", Mode: 0o20600, Major: 10, Minor: 229, UID: 5, GID: 6, Bind: true}},
			DevLinks: [][2]string{{"/proc/self/fd", "fd"}}, Ptmx: true, Setsid: true, LoopbackUp: true, Hooks: true,
			CreateHooks: []specs.Hook{{Path: "/bin/c", Args: []string{"c"}}}, EnterRoot: EnterMove, Rootfs: "/b/root fs",
			SetNames: true, Hostname: "h", Domainname: "d",
			Sysctl:        map[string]string{"net.ipv4.ip_forward": "1", "kernel.shmmni": "1 2"},
			ReadonlyPaths: []string{"/proc/bus", "/proc/my dir"}, MaskedPaths: []string{"/proc/kcore", "/proc/kcore/", "/sys/x"},
			MaskData: `context="a,b"`, RootReadonly: true, Propagation: "rshared", PropagationFlags: 0x104000,
			OOMScoreAdj: &oom, MkdirCwd: true, Timings: true},
	}
	msg, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("C decoder: %v\n%s", err, out)
	}
	want := []string{
		"arg sh", "arg -c", "arg echo a b", "env PATH=/bin", "env X=y z", "cwd /tmp", "preserve 2", "root 8",
		"rlimit 0 7 512 1024 RLIMIT_NOFILE", "user 1000 100 027 10 20",
		"nnp 1", "notify 9 {\"pid\":1}",
		"affinity 1 1 0 / 1 2 0-1", "personality 1 8", "ioprio 1 16388",
		"sched 1 3 0 5 0 0 0 0 SCHED_BATCH", "lsm prof lab", "tty 7 1000 1 40 120", "fifo 6",
		"hook 7 /bin/h arg=h arg=1 env=A=b", "hook 0 /bin/g", `state {"status":"created"}`,
		// The set-up: sysctls in key order, a masked path given twice once.
		"device default device /dev/null|/dev/null|8630 1 3 -1 -1 0", "device linux.devices[0] (/dev/my dev)|/dev/my dev|8576 10 229 5 6 1",
		"link /proc/self/fd fd", "dev 1 ptmx 1", "session 1 lo 1 hooks 1",
		"chook 0 /bin/c arg=c", "enter m /b/root fs", "names h d", "sysctl kernel.shmmni=1 2", "sysctl net.ipv4.ip_forward=1",
		"readonly 0 /proc/bus", "readonly 1 /proc/my dir", "masked 0 /proc/kcore", "masked 2 /sys/x",
		`maskdata context="a,b"`, "root 1 1064960 rshared", "oom 1 -500", "mkdir 1", "timings 1",
	}
	got := string(out)
	for _, w := range want {
		if !strings.Contains(got, w+"\n") {
			t.Errorf("C decoded no line %q", w)
		}
	}
	if !strings.Contains(got, "caps 1 ") || !strings.Contains(got, " CAP_CHOWN ") {
		t.Errorf("capabilities lost: %s", got)
	}
	if !strings.Contains(got, "seccomp 1 ") {
		t.Errorf("seccomp program lost: %s", got)
	}
	if t.Failed() {
		t.Logf("decoded:\n%s", got)
	}
	// A truncated plan is refused, not half read.
	cmd = exec.Command(bin)
	cmd.Stdin = bytes.NewReader(msg[:len(msg)-3])
	if out, err := cmd.Output(); err == nil || !strings.Contains(string(out), "malformed") {
		t.Errorf("truncated plan: %v %s", err, out)
	}
	_ = os.Remove(bin)
}

// The bootstrap plan, every kind of record, through the constructor's
// decoder.
func TestBootstrapThroughTheCDecoder(t *testing.T) {
	bin := buildDecoder(t)
	var b Bootstrap
	b.Join("user", 7)
	b.Join("network", 8)
	b.Clone(0x20020000)
	b.Maps()
	b.WaitCgroup()
	b.TimeOffset("monotonic", 10, 5)
	b.TimeOffset("boottime", -3, 0)
	b.Mempolicy(3, 0x8000, []uint64{0x8f, 0x1})
	b.NoDump()
	b.Keyring("_ses.ct", 7)
	b.Fork()
	b.Process()
	cmd := exec.Command(bin, "bootstrap")
	cmd.Stdin = bytes.NewReader(b.Bytes())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("C decoder: %v\n%s", err, out)
	}
	want := "join user @7 0x10000000\njoin network @8 0x40000000\nclone 0x20020000\nmaps 1\ncgroup wait 1\n" +
		"timens monotonic 10 5\nboottime -3 0\n|\nmempolicy 1 3 0x8000 0x8f,0x1 0x8f 0x1\n" +
		"nodump 1\nkeyring _ses.ct 7\nfork 1\nprocess 1\n"
	if string(out) != want {
		t.Errorf("decoded\n%s\nwant\n%s", out, want)
	}
	// A truncated plan is refused.
	cmd = exec.Command(bin, "bootstrap")
	cmd.Stdin = bytes.NewReader(b.Bytes()[:len(b.Bytes())-2])
	if out, err := cmd.Output(); err == nil || !strings.Contains(string(out), "malformed") {
		t.Errorf("truncated plan: %v %s", err, out)
	}
}
