// sdnotify is the test suite's stand-in for systemd on both ends of
// NOTIFY_SOCKET: "sdnotify listen SOCKET READYFILE" binds a datagram socket,
// creates READYFILE, and prints the first message it receives;
// "sdnotify send MESSAGE" (static, run inside a container) sends MESSAGE to
// $NOTIFY_SOCKET.
package main

import (
	"fmt"
	"net"
	"os"
)

func main() {
	if len(os.Args) == 4 && os.Args[1] == "listen" {
		conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: os.Args[2], Net: "unixgram"})
		if err != nil {
			fail(err)
		}
		os.WriteFile(os.Args[3], nil, 0o644)
		buf := make([]byte, 4096)
		n, err := conn.Read(buf)
		if err != nil {
			fail(err)
		}
		os.Stdout.Write(buf[:n])
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "send" {
		conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: os.Getenv("NOTIFY_SOCKET"), Net: "unixgram"})
		if err != nil {
			fail(err)
		}
		if _, err := conn.Write([]byte(os.Args[2])); err != nil {
			fail(err)
		}
		return
	}
	fmt.Fprintln(os.Stderr, "usage: sdnotify listen SOCKET READYFILE | sdnotify send MESSAGE")
	os.Exit(2)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sdnotify:", err)
	os.Exit(1)
}
