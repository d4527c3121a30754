package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/timerslack"
)

// tailBytes bounds how much hook output is kept for error messages; a
// chatty hook must not grow hutch's memory.
const tailBytes = 4096

// tailLines is how many trailing lines of output an error quotes.
const tailLines = 5

// pipeGrace bounds how long Run waits for a killed hook's descendants to
// release its stdout/stderr before giving up on them.
const pipeGrace = 2 * time.Second

// Run runs hs in order and stops at the first failure, returning an error
// that names the hook (hooks.<kind>[i] (path)).
func Run(kind string, hs []specs.Hook, state *specs.State) error {
	if len(hs) == 0 {
		return nil
	}
	in, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("hooks.%s: encoding state: %w", kind, err)
	}
	for i := range hs {
		if err := runOne(kind, i, &hs[i], in); err != nil {
			return err
		}
	}
	return nil
}

// RunAll runs every hook even when some fail and returns all failures, for
// poststart and poststop whose failures are only warnings.
func RunAll(kind string, hs []specs.Hook, state *specs.State) []error {
	if len(hs) == 0 {
		return nil
	}
	in, err := json.Marshal(state)
	if err != nil {
		return []error{fmt.Errorf("hooks.%s: encoding state: %w", kind, err)}
	}
	var errs []error
	for i := range hs {
		if err := runOne(kind, i, &hs[i], in); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func runOne(kind string, i int, h *specs.Hook, state []byte) error {
	name := fmt.Sprintf("hooks.%s[%d] (%s)", kind, i, h.Path)

	ctx := context.Background()
	var timeout time.Duration
	if h.Timeout != nil {
		if *h.Timeout <= 0 {
			return fmt.Errorf("%s: timeout must be greater than zero, got %d", name, *h.Timeout)
		}
		timeout = time.Duration(*h.Timeout) * time.Second
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	cmd := exec.CommandContext(ctx, h.Path)
	cmd.Args = h.Args
	if len(cmd.Args) == 0 {
		cmd.Args = []string{h.Path}
	}
	// A non-nil empty slice: nil would hand the hook hutch's environment.
	cmd.Env = append([]string{}, h.Env...)
	cmd.Stdin = bytes.NewReader(state)
	stdout, stderr := &tail{}, &tail{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Own process group so a timeout kills whatever the hook started too
	// (a shell script's `sleep` would otherwise outlive it and hold the
	// output pipes open).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return unix.Kill(-cmd.Process.Pid, unix.SIGKILL)
	}
	cmd.WaitDelay = pipeGrace

	err := timerslack.Run(cmd)
	if err == nil {
		return nil
	}
	out := stderr.lastLines()
	if out == "" {
		out = stdout.lastLines()
	}
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("timed out after %s, killed", timeout)
	} else if errors.Is(err, exec.ErrWaitDelay) {
		// The hook exited 0 but something it started kept its output
		// open; that is the hook's business, not a failure.
		return nil
	}
	// runc's words after the field's name: tools match on them.
	name = fmt.Sprintf("%s: error running %s hook #%d", name, kind, i)
	if out != "" {
		return fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// tail keeps the last tailBytes bytes written to it.
type tail struct{ b []byte }

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= tailBytes {
		p = p[len(p)-tailBytes:]
		t.b = append(t.b[:0], p...)
		return n, nil
	}
	if over := len(t.b) + len(p) - tailBytes; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	t.b = append(t.b, p...)
	return n, nil
}

// lastLines returns the last few non-empty lines, joined on one line so
// the error stays a single log line.
func (t *tail) lastLines() string {
	var lines []string
	for _, l := range strings.Split(string(t.b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return strings.Join(lines, "; ")
}
