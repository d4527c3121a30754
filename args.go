package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// interspersed are the commands whose flags may also come after the
// container id, as runc 1.5 accepts them ("hutch update ID --memory 1g").
// exec and ps are not among them: what follows their id is a command line.
var interspersed = map[string]bool{
	"create": true, "run": true, "start": true, "delete": true, "state": true, "kill": true,
	"pause": true, "resume": true, "update": true, "events": true,
}

// reorderArgs moves the flags of an interspersed command that come after
// its first argument in front of it (urfave/cli stops at the first
// argument). "--" ends the flags, and a negative number is an argument.
func reorderArgs(app *cli.App, args []string) []string {
	takesValue := func(flags []cli.Flag) map[string]bool {
		m := map[string]bool{}
		for _, f := range flags {
			_, isBool := f.(*cli.BoolFlag)
			for _, n := range f.Names() {
				m[n] = !isBool
			}
		}
		return m
	}
	global := takesValue(app.Flags)
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		name := strings.TrimLeft(args[i], "-")
		if global[name] && !strings.Contains(args[i], "=") {
			i++
		}
		i++
	}
	if i >= len(args) || !interspersed[args[i]] {
		return args
	}
	var cmd *cli.Command
	for _, c := range app.Commands {
		if c.HasName(args[i]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args
	}
	local := takesValue(cmd.Flags)
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		if a == "--" {
			positional = append(positional, rest[j:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' || isNumber(a[1:]) {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		if local[strings.TrimLeft(a, "-")] && !strings.Contains(a, "=") && j+1 < len(rest) {
			j++
			flags = append(flags, rest[j])
		}
	}
	out := append(append([]string{}, args[:i+1]...), flags...)
	return append(out, positional...)
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
