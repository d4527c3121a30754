package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
	"github.com/hutch-runtime/hutch/libcontainer/timerslack"
)

var psCommand = &cli.Command{
	Name:      "ps",
	Usage:     "list the processes of a container",
	ArgsUsage: "<container-id> [ps options]",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json (a JSON array of host pids)"},
	},
	Action: func(ctx *cli.Context) error {
		if ctx.NArg() < 1 {
			return fmt.Errorf("ps: requires the container id")
		}
		format := ctx.String("format")
		if format != "table" && format != "json" {
			return fmt.Errorf("--format: unknown format %q (want table or json)", format)
		}
		pids, err := libcontainer.Processes(stateStore(ctx), ctx.Args().First())
		if err != nil {
			return err
		}
		if format == "json" {
			if pids == nil {
				pids = []int{}
			}
			return json.NewEncoder(os.Stdout).Encode(pids)
		}
		psArgs := ctx.Args().Slice()[1:]
		if len(psArgs) == 0 {
			psArgs = []string{"-ef"}
		}
		out, err := timerslack.CombinedOutput(exec.Command("ps", psArgs...))
		if err != nil {
			return fmt.Errorf("ps %v: %w: %s", psArgs, err, out)
		}
		table, err := libcontainer.FilterPsTable(string(out), pids)
		if err != nil {
			return err
		}
		_, err = os.Stdout.WriteString(table)
		return err
	},
}
