package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer"
)

var listCommand = &cli.Command{
	Name:  "list",
	Usage: "list containers",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "table or json"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only ids"},
	},
	Action: func(ctx *cli.Context) error {
		store := stateStore(ctx)
		// As runc: no default root yet is no containers; a --root that
		// does not exist is the caller's mistake.
		if ctx.IsSet("root") {
			if _, err := os.Stat(store.Root); err != nil {
				return fmt.Errorf("--root: %w", err)
			}
		}
		cs, err := libcontainer.List(store)
		if err != nil {
			return err
		}
		// One write for the whole listing, not one per line.
		out := bufio.NewWriterSize(os.Stdout, 64<<10)
		if ctx.Bool("quiet") {
			for _, c := range cs {
				fmt.Fprintln(out, c.State.ID)
			}
			return out.Flush()
		}
		switch ctx.String("format") {
		case "json":
			states := make([]*libcontainer.OCIState, 0, len(cs))
			for _, c := range cs {
				states = append(states, c.OCI())
			}
			if err := json.NewEncoder(out).Encode(states); err != nil {
				return err
			}
			return out.Flush()
		case "table":
			w := tabwriter.NewWriter(out, 12, 1, 3, ' ', 0)
			fmt.Fprint(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER\n")
			for _, c := range cs {
				s := c.OCI()
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Pid, s.Status, s.Bundle,
					s.Created.Format(time.RFC3339Nano), s.Owner)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			return out.Flush()
		default:
			return fmt.Errorf("--format: unknown format %q (want table or json)", ctx.String("format"))
		}
	},
}
