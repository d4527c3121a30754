package main

import (
	"encoding/json"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hutch-runtime/hutch/libcontainer/features"
)

var featuresCommand = &cli.Command{
	Name:  "features",
	Usage: "print the runtime-spec features this hutch supports, as JSON",
	Action: func(ctx *cli.Context) error {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "    ")
		return enc.Encode(features.Get(version))
	},
}
