package capabilities

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// childEnv carries a childReq to a re-executed test binary.
const childEnv = "HUTCH_CAPS_TEST_CHILD"

// childReq mirrors what hutch init does: drop the bounding set, switch
// uid with PR_SET_KEEPCAPS, apply the sets (several times, to test
// availability checks against an already reduced thread).
type childReq struct {
	DropBounding bool
	Bounding     *specs.LinuxCapabilities
	UID          int
	Apply        []*specs.LinuxCapabilities
}

func TestMain(m *testing.M) {
	if req := os.Getenv(childEnv); req != "" {
		os.Exit(runChild(req))
	}
	os.Exit(m.Run())
}

func runChild(raw string) int {
	runtime.LockOSThread()
	var req childReq
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		fmt.Println("ERR: decode:", err)
		return 2
	}
	fail := func(err error) int { fmt.Println("ERR:", err); return 3 }
	if req.DropBounding {
		if err := DropBounding(req.Bounding); err != nil {
			return fail(err)
		}
	}
	if req.UID != 0 {
		if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
			return fail(err)
		}
		if err := unix.Setresuid(req.UID, req.UID, req.UID); err != nil {
			return fail(err)
		}
	}
	for _, c := range req.Apply {
		if err := Apply(c); err != nil {
			return fail(err)
		}
	}
	// thread-self: capabilities are per thread and this is the one we set.
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		return fail(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Cap") || strings.HasPrefix(l, "Uid:") {
			fmt.Println(l)
		}
	}
	return 0
}

type status map[string]uint64

func parseStatus(t *testing.T, out string) status {
	t.Helper()
	st := status{}
	for _, l := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok || !strings.HasPrefix(k, "Cap") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			t.Fatalf("bad status line %q", l)
		}
		st[k] = n
	}
	if len(st) != 5 {
		t.Fatalf("child output lacks Cap lines:\n%s", out)
	}
	return st
}

// runReq runs the child and returns its output and whether it succeeded.
func runReq(t *testing.T, req childReq) (string, bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	out, err := cmd.CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
			return strings.TrimSpace(string(out)), false
		}
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out), true
}

func mask(ns ...string) uint64 {
	var m uint64
	for _, n := range ns {
		m |= 1 << uint(byName[n])
	}
	return m
}

func ownStatus(t *testing.T) status {
	b, err := os.ReadFile("/proc/thread-self/status")
	if err != nil {
		t.Fatal(err)
	}
	return parseStatus(t, string(b))
}

func TestApplyNonRoot(t *testing.T) {
	c := &specs.LinuxCapabilities{
		Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"},
		Effective:   []string{"CAP_CHOWN", "CAP_KILL"},
		Permitted:   []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"},
		Inheritable: []string{"CAP_KILL", "CAP_NET_RAW"},
		Ambient:     []string{"CAP_NET_RAW"},
	}
	out, ok := runReq(t, childReq{DropBounding: true, Bounding: c, UID: 1000, Apply: []*specs.LinuxCapabilities{c}})
	if !ok {
		t.Fatalf("child failed: %s", out)
	}
	if !strings.Contains(out, "Uid:\t1000\t1000\t1000") {
		t.Fatalf("uid switch did not happen:\n%s", out)
	}
	st := parseStatus(t, out)
	want := status{
		"CapBnd": mask("CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"),
		"CapEff": mask("CAP_CHOWN", "CAP_KILL"),
		"CapPrm": mask("CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"),
		"CapInh": mask("CAP_KILL", "CAP_NET_RAW"),
		"CapAmb": mask("CAP_NET_RAW"),
	}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("%s = %016x, want %016x", k, st[k], v)
		}
	}
}

func TestApplyRootEmpty(t *testing.T) {
	// An empty (non-nil) config drops everything, even for root.
	c := &specs.LinuxCapabilities{}
	out, ok := runReq(t, childReq{DropBounding: true, Bounding: c, Apply: []*specs.LinuxCapabilities{c}})
	if !ok {
		t.Fatalf("child failed: %s", out)
	}
	for k, v := range parseStatus(t, out) {
		if v != 0 {
			t.Errorf("%s = %016x, want 0", k, v)
		}
	}
}

func TestNilKeepsEverything(t *testing.T) {
	own := ownStatus(t)
	out, ok := runReq(t, childReq{DropBounding: true, Bounding: nil, Apply: []*specs.LinuxCapabilities{nil}})
	if !ok {
		t.Fatalf("child failed: %s", out)
	}
	st := parseStatus(t, out)
	for _, k := range []string{"CapBnd", "CapPrm", "CapEff"} {
		if st[k] != own[k] {
			t.Errorf("%s = %016x, want unchanged %016x", k, st[k], own[k])
		}
	}
	if st["CapBnd"] == 0 {
		t.Fatal("test process has an empty bounding set; nothing was tested")
	}
}

func TestApplyReportsMissingCap(t *testing.T) {
	// Once CAP_SYS_TIME has left permitted it cannot come back; the error
	// must name the capability and the set.
	first := &specs.LinuxCapabilities{Permitted: []string{"CAP_CHOWN"}}
	second := &specs.LinuxCapabilities{Permitted: []string{"CAP_CHOWN", "CAP_SYS_TIME"}}
	out, ok := runReq(t, childReq{Apply: []*specs.LinuxCapabilities{first, second}})
	if ok {
		t.Fatalf("child succeeded, want failure:\n%s", out)
	}
	if want := "ERR: process.capabilities.permitted: CAP_SYS_TIME is not available on this host"; out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}

func TestDropBoundingReportsMissingCap(t *testing.T) {
	// A bounding capability the host lacks is reported, not ignored. Only
	// the host's own gaps can show this (this machine's root lacks
	// CAP_SYS_RESOURCE).
	missing := ""
	own := ownStatus(t)
	for n := 0; n <= LastCap(); n++ {
		if own["CapBnd"]&(1<<uint(n)) == 0 {
			missing = Name(n)
			break
		}
	}
	if missing == "" {
		t.Skip("host bounding set is complete; nothing missing to report")
	}
	c := &specs.LinuxCapabilities{Bounding: []string{"CAP_CHOWN", missing}}
	out, ok := runReq(t, childReq{DropBounding: true, Bounding: c})
	if ok {
		t.Fatalf("child succeeded, want failure:\n%s", out)
	}
	if want := "ERR: process.capabilities.bounding: " + missing + " is not available on this host"; out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
	// And the same capability requested in permitted, as on this machine
	// where root lacks CAP_SYS_RESOURCE.
	c = &specs.LinuxCapabilities{Permitted: []string{missing}}
	out, ok = runReq(t, childReq{Apply: []*specs.LinuxCapabilities{c}})
	if ok {
		t.Fatalf("child succeeded, want failure:\n%s", out)
	}
	if want := "ERR: process.capabilities.permitted: " + missing + " is not available on this host"; out != want {
		t.Fatalf("got %q, want %q", out, want)
	}
}
