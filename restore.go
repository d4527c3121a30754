package main

import (
	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
)

var restoreCommand = &cli.Command{
	Name:      "restore",
	Usage:     "restore a container from a CRIU checkpoint",
	ArgsUsage: "<container-id>",
	Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master of a restored terminal"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the OCI bundle"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the restored init's pid to this file"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper of the container's orphaned processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "refused: CRIU always pivots into the restored root"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile of the restored processes (TYPE:NAME)"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context of the restored mounts"},
	}, criuFlags...),
	Action: func(ctx *cli.Context) error {
		id, err := needID(ctx)
		if err != nil {
			return err
		}
		co, err := criuOpts(ctx)
		if err != nil {
			return err
		}
		o := libcontainer.RestoreOpts{
			CreateOpts: libcontainer.CreateOpts{
				ID: id, Bundle: ctx.String("bundle"), PidFile: ctx.String("pid-file"),
				ConsoleSocket: ctx.String("console-socket"), NoPivot: ctx.Bool("no-pivot"),
				SystemdCgroup: ctx.Bool("systemd-cgroup"), Run: !ctx.Bool("detach"),
			},
			CriuOpts: co, LsmProfile: ctx.String("lsm-profile"), LsmMountContext: ctx.String("lsm-mount-context"),
		}
		store := stateStore(ctx)
		if ctx.Bool("detach") {
			_, err := libcontainer.Restore(store, o)
			return err
		}
		// As run: a restored terminal without a console socket is served
		// on the caller's stdio.
		w, err := newWaiter(ctx, o.ConsoleSocket == "")
		if err != nil {
			return err
		}
		defer w.close()
		o.Console = w.console()
		st, err := libcontainer.Restore(store, o)
		if err != nil {
			return err
		}
		if err := w.attach(store, id); err != nil {
			return err
		}
		return w.wait(store, id, st, false)
	},
}
