package main

import (
	"os"
	"runtime"

	"github.com/hutch-runtime/hutch/libcontainer/initproc"
	_ "github.com/hutch-runtime/hutch/libcontainer/nsenter" // C constructor: namespaces before the Go runtime starts
)

// `hutch init` is the container init, started by create. It is dispatched
// here, before the CLI is set up, and locks the main goroutine to the main
// thread: capabilities and no_new_privs must be set on the thread that
// calls execve.
func init() {
	if len(os.Args) > 1 && os.Args[1] == "init" {
		runtime.GOMAXPROCS(1)
		runtime.LockOSThread()
		initproc.Main()
	}
}
