package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer"
)

var killCommand = &cli.Command{
	Name:      "kill",
	Usage:     "send a signal (default SIGTERM) to a container's init",
	ArgsUsage: "<container-id> [signal]",
	Flags: []cli.Flag{
		&cli.BoolFlag{Name: "all", Aliases: []string{"a"}, Usage: "signal every process of the container"},
	},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() < 1 || ctx.NArg() > 2 {
			return fmt.Errorf("kill: requires the container id and optionally a signal")
		}
		sig := unix.SIGTERM
		if ctx.NArg() == 2 {
			var err error
			if sig, err = parseSignal(ctx.Args().Get(1)); err != nil {
				return err
			}
		}
		return libcontainer.Kill(stateStore(ctx), ctx.Args().First(), sig, ctx.Bool("all"))
	},
}

// parseSignal accepts KILL, SIGKILL, sigkill and 9.
func parseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		// 0 sends nothing: whether the init is alive (runc accepts it).
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("unknown signal %q", s)
}
