package main

import (
	"fmt"
	"os"

	_ "github.com/hutch-runtime/hutch/libcontainer/nsenter" // C constructor: the container init, before any Go runs
)

// `hutch init` is the container init that create and exec start: the C
// constructor in libcontainer/nsenter carries it out whole and never
// returns to Go. Reaching Go means it was started by hand.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		fmt.Fprintln(os.Stderr, "hutch init: must be started by hutch create or hutch exec (_HUTCH_INITPIPE is not set)")
		os.Exit(1)
	}
}
