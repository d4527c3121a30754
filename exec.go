package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
	"github.com/hutch-runtime/hutch/libcontainer/console"
)

var execCommand = &cli.Command{
	Name:      "exec",
	Usage:     "run a process inside a running container",
	ArgsUsage: "<container-id> [command [args...]]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "process", Aliases: []string{"p"}, Usage: "runtime-spec process JSON file (- for stdin)"},
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
		&cli.StringFlag{Name: "cwd", Usage: "working directory inside the container"},
		&cli.StringSliceFlag{Name: "env", Aliases: []string{"e"}, Usage: "add an environment variable"},
		&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}, Usage: "allocate a pty"},
		&cli.StringFlag{Name: "user", Aliases: []string{"u"}, Usage: "uid[:gid]"},
		&cli.Int64SliceFlag{Name: "additional-gids", Aliases: []string{"g"}, Usage: "additional gids"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the process"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the process's pid to this file"},
		&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the process"},
		&cli.StringFlag{Name: "process-label", Usage: "SELinux label"},
		&cli.StringFlag{Name: "apparmor", Usage: "AppArmor profile"},
		&cli.BoolFlag{Name: "no-new-privs", Usage: "set no_new_privs"},
		&cli.StringSliceFlag{Name: "cap", Aliases: []string{"c"}, Usage: "add a capability"},
		&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from 3 on)"},
		&cli.BoolFlag{Name: "ignore-paused", Usage: "exec into a paused container (the process runs once it is resumed)"},
		&cli.StringSliceFlag{Name: "cgroup", Usage: "run the process in an existing sub-cgroup of the container's: [controller[,controller...]:]path (repeat for v1 hierarchies)"},
	},
	// Every failure of exec itself exits 255, as runc's does ("exec
	// failed: ..."): a status the process's own exit cannot be told from
	// would make `exec ct false` and a refused exec look alike.
	Action: func(ctx *cli.Context) error {
		err := execAction(ctx)
		var code exitCode
		if err != nil && !errors.As(err, &code) {
			fatalWith(fmt.Errorf("exec failed: %w", err), 255)
		}
		return err
	},
}

// execAction runs exec; an exitCode error carries the process's status.
func execAction(ctx *cli.Context) error {
	if ctx.NArg() < 1 {
		return errors.New("exec: requires the container id")
	}
	id := ctx.Args().First()
	store := stateStore(ctx)
	p, err := execProcess(ctx, id)
	if err != nil {
		return err
	}
	preserve, err := passedFds(ctx, 0)
	if err != nil {
		return err
	}
	sub, err := cgroups.ParseSub(ctx.StringSlice("cgroup"))
	if err != nil {
		return err
	}
	o := libcontainer.ExecOpts{
		ID: id, Process: p, PidFile: ctx.String("pid-file"), PidfdSocket: ctx.String("pidfd-socket"), ConsoleSocket: ctx.String("console-socket"),
		Detach: ctx.Bool("detach"), PreserveFds: preserve, IgnorePaused: ctx.Bool("ignore-paused"), Cgroup: sub,
	}
	if p.Terminal && o.ConsoleSocket == "" && !o.Detach {
		// hutch serves the terminal itself, on the caller's stdio.
		fg, err := console.NewForeground()
		if err != nil {
			return err
		}
		defer fg.Close()
		if p.ConsoleSize == nil {
			p.ConsoleSize = fg.Size()
		}
		o.Console = fg.Peer()
		o.Started = func(fw *libcontainer.SignalForwarder) error {
			if _, err := fg.Attach(); err != nil {
				return fmt.Errorf("process.terminal: %w", err)
			}
			fw.OnResize(fg.Resize)
			return nil
		}
		code, err := libcontainer.Exec(store, o)
		fg.Close() // the output, then the caller's terminal modes
		return execResult(code, err)
	}
	return execResult(libcontainer.Exec(store, o))
}

// execResult ends exec with the process's status.
func execResult(code int, err error) error {
	if err != nil {
		return err
	}
	if code != 0 {
		return exitCode(code)
	}
	return nil
}

// execProcess builds the process: from --process, or from the container's
// own process with the command line and flags applied.
func execProcess(ctx *cli.Context, id string) (*specs.Process, error) {
	var p *specs.Process
	if f := ctx.String("process"); f != "" {
		var err error
		if p, err = libcontainer.LoadProcess(f); err != nil {
			return nil, err
		}
	} else {
		if ctx.NArg() < 2 {
			return nil, errors.New("exec: requires a command (or --process)")
		}
		c, err := libcontainer.Load(stateStore(ctx), id)
		if err != nil {
			return nil, err
		}
		var s struct {
			Process *specs.Process `json:"process"`
		}
		err = c.SpecPart(&s)
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("read the container's config: %w", err)
		}
		if s.Process == nil {
			return nil, errors.New("read the container's config: no process")
		}
		cp := *s.Process
		p = &cp
		p.Args = ctx.Args().Tail()
		p.Terminal = ctx.Bool("tty")
		if !p.Terminal {
			p.ConsoleSize = nil // the container's terminal size, not this process's
		}
	}
	if cwd := ctx.String("cwd"); cwd != "" {
		p.Cwd = cwd
	}
	p.Env = append(p.Env, ctx.StringSlice("env")...)
	if u := ctx.String("user"); u != "" {
		uid, gid, hasGid := strings.Cut(u, ":")
		n, err := strconv.ParseUint(uid, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("--user: %q is not uid[:gid]", u)
		}
		p.User.UID = uint32(n)
		if hasGid {
			g, err := strconv.ParseUint(gid, 10, 32)
			if err != nil {
				return nil, fmt.Errorf("--user: %q is not uid[:gid]", u)
			}
			p.User.GID = uint32(g)
		}
	}
	for _, g := range ctx.Int64Slice("additional-gids") {
		// A negative or too large value must not wrap into another id
		// (-1 into 4294967295, 4294967296 into 0, the root group).
		if g < 0 || g > math.MaxUint32 {
			return nil, fmt.Errorf("--additional-gids: %d is not a group id", g)
		}
		p.User.AdditionalGids = append(p.User.AdditionalGids, uint32(g))
	}
	if ctx.Bool("no-new-privs") {
		p.NoNewPrivileges = true
	}
	// Applied as the config's fields are (refused where the LSM is off):
	// confinement asked for is never dropped silently.
	if ctx.IsSet("apparmor") {
		p.ApparmorProfile = ctx.String("apparmor")
	}
	if ctx.IsSet("process-label") {
		p.SelinuxLabel = ctx.String("process-label")
	}
	if caps := ctx.StringSlice("cap"); len(caps) > 0 {
		if p.Capabilities == nil {
			p.Capabilities = &specs.LinuxCapabilities{}
		}
		c := p.Capabilities
		c.Bounding = append(c.Bounding, caps...)
		c.Effective = append(c.Effective, caps...)
		c.Permitted = append(c.Permitted, caps...)
		c.Ambient = append(c.Ambient, caps...)
		c.Inheritable = append(c.Inheritable, caps...)
	}
	if ctx.Bool("tty") {
		p.Terminal = true
	}
	if p.Terminal && ctx.String("console-socket") == "" && ctx.Bool("detach") {
		return nil, errors.New("process.terminal: true requires --console-socket with --detach (cannot allocate tty if hutch will detach without setting console socket)")
	}
	return p, nil
}

func fatalWith(err error, code int) {
	printError(err)
	os.Exit(code)
}
