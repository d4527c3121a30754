package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReorderArgs(t *testing.T) {
	app := &cli.App{
		Flags: []cli.Flag{&cli.StringFlag{Name: "root"}, &cli.BoolFlag{Name: "debug"}},
		Commands: []*cli.Command{
			{Name: "update", Flags: []cli.Flag{&cli.StringFlag{Name: "cpuset-cpus"}, &cli.StringFlag{Name: "memory", Aliases: []string{"m"}}}},
			{Name: "kill", Flags: []cli.Flag{&cli.BoolFlag{Name: "all", Aliases: []string{"a"}}}},
			{Name: "exec", Flags: []cli.Flag{&cli.BoolFlag{Name: "tty", Aliases: []string{"t"}}}},
		},
	}
	for _, tt := range []struct{ in, want string }{
		{"hutch update ID --cpuset-cpus 1", "hutch update --cpuset-cpus 1 ID"},
		{"hutch --root /r --debug update ID -m 1g --cpuset-cpus=0", "hutch --root /r --debug update -m 1g --cpuset-cpus=0 ID"},
		{"hutch kill ID KILL --all", "hutch kill --all ID KILL"},
		{"hutch kill ID 9", "hutch kill ID 9"},
		{"hutch update -- ID --x", "hutch update -- ID --x"},
		{"hutch exec ID sh -c true", "hutch exec ID sh -c true"},
		{"hutch --root=/r update ID --memory 1", "hutch --root=/r update --memory 1 ID"},
	} {
		got := reorderArgs(app, strings.Fields(tt.in))
		if !reflect.DeepEqual(got, strings.Fields(tt.want)) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}
