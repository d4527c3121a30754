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
		if ctx.Bool("detach") {
			if _, err := libcontainer.Create(store, opts); err != nil {
				return err
			}
			if err := libcontainer.Start(store, id); err != nil {
				libcontainer.Delete(store, id, true)
				return err
			}
			return nil
		}
		w, err := newWaiter(ctx, opts.ConsoleSocket == "")
		if err != nil {
			return err
		}
		defer w.close()
		if w.fg != nil {
			opts.Console, opts.ConsoleSize = w.console(), w.fg.Size()
		}
		st, err := libcontainer.Create(store, opts)
		if err != nil {
			return err
		}
		if err := w.attach(store, id); err != nil {
			return err
		}
		if err := libcontainer.Start(store, id); err != nil {
			libcontainer.Delete(store, id, true)
			return err
		}
		return w.wait(store, id, st, ctx.Bool("keep"))
	},
}
