package rlimits

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		rs   []specs.POSIXRlimit
		want string
	}{
		{"empty", nil, ""},
		{"ok", []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 4096}, {Type: "RLIMIT_CORE", Soft: ^uint64(0), Hard: ^uint64(0)}}, ""},
		{"soft equals hard", []specs.POSIXRlimit{{Type: "RLIMIT_NPROC", Soft: 5, Hard: 5}}, ""},
		{"unknown", []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1}, {Type: "RLIMIT_FOO"}},
			`process.rlimits[1].type: unknown rlimit "RLIMIT_FOO"`},
		{"lowercase", []specs.POSIXRlimit{{Type: "rlimit_nofile"}}, `process.rlimits[0].type: unknown rlimit "rlimit_nofile"`},
		{"no prefix", []specs.POSIXRlimit{{Type: "NOFILE"}}, `process.rlimits[0].type: unknown rlimit "NOFILE"`},
		{"soft over hard", []specs.POSIXRlimit{{Type: "RLIMIT_STACK", Soft: 10, Hard: 9}},
			"process.rlimits[0] (RLIMIT_STACK): soft limit 10 is greater than hard limit 9"},
		{"duplicate", []specs.POSIXRlimit{{Type: "RLIMIT_AS"}, {Type: "RLIMIT_CPU"}, {Type: "RLIMIT_AS"}},
			"process.rlimits[2].type: RLIMIT_AS is already set by process.rlimits[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.rs)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	if len(Names()) != 16 {
		t.Fatalf("Names() has %d entries", len(Names()))
	}
}

const childEnv = "HUTCH_RLIMITS_TEST_CHILD"

// TestMain's child applies each batch of rlimits, then execs cat so the
// parent sees the limits the container process would really get (the Go
// runtime resets RLIMIT_NOFILE on exec unless told not to).
func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		var batches [][]specs.POSIXRlimit
		if err := json.Unmarshal([]byte(raw), &batches); err != nil {
			fmt.Println("ERR:", err)
			os.Exit(2)
		}
		for _, b := range batches {
			if err := Apply(b); err != nil {
				fmt.Println("ERR:", err)
				os.Exit(3)
			}
		}
		err := syscall.Exec("/bin/cat", []string{"cat", "/proc/self/limits"}, nil)
		fmt.Println("ERR: exec:", err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

func runChild(t *testing.T, batches ...[]specs.POSIXRlimit) (string, error) {
	t.Helper()
	raw, _ := json.Marshal(batches)
	// Start the child with soft RLIMIT_NOFILE below hard, so its Go
	// runtime records a limit to restore at exec.
	cmd := exec.Command("/bin/sh", "-c", `ulimit -Sn 512 && exec "$0" "$@"`, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// limit returns soft and hard of one /proc/PID/limits row.
func limit(t *testing.T, limits, row string) (string, string) {
	t.Helper()
	for _, l := range strings.Split(limits, "\n") {
		if strings.HasPrefix(l, row) {
			f := strings.Fields(l[len(row):])
			if len(f) >= 2 {
				return f[0], f[1]
			}
		}
	}
	t.Fatalf("no %q row in:\n%s", row, limits)
	return "", ""
}

func TestApply(t *testing.T) {
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	if cur.Max < 1001 {
		t.Skipf("RLIMIT_NOFILE hard limit %d is too low for this test", cur.Max)
	}
	// Keep the hard limit as it is: the Go runtime's restore of its startup
	// RLIMIT_NOFILE at exec would then succeed and show up as a wrong soft
	// limit if Apply did not disable it.
	hard := strconv.FormatUint(cur.Max, 10)
	if cur.Max == ^uint64(0) {
		hard = "unlimited"
	}
	rs := []specs.POSIXRlimit{
		{Type: "RLIMIT_NOFILE", Soft: 1001, Hard: cur.Max},
		{Type: "RLIMIT_CORE", Soft: 0, Hard: 4096},
		{Type: "RLIMIT_NPROC", Soft: 77777, Hard: 88888},
	}
	if err := Validate(rs); err != nil {
		t.Fatal(err)
	}
	out, err := runChild(t, rs)
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	for _, c := range []struct{ row, soft, hard string }{
		{"Max open files", "1001", hard},
		{"Max core file size", "0", "4096"},
		{"Max processes", "77777", "88888"},
	} {
		s, h := limit(t, out, c.row)
		if s != c.soft || h != c.hard {
			t.Errorf("%s: got soft=%s hard=%s, want %s/%s", c.row, s, h, c.soft, c.hard)
		}
	}
}

func TestApplyErrorNamesRlimit(t *testing.T) {
	// Lower the hard limit, then try to raise it again: without
	// CAP_SYS_RESOURCE (this machine's root lacks it) the kernel refuses.
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			eff, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if eff&(1<<24) != 0 {
				t.Skip("test process has CAP_SYS_RESOURCE; raising hard limits would succeed")
			}
		}
	}
	out, err := runChild(t,
		[]specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 256, Hard: 512}},
		[]specs.POSIXRlimit{{Type: "RLIMIT_CORE", Soft: 0, Hard: 0}, {Type: "RLIMIT_NOFILE", Soft: 256, Hard: 1024}})
	if err == nil {
		t.Fatalf("child succeeded: %s", out)
	}
	want := "ERR: process.rlimits[1] (RLIMIT_NOFILE): setting soft=256 hard=1024: operation not permitted (current hard limit is 512; raising a hard limit needs CAP_SYS_RESOURCE and may not exceed fs.nr_open)"
	if out != want {
		t.Fatalf("got  %q\nwant %q", out, want)
	}
}
