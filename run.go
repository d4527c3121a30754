package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
	"github.com/hutch-runtime/hutch/libcontainer/console"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container, wait for it, and exit with its status",
	ArgsUsage: "<container-id>",
	Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper of the container's orphaned processes"},
	}, createFlags...),
	Action: func(ctx *cli.Context) error {
		id, err := needID(ctx)
		if err != nil {
			return err
		}
		store := stateStore(ctx)
		opts, err := createOpts(ctx, id)
		if err != nil {
			return err
		}
		opts.Run = true
		// A terminal without a console socket is hutch's own to serve, as
		// with runc: the caller's stdio becomes the container's terminal.
		var fg *console.Foreground
		if !ctx.Bool("detach") && opts.ConsoleSocket == "" {
			var err error
			if fg, err = console.NewForeground(); err != nil {
				return err
			}
			defer fg.Close()
			opts.Console, opts.ConsoleSize = fg.Peer(), fg.Size()
		}
		var fw *libcontainer.SignalForwarder
		if !ctx.Bool("detach") {
			if !ctx.Bool("no-subreaper") {
				if err := libcontainer.PrepareRun(); err != nil {
					return err
				}
			}
			fw = libcontainer.ForwardSignals()
		}
		st, err := libcontainer.Create(store, opts)
		if err != nil {
			return err
		}
		if fg != nil {
			attached, err := fg.Attach()
			if err != nil {
				libcontainer.Delete(store, id, true)
				return fmt.Errorf("process.terminal: %w", err)
			}
			if attached {
				fw.OnResize(fg.Resize)
			}
		}
		if err := libcontainer.Start(store, id); err != nil {
			libcontainer.Delete(store, id, true)
			return err
		}
		if ctx.Bool("detach") {
			return nil
		}
		code := fw.Wait(st)
		if fg != nil {
			fg.Close() // the output, then the caller's terminal modes
		}
		if !ctx.Bool("keep") {
			if err := libcontainer.Delete(store, id, true); err != nil {
				return err
			}
		}
		if code != 0 {
			return exitCode(code)
		}
		return nil
	},
}
