package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
)

var runCommand = &cli.Command{
	Name:      "run",
	Usage:     "create and start a container, wait for it, and exit with its status",
	ArgsUsage: "<container-id>",
	Flags: append([]cli.Flag{
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.BoolFlag{Name: "keep", Usage: "do not delete the container after it exits"},
	}, createFlags...),
	Action: func(ctx *cli.Context) error {
		id, err := needID(ctx)
		if err != nil {
			return err
		}
		store := stateStore(ctx)
		var fw *libcontainer.SignalForwarder
		if !ctx.Bool("detach") {
			if err := libcontainer.PrepareRun(); err != nil {
				return err
			}
			fw = libcontainer.ForwardSignals()
		}
		opts := createOpts(ctx, id)
		opts.Run = true
		st, err := libcontainer.Create(store, opts)
		if err != nil {
			return err
		}
		if err := libcontainer.Start(store, id); err != nil {
			libcontainer.Delete(store, id, true)
			return err
		}
		if ctx.Bool("detach") {
			return nil
		}
		code := fw.Wait(st)
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
