package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
)

var checkpointCommand = &cli.Command{
	Name:      "checkpoint",
	Usage:     "checkpoint a running container with CRIU",
	ArgsUsage: "<container-id>",
	Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "parent-path", Usage: "directory of a previous pre-dump's images, relative to the image path"},
		&cli.BoolFlag{Name: "leave-running", Usage: "leave the container running after checkpointing"},
		&cli.BoolFlag{Name: "tcp-skip-in-flight", Usage: "skip TCP connections still being set up"},
		&cli.BoolFlag{Name: "link-remap", Usage: "link unlinked files back where possible"},
		&cli.IntFlag{Name: "status-fd", Value: -1, Usage: "fd CRIU writes \\0 to once the lazy-pages server is ready"},
		&cli.StringFlag{Name: "page-server", Usage: "ADDRESS:PORT of a CRIU page server to send the pages to"},
		&cli.BoolFlag{Name: "pre-dump", Usage: "dump the memory only, leaving the container running"},
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
		parent := ctx.String("parent-path")
		if parent != "" {
			if filepath.IsAbs(parent) {
				return errors.New("--parent-path must be relative (to --image-path)")
			}
			if fi, err := os.Stat(filepath.Join(co.ImagePath, parent)); err != nil || !fi.IsDir() {
				return errors.New("--parent-path: " + filepath.Join(co.ImagePath, parent) + " is not a directory of images")
			}
		}
		return libcontainer.Checkpoint(stateStore(ctx), libcontainer.CheckpointOpts{
			CriuOpts: co, ID: id, ParentPath: parent,
			LeaveRunning: ctx.Bool("leave-running"), PreDump: ctx.Bool("pre-dump"),
			PageServer: ctx.String("page-server"), TCPSkipInFlight: ctx.Bool("tcp-skip-in-flight"),
			LinkRemap: ctx.Bool("link-remap"),
		})
	},
}

// criuFlags are the flags checkpoint and restore share (runc's).
var criuFlags = []cli.Flag{
	&cli.StringFlag{Name: "image-path", Usage: "directory of the CRIU image files (default ./checkpoint)"},
	&cli.StringFlag{Name: "work-path", Usage: "directory for CRIU's work files and log (default: the image path)"},
	&cli.BoolFlag{Name: "tcp-established", Usage: "checkpoint and restore established TCP connections"},
	&cli.BoolFlag{Name: "ext-unix-sk", Usage: "allow unix sockets connected outside the container"},
	&cli.BoolFlag{Name: "shell-job", Usage: "allow a process attached to the caller's terminal"},
	&cli.BoolFlag{Name: "file-locks", Usage: "checkpoint and restore file locks"},
	&cli.StringFlag{Name: "manage-cgroups-mode", Usage: "cgroups mode: soft, full, strict or ignore (default soft)"},
	&cli.StringSliceFlag{Name: "empty-ns", Usage: "a namespace (network) left out of the images, created empty on restore"},
	&cli.BoolFlag{Name: "auto-dedup", Usage: "deduplicate the memory images"},
	&cli.BoolFlag{Name: "lazy-pages", Usage: "memory pages served (checkpoint) or fetched (restore) lazily, with userfaultfd"},
}

// criuOpts reads the flags checkpoint and restore share.
func criuOpts(ctx *cli.Context) (libcontainer.CriuOpts, error) {
	image := ctx.String("image-path")
	if image == "" {
		image = "checkpoint"
	}
	image, err := filepath.Abs(image)
	if err != nil {
		return libcontainer.CriuOpts{}, err
	}
	work := ctx.String("work-path")
	if work != "" {
		if work, err = filepath.Abs(work); err != nil {
			return libcontainer.CriuOpts{}, err
		}
	}
	return libcontainer.CriuOpts{
		Criu: ctx.String("criu"), ImagePath: image, WorkPath: work,
		TCPEstablished: ctx.Bool("tcp-established"), ExtUnixSk: ctx.Bool("ext-unix-sk"),
		ShellJob: ctx.Bool("shell-job"), FileLocks: ctx.Bool("file-locks"),
		ManageCgroupsMode: ctx.String("manage-cgroups-mode"), EmptyNs: ctx.StringSlice("empty-ns"),
		AutoDedup: ctx.Bool("auto-dedup"), LazyPages: ctx.Bool("lazy-pages"), StatusFd: statusFd(ctx),
	}, nil
}

func statusFd(ctx *cli.Context) int {
	if !ctx.IsSet("status-fd") {
		return -1
	}
	return ctx.Int("status-fd")
}
