// recvtty is the test suite's console socket: it listens on a unix socket,
// receives one pty master from hutch (--console-socket), optionally types
// input into it, and copies everything the container writes to stdout until
// the pty closes.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/hutch-runtime/hutch/libcontainer/console"
)

func main() {
	input := flag.String("input", "", "text to type into the terminal")
	ready := flag.String("ready", "", "file to create once listening")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: recvtty [--input TEXT] [--ready FILE] SOCKET")
		os.Exit(2)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: flag.Arg(0), Net: "unix"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "recvtty:", err)
		os.Exit(1)
	}
	defer l.Close()
	if *ready != "" {
		os.WriteFile(*ready, nil, 0o644)
	}
	master, err := console.RecvMaster(l)
	if err != nil {
		fmt.Fprintln(os.Stderr, "recvtty:", err)
		os.Exit(1)
	}
	if *input != "" {
		master.Write([]byte(*input))
	}
	// Reading the master ends with EIO once every slave fd is closed.
	io.Copy(os.Stdout, master)
}
