// syscallnr is the seccomp tests' way to make an arbitrary syscall inside a
// container (busybox has no syscall(1)): "syscallnr N..." calls each syscall
// number N with all six arguments zero and prints, one line each, the name
// of the errno it failed with (e.g. ENOSYS), or OK when it succeeded. Built
// static (CGO_ENABLED=0) so it runs in any rootfs.
package main

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: syscallnr N...")
		os.Exit(2)
	}
	out := ""
	for _, a := range os.Args[1:] {
		nr, err := strconv.ParseUint(a, 0, 32)
		if err != nil {
			fmt.Fprintln(os.Stderr, "syscallnr:", err)
			os.Exit(2)
		}
		_, _, e := unix.Syscall6(uintptr(nr), 0, 0, 0, 0, 0, 0)
		switch name := unix.ErrnoName(e); {
		case e == 0:
			out += "OK\n"
		case name == "":
			out += "errno " + strconv.Itoa(int(e)) + "\n"
		default:
			out += name + "\n"
		}
	}
	os.Stdout.WriteString(out)
}
