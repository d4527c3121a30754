package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
	"github.com/hutch-runtime/hutch/libcontainer/console"
)

var restoreCommand = &cli.Command{
	Name:      "restore",
	Usage:     "restore a container from a CRIU checkpoint",
	ArgsUsage: "<container-id>",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master of a restored terminal"},
		&cli.StringFlag{Name: "image-path", Usage: "directory of the CRIU image files (default ./checkpoint)"},
		&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and log (default: the image path)"},
		&cli.BoolFlag{Name: "tcp-established", Usage: "restore established TCP connections"},
		&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow unix sockets connected outside the container"},
		&cli.BoolFlag{Name: "shell-job", Usage: "allow a process attached to the caller's terminal"},
		&cli.BoolFlag{Name: "file-locks", Usage: "restore file locks"},
		&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft, full, strict or ignore (default soft)"},
		&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the OCI bundle"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "do not wait for the container"},
		&cli.StringFlag{Name: "pid-file", Usage: "write the restored init's pid to this file"},
		&cli.BoolFlag{Name: "no-subreaper", Usage: "do not become a subreaper of the container's orphaned processes"},
		&cli.BoolFlag{Name: "no-pivot", Usage: "refused: CRIU always pivots into the restored root"},
		&cli.StringSliceFlag{Name: "empty-ns", Usage: "a namespace (network) left out of the images, to create empty"},
		&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate the memory images"},
		&cli.BoolFlag{Name: "lazy-pages", Usage: "fetch the memory pages lazily (userfaultfd) from a lazy-pages server"},
		&cli.StringFlag{Name: "lsm-profile", Usage: "LSM profile of the restored processes (TYPE:NAME)"},
		&cli.StringFlag{Name: "lsm-mount-context", Usage: "LSM mount context of the restored mounts"},
	},
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
		detach := ctx.Bool("detach")
		// As run: a restored terminal without a console socket is served
		// on the caller's stdio.
		var fg *console.Foreground
		if !detach && o.ConsoleSocket == "" {
			if fg, err = console.NewForeground(); err != nil {
				return err
			}
			defer fg.Close()
			o.Console = fg.Peer()
		}
		var fw *libcontainer.SignalForwarder
		if !detach {
			if !ctx.Bool("no-subreaper") {
				if err := libcontainer.PrepareRun(); err != nil {
					return err
				}
			}
			fw = libcontainer.ForwardSignals()
		}
		st, err := libcontainer.Restore(store, o)
		if err != nil {
			return err
		}
		if detach {
			return nil
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
		code := fw.Wait(st)
		if fg != nil {
			fg.Close()
		}
		if err := libcontainer.Delete(store, id, true); err != nil {
			return err
		}
		if code != 0 {
			return exitCode(code)
		}
		return nil
	},
}
