// recvtty is the test suite's console socket: it listens on a unix socket,
// receives one pty master from hutch (--console-socket), optionally types
// input into it, and copies everything the container writes to stdout until
// the pty closes. With --pidfd it is a --pidfd-socket instead: it prints
// the pid the received pidfd refers to, then "exited" once that process
// has exited.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hutch-runtime/hutch/libcontainer/console"
)

func main() {
	input := flag.String("input", "", "text to type into the terminal")
	ready := flag.String("ready", "", "file to create once listening")
	pidfd := flag.Bool("pidfd", false, "receive a pidfd, not a pty master")
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
	if *pidfd {
		waitPidfd(master)
		return
	}
	if *input != "" {
		master.Write([]byte(*input))
	}
	// Reading the master ends with EIO once every slave fd is closed.
	io.Copy(os.Stdout, master)
}

// waitPidfd prints the pid of a pidfd (its fdinfo) and waits for the exit.
func waitPidfd(f *os.File) {
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "recvtty:", err)
		os.Exit(1)
	}
	pid := ""
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "Pid:"); ok {
			pid = strings.TrimSpace(v)
		}
	}
	if pid == "" {
		fmt.Fprintln(os.Stderr, "recvtty: the fd received is not a pidfd")
		os.Exit(1)
	}
	fmt.Println("pid", pid)
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != unix.EINTR {
			break
		}
	}
	fmt.Println("exited")
}
