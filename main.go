// hutch is an OCI runtime: it creates and runs containers from OCI bundles
// with runc's command line.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/errs"
	_ "github.com/hutch-runtime/hutch/libcontainer/gomem" // how the Go runtime gets its memory: see the package
	"github.com/hutch-runtime/hutch/libcontainer/state"
	"github.com/hutch-runtime/hutch/libcontainer/timing"
	"github.com/hutch-runtime/hutch/libcontainer/userns"
)

// appName is the name hutch was invoked by ("hutch" for a re-executed
// init, whose argv[0] is a file descriptor path).
func appName() string {
	n := filepath.Base(os.Args[0])
	if n == "" || n == "." || n == "/" || strings.HasPrefix(n, "hutch") {
		return "hutch"
	}
	if _, err := strconv.Atoi(n); err == nil {
		return "hutch"
	}
	return n
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	inheritedFds = countInherited()
	app := &cli.App{
		// Named as invoked: installed as runc (a drop-in), its help reads
		// "runc - Open Container Initiative runtime" as runc's does.
		Name:    appName(),
		Usage:   "Open Container Initiative runtime",
		Version: fmt.Sprintf("%s\nspec: %s", version, specs.Version),
		// One flag, one value, as runc's CLI reads them: "-e A=x,y" is one
		// variable and "--cgroup cpu,memory:sub" one sub-cgroup.
		DisableSliceFlagSeparator: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Usage: "state directory (default /run/hutch, $XDG_RUNTIME_DIR/hutch when not root)"},
			&cli.StringFlag{Name: "log", Usage: "log file (default stderr)"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.BoolFlag{Name: "debug", Usage: "debug logging (includes --timings)"},
			&cli.BoolFlag{Name: "timings", Usage: "log the duration of each phase of create, start and exec"},
			&cli.BoolFlag{Name: "systemd-cgroup", Usage: "use systemd to manage cgroups"},
			&cli.StringFlag{Name: "rootless", Value: "auto", Usage: "rootless mode: true, false or auto"},
			&cli.StringFlag{Name: "criu", Value: "criu", Usage: "CRIU binary for checkpoint and restore (a path, or a name looked up in PATH)"},
		},
		Before: globalSetup,
		Commands: []*cli.Command{
			createCommand, startCommand, stateCommand, killCommand, deleteCommand,
			runCommand, listCommand, specCommand, featuresCommand, execCommand,
			checkpointCommand, restoreCommand,
			psCommand, pauseCommand, resumeCommand, eventsCommand, updateCommand,
		},
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(reorderArgs(app, os.Args)); err != nil {
		fatal(err)
	}
}

// exitCode lets a command (run) end with the container's status.
type exitCode int

func (e exitCode) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// fatal logs err (so --log FILE carries it for the engine) and prints it on
// stderr, then exits 1.
func fatal(err error) {
	if code, ok := err.(exitCode); ok {
		os.Exit(int(code))
	}
	printError(err)
	os.Exit(1)
}

// printError logs err (so --log FILE carries it for the engine) and prints
// it on stderr when the log goes elsewhere.
func printError(err error) {
	logrus.WithFields(errs.Fields(err)).Error(err)
	if logrus.StandardLogger().Out != os.Stderr {
		fmt.Fprintln(os.Stderr, err)
	}
}

// globalSetup applies the global flags before any command runs.
func globalSetup(ctx *cli.Context) error {
	if err := setupLogging(ctx); err != nil {
		return err
	}
	// --rootless, as in runc: auto detects; true makes hutch behave as
	// rootless (no host cgroups unless delegated) even for root; false
	// makes it use host cgroups even when it would not (and fail clearly
	// if they are not writable).
	switch v := ctx.String("rootless"); v {
	case "auto":
	case "true", "false":
		userns.ForceRootless(v == "true")
	default:
		return fmt.Errorf("--rootless: want true, false or auto, got %q", v)
	}
	return nil
}

func setupLogging(ctx *cli.Context) error {
	if ctx.Bool("debug") {
		logrus.SetLevel(logrus.DebugLevel)
	}
	timing.Enabled = ctx.Bool("debug") || ctx.Bool("timings")
	switch f := ctx.String("log-format"); f {
	case "text":
		logrus.SetFormatter(&logrus.TextFormatter{DisableColors: true})
	case "json":
		logrus.SetFormatter(&logrus.JSONFormatter{})
	default:
		return fmt.Errorf("--log-format: unknown format %q (want text or json)", f)
	}
	if p := ctx.String("log"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_SYNC, 0o644)
		if err != nil {
			return fmt.Errorf("--log: %w", err)
		}
		logrus.SetOutput(f)
	}
	return nil
}

// stateStore returns the state root: --root, else /run/hutch for root and
// $XDG_RUNTIME_DIR/hutch (or a private dir in /tmp) for other users. Only
// commands that use state call it; an unusable default ends the command.
func stateStore(ctx *cli.Context) state.Store {
	if r := ctx.String("root"); r != "" {
		abs, err := filepath.Abs(r)
		if err == nil {
			return state.Store{Root: abs}
		}
		return state.Store{Root: r}
	}
	root, err := defaultStateRoot()
	if err != nil {
		fatal(err)
	}
	return state.Store{Root: root}
}

// defaultStateRoot picks the default state root. An unprivileged user never
// gets /run/hutch: $XDG_RUNTIME_DIR/hutch, or without it /tmp/hutch-UID,
// which must be a directory of its own with mode 0700 — in a world-writable
// /tmp, someone else could have created it first to read or plant state.
func defaultStateRoot() (string, error) {
	xdg := os.Getenv("XDG_RUNTIME_DIR")
	if os.Geteuid() == 0 && (xdg == "" || !userns.InUserNS()) {
		return "/run/hutch", nil
	}
	// Root of a user namespace (rootless podman's runtime) cannot write
	// the host's /run: its XDG_RUNTIME_DIR, like runc.
	if xdg != "" {
		return filepath.Join(xdg, "hutch"), nil
	}
	dir := filepath.Join("/tmp", "hutch-"+strconv.Itoa(os.Geteuid()))
	if err := os.Mkdir(dir, 0o700); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("state root (XDG_RUNTIME_DIR is unset): create %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return "", fmt.Errorf("state root (XDG_RUNTIME_DIR is unset): %w", err)
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFDIR:
		return "", fmt.Errorf("state root (XDG_RUNTIME_DIR is unset): %s is not a directory; refusing it (set XDG_RUNTIME_DIR or --root)", dir)
	case int(st.Uid) != os.Geteuid():
		return "", fmt.Errorf("state root (XDG_RUNTIME_DIR is unset): %s belongs to uid %d, not to you; refusing it (set XDG_RUNTIME_DIR or --root)", dir, st.Uid)
	case st.Mode&0o077 != 0:
		return "", fmt.Errorf("state root (XDG_RUNTIME_DIR is unset): %s has mode %#o, want 0700; refusing it (set XDG_RUNTIME_DIR or --root)", dir, st.Mode&0o7777)
	}
	return dir, nil
}

// inheritedFds is how many fds from 3 on (without a gap) hutch's caller
// passed it. An fd that came through execve has no FD_CLOEXEC, while the
// Go runtime opens its own before main (a cgroup file for GOMAXPROCS, in a
// gap the caller left) with it: counting stops at the first of those.
var inheritedFds int

func countInherited() int {
	n := 0
	for {
		flags, err := unix.FcntlInt(uintptr(3+n), unix.F_GETFD, 0)
		if err != nil || flags&unix.FD_CLOEXEC != 0 {
			return n
		}
		n++
	}
}

// passedFds checks that --preserve-fds (plus listen, socket activation's
// LISTEN_FDS) only names fds the caller passed: by the time the container
// starts, hutch has files of its own open (the state directory, the log),
// and handing one of those on would give the container a host directory.
func passedFds(ctx *cli.Context, listen int) (int, error) {
	n := ctx.Int("preserve-fds")
	if n < 0 {
		return 0, fmt.Errorf("--preserve-fds: %d is negative", n)
	}
	if listen < 0 {
		listen = 0
	}
	if listen+n > inheritedFds {
		return 0, fmt.Errorf("--preserve-fds %d: fd %d is not open in hutch's caller (it passed fds 3 to %d)",
			n, 3+inheritedFds, 2+inheritedFds)
	}
	return n, nil
}

// needID returns the single container id argument.
func needID(ctx *cli.Context) (string, error) {
	if ctx.NArg() != 1 {
		return "", fmt.Errorf("%s: requires exactly one argument: the container id", ctx.Command.Name)
	}
	return ctx.Args().First(), nil
}
