package hooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func intp(i int) *int { return &i }

var testState = &specs.State{
	Version:     specs.Version,
	ID:          "ctr1",
	Status:      specs.StateCreated,
	Pid:         4242,
	Bundle:      "/b",
	Annotations: map[string]string{"a": "b"},
}

func TestStateOnStdinAndArgs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "state.json")
	// Path is the binary, Args is the whole argv including argv[0].
	h := specs.Hook{Path: "/bin/sh", Args: []string{"custom-argv0", "-c",
		`cat > "$1"; tr '\0' ' ' < /proc/$$/cmdline > "$1.args"`, "x", out}}
	if err := Run(CreateRuntime, []specs.Hook{h}, testState); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got specs.State
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("hook stdin is not state JSON: %v: %q", err, b)
	}
	if got.ID != "ctr1" || got.Pid != 4242 || got.Status != specs.StateCreated || got.Bundle != "/b" || got.Annotations["a"] != "b" {
		t.Fatalf("state mismatch: %+v", got)
	}
	a, _ := os.ReadFile(out + ".args")
	if !strings.HasPrefix(string(a), "custom-argv0 -c ") || !strings.HasSuffix(string(a), " x "+out+" ") {
		t.Fatalf("argv: got %q", a)
	}
}

func TestEnvIsolation(t *testing.T) {
	t.Setenv("HUTCH_SECRET_FROM_PARENT", "leak")
	out := filepath.Join(t.TempDir(), "env")
	p := script(t, `env > "$1"`)
	h := specs.Hook{Path: p, Args: []string{p, out}, Env: []string{"ONLY=this"}}
	if err := Run(Poststop, []specs.Hook{h}, testState); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	env := string(b)
	if !strings.Contains(env, "ONLY=this\n") {
		t.Fatalf("hook env lacks its own variable:\n%s", env)
	}
	if strings.Contains(env, "HUTCH_SECRET_FROM_PARENT") {
		t.Fatalf("hook saw the runtime's environment:\n%s", env)
	}
	// No env at all: the hook gets an empty environment (sh may add PWD
	// and the like, but nothing of ours).
	h.Env = nil
	if err := Run(Poststop, []specs.Hook{h}, testState); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(out)
	if strings.Contains(string(b), "HUTCH_SECRET_FROM_PARENT") || strings.Contains(string(b), "ONLY=") {
		t.Fatalf("hook without env saw variables:\n%s", b)
	}
}

func TestFailingHookError(t *testing.T) {
	p := script(t, "echo noise on stdout\nfor i in 1 2 3 4 5 6 7; do echo line$i >&2; done\nexit 3\n")
	err := Run(CreateRuntime, []specs.Hook{{Path: "/bin/true"}, {Path: p}}, testState)
	if err == nil {
		t.Fatal("want error")
	}
	want := "hooks.createRuntime[1] (" + p + "): error running createRuntime hook #1: exit status 3: line3; line4; line5; line6; line7"
	if err.Error() != want {
		t.Fatalf("got  %q\nwant %q", err, want)
	}
}

func TestRunStopsAtFirstFailure(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	second := script(t, `touch "$1"`)
	hs := []specs.Hook{{Path: "/bin/false"}, {Path: second, Args: []string{second, marker}}}
	if err := Run(CreateContainer, hs, testState); err == nil || !strings.HasPrefix(err.Error(), "hooks.createContainer[0] (/bin/false): error running createContainer hook #0: exit status 1") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("Run ran a hook after a failure")
	}
	// RunAll carries on and reports each failure.
	hs = append(hs, specs.Hook{Path: "/nonexistent/hook"})
	errs := RunAll(Poststart, hs, testState)
	if len(errs) != 2 {
		t.Fatalf("RunAll returned %d errors, want 2: %v", len(errs), errs)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("RunAll did not run the hook after the failure")
	}
	if !strings.HasPrefix(errs[1].Error(), "hooks.poststart[2] (/nonexistent/hook): ") {
		t.Fatalf("second error: %v", errs[1])
	}
}

func TestTimeoutKillsHookAndChildren(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	// The shell forks sleep; both must die, and Run must not wait for
	// sleep's end through the inherited stderr pipe.
	p := script(t, `sleep 30 & echo $! > "$1"; echo started >&2; wait`)
	start := time.Now()
	err := Run(StartContainer, []specs.Hook{{Path: p, Args: []string{p, pidFile}, Timeout: intp(1)}}, testState)
	el := time.Since(start)
	if err == nil {
		t.Fatal("want timeout error")
	}
	want := "hooks.startContainer[0] (" + p + "): error running startContainer hook #0: timed out after 1s, killed: started"
	if err.Error() != want {
		t.Fatalf("got  %q\nwant %q", err, want)
	}
	if el < 900*time.Millisecond || el > 5*time.Second {
		t.Fatalf("Run took %s, want about 1s", el)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(b))
	// The sleep was killed with its group; give the kernel a moment to
	// reap it (its parent, the shell, is dead, so init reaps it).
	deadline := time.Now().Add(2 * time.Second)
	for {
		st, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(st), ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hook's sleep (pid %s) survived the timeout", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestNoTimeoutWaits(t *testing.T) {
	p := script(t, "sleep 1.2\n")
	start := time.Now()
	if err := Run(Poststart, []specs.Hook{{Path: p}}, testState); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < time.Second {
		t.Fatalf("hook returned after %s; it was not waited for", el)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		hooks *specs.Hooks
		want  string
	}{
		{"nil", nil, ""},
		{"ok", &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/true", Timeout: intp(5)}}, Poststop: []specs.Hook{{Path: "/x", Env: []string{"A=b", "B="}}}}, ""},
		{"relative", &specs.Hooks{CreateContainer: []specs.Hook{{Path: "/bin/true"}, {Path: "bin/true"}}},
			`hooks.createContainer[1].path: must be absolute, got "bin/true"`},
		{"empty path", &specs.Hooks{Poststart: []specs.Hook{{}}}, "hooks.poststart[0].path: must not be empty"},
		{"zero timeout", &specs.Hooks{StartContainer: []specs.Hook{{Path: "/x", Timeout: intp(0)}}},
			"hooks.startContainer[0].timeout: must be greater than zero, got 0"},
		{"negative timeout", &specs.Hooks{Poststop: []specs.Hook{{Path: "/x", Timeout: intp(-1)}}},
			"hooks.poststop[0].timeout: must be greater than zero, got -1"},
		{"prestart", &specs.Hooks{Prestart: []specs.Hook{{Path: "rel"}}}, `hooks.prestart[0].path: must be absolute, got "rel"`},
		{"bad env", &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/x", Env: []string{"NOEQUALS"}}}},
			`hooks.createRuntime[0].env[0]: must be KEY=value, got "NOEQUALS"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.hooks)
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
}

func TestTailBounded(t *testing.T) {
	var tl tail
	big := strings.Repeat("x", 3000) + "\n"
	for i := 0; i < 10; i++ {
		tl.Write([]byte(big))
	}
	tl.Write([]byte("the end\n"))
	if len(tl.b) > tailBytes {
		t.Fatalf("tail kept %d bytes", len(tl.b))
	}
	if !strings.HasSuffix(tl.lastLines(), "; the end") {
		t.Fatalf("lastLines lost the end: %q", tl.lastLines()[len(tl.lastLines())-20:])
	}
}

func TestDaemonizingHookDoesNotHang(t *testing.T) {
	// A hook that exits 0 but leaves a child holding its stderr succeeds
	// after a bounded wait instead of hanging until that child exits.
	pidFile := filepath.Join(t.TempDir(), "pid")
	p := script(t, `sleep 20 & echo $! > "$1"; exit 0`)
	start := time.Now()
	err := Run(CreateRuntime, []specs.Hook{{Path: p, Args: []string{p, pidFile}}}, testState)
	el := time.Since(start)
	if b, rerr := os.ReadFile(pidFile); rerr == nil {
		if pid, cerr := strconv.Atoi(strings.TrimSpace(string(b))); cerr == nil {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if el > pipeGrace+2*time.Second {
		t.Fatalf("Run took %s", el)
	}
}
