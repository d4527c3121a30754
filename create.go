package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
)

var createFlags = []cli.Flag{
	&cli.StringFlag{Name: "bundle", Aliases: []string{"b"}, Value: ".", Usage: "path to the OCI bundle"},
	&cli.StringFlag{Name: "pid-file", Usage: "write the container init's pid to this file"},
	&cli.StringFlag{Name: "pidfd-socket", Usage: "unix socket that receives a pidfd of the container init"},
	&cli.StringFlag{Name: "console-socket", Usage: "unix socket that receives the pty master"},
	&cli.BoolFlag{Name: "no-pivot", Usage: "do not use pivot_root (for ramfs roots)"},
	&cli.BoolFlag{Name: "no-new-keyring", Usage: "keep the caller's session keyring instead of a new one for the container"},
	&cli.IntFlag{Name: "preserve-fds", Usage: "pass this many extra fds (from 3 on) to the container"},
}

var createCommand = &cli.Command{
	Name:      "create",
	Usage:     "create a container; its process starts with `hutch start`",
	ArgsUsage: "<container-id>",
	Flags:     createFlags,
	Action: func(ctx *cli.Context) error {
		id, err := needID(ctx)
		if err != nil {
			return err
		}
		opts, err := createOpts(ctx, id)
		if err != nil {
			return err
		}
		_, err = libcontainer.Create(stateStore(ctx), opts)
		return err
	},
}

func createOpts(ctx *cli.Context, id string) (libcontainer.CreateOpts, error) {
	// Socket activation: LISTEN_FDS counts only when LISTEN_PID is us.
	listen := 0
	if os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid()) {
		listen, _ = strconv.Atoi(os.Getenv("LISTEN_FDS"))
		if listen < 0 || listen > inheritedFds {
			return libcontainer.CreateOpts{}, fmt.Errorf("LISTEN_FDS=%d: hutch's caller passed %d fds from 3 on", listen, inheritedFds)
		}
	}
	preserve, err := passedFds(ctx, listen)
	if err != nil {
		return libcontainer.CreateOpts{}, err
	}
	return libcontainer.CreateOpts{
		ListenFds: listen, NotifySocket: os.Getenv("NOTIFY_SOCKET"),
		ID: id, Bundle: ctx.String("bundle"), PidFile: ctx.String("pid-file"), PidfdSocket: ctx.String("pidfd-socket"),
		ConsoleSocket: ctx.String("console-socket"), NoPivot: ctx.Bool("no-pivot"), NoNewKeyring: ctx.Bool("no-new-keyring"),
		PreserveFds: preserve, SystemdCgroup: ctx.Bool("systemd-cgroup"),
	}, nil
}
