package console

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

const childEnv = "HUTCH_CONSOLE_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(childMain(mode))
	}
	os.Exit(m.Run())
}

// childMain runs in a re-executed test binary: it becomes a session leader,
// takes the slave (fd 3, or fd 0 in mode "fd0") as its terminal and reports
// what it sees on fd 0 through the terminal itself.
func childMain(mode string) int {
	fd := 3
	if mode == "fd0" {
		fd = 0
	}
	if _, err := unix.Setsid(); err != nil {
		fmt.Fprintln(os.Stderr, "setsid:", err)
		return 2
	}
	if err := SetupSlave(os.NewFile(uintptr(fd), "slave"), &specs.Box{Height: 40, Width: 100}); err != nil {
		fmt.Fprintln(os.Stderr, "SetupSlave:", err)
		return 3
	}
	ws, err := unix.IoctlGetWinsize(0, unix.TIOCGWINSZ)
	if err != nil {
		fmt.Printf("winsize error %v\n", err)
		return 4
	}
	pgrp, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
	if err != nil {
		fmt.Printf("pgrp error %v\n", err)
		return 5
	}
	sid, err := unix.IoctlGetInt(0, unix.TIOCGSID)
	if err != nil {
		fmt.Printf("sid error %v\n", err)
		return 6
	}
	// 0-2 must survive execve, including when the slave already was fd 0.
	keep := true
	for i := 0; i <= 2; i++ {
		fl, err := unix.FcntlInt(uintptr(i), unix.F_GETFD, 0)
		keep = keep && err == nil && fl&unix.FD_CLOEXEC == 0
	}
	fmt.Printf("size %d %d\n", ws.Row, ws.Col)
	fmt.Printf("ctty pgrp=%v sid=%v\n", pgrp == unix.Getpgrp(), sid == unix.Getpid())
	fmt.Fprintf(os.Stderr, "stderr ok keep012=%v\n", keep)
	return 0
}

// pollable returns a non-blocking duplicate of f so reads honour deadlines.
func pollable(t *testing.T, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	p := os.NewFile(uintptr(fd), f.Name())
	t.Cleanup(func() { p.Close() })
	return p
}

// readUntil reads r until want appears, EOF/EIO, or the timeout.
func readUntil(t *testing.T, f *os.File, want string, timeout time.Duration) string {
	t.Helper()
	p := pollable(t, f)
	p.SetReadDeadline(time.Now().Add(timeout))
	var out bytes.Buffer
	buf := make([]byte, 4096)
	for want == "" || !strings.Contains(out.String(), want) {
		n, err := p.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return out.String()
}

func checkPair(t *testing.T, master, slave *os.File) {
	t.Helper()
	if _, err := slave.Write([]byte("ping\n")); err != nil {
		t.Fatalf("write slave: %v", err)
	}
	if got := readUntil(t, master, "ping\r\n", 5*time.Second); got != "ping\r\n" {
		t.Fatalf("master read %q, want %q", got, "ping\r\n")
	}
}

func TestOpenPty(t *testing.T) {
	master, slave, err := OpenPty()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	if master.Name() != "/dev/ptmx" || !strings.HasPrefix(slave.Name(), "/dev/pts/") {
		t.Fatalf("names %q %q", master.Name(), slave.Name())
	}
	// The peer fd must be the same device as its /dev/pts/N path.
	var a, b unix.Stat_t
	if err := unix.Fstat(int(slave.Fd()), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(slave.Name(), &b); err != nil {
		t.Fatal(err)
	}
	if a.Rdev != b.Rdev {
		t.Fatalf("slave rdev %x, %s rdev %x", a.Rdev, slave.Name(), b.Rdev)
	}
	for _, f := range []*os.File{master, slave} {
		if fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
			t.Fatalf("%s: FD_CLOEXEC not set (%d, %v)", f.Name(), fl, err)
		}
	}
	checkPair(t, master, slave)
}

func TestOpenSlavePathFallback(t *testing.T) {
	master, slave, err := OpenPty()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	defer slave.Close()
	n, err := unix.IoctlGetUint32(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := openSlavePath(slave.Name(), n)
	if err != nil {
		t.Fatal(err)
	}
	s2 := os.NewFile(uintptr(fd), slave.Name())
	defer s2.Close()
	checkPair(t, master, s2)
	if fd, err := openSlavePath(slave.Name(), n+1); err == nil {
		unix.Close(fd)
		t.Fatal("openSlavePath accepted the wrong pty number")
	}
}

func TestSendRecvSocketpair(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sender := os.NewFile(uintptr(fds[0]), "sender")
	receiver := os.NewFile(uintptr(fds[1]), "receiver")
	defer sender.Close()
	defer receiver.Close()

	master, slave, err := OpenPty()
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	if err := SendMaster(sender, master); err != nil {
		t.Fatal(err)
	}
	master.Close() // the received copy must work on its own
	rc, err := receiver.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	got, err := recvFd(rc)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.Name() != "/dev/ptmx" {
		t.Fatalf("received name %q, want /dev/ptmx", got.Name())
	}
	checkPair(t, got, slave)
}

func listen(t *testing.T, path string) *net.UnixListener {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func roundTrip(t *testing.T, sockPath string, l *net.UnixListener) {
	t.Helper()
	sock, err := Connect(sockPath)
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	master, slave, err := OpenPty()
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	if err := SendMaster(sock, master); err != nil {
		t.Fatal(err)
	}
	master.Close()
	got, err := RecvMaster(l)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	checkPair(t, got, slave)
}

func TestConnectSendRecvListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.sock")
	roundTrip(t, path, listen(t, path))
}

func TestConnectLongPath(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(long, 0o700); err != nil {
		t.Fatal(err)
	}
	// Listen through a short relative path; connect through the long one.
	wd, _ := os.Getwd()
	if err := os.Chdir(long); err != nil {
		t.Fatal(err)
	}
	l := listen(t, "c.sock")
	os.Chdir(wd)
	path := filepath.Join(long, "c.sock")
	if len(path) <= 108 {
		t.Fatalf("path too short for the test: %d", len(path))
	}
	roundTrip(t, path, l)
}

func TestConnectErrors(t *testing.T) {
	for _, p := range []string{"", filepath.Join(t.TempDir(), "missing.sock")} {
		f, err := Connect(p)
		if err == nil {
			f.Close()
			t.Fatalf("Connect(%q) succeeded", p)
		}
		if !strings.Contains(err.Error(), "--console-socket") {
			t.Fatalf("Connect(%q) error %q does not name --console-socket", p, err)
		}
	}
}

func TestRecvMasterPeerClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "console.sock")
	l := listen(t, path)
	sock, err := Connect(path)
	if err != nil {
		t.Fatal(err)
	}
	sock.Close()
	if f, err := RecvMaster(l); err == nil {
		f.Close()
		t.Fatal("RecvMaster succeeded without a fd")
	}
}

func TestRecvRejectsPlainData(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[0])
	r := os.NewFile(uintptr(fds[1]), "r")
	defer r.Close()
	unix.Write(fds[0], []byte("/dev/ptmx"))
	rc, _ := r.SyscallConn()
	if f, err := recvFd(rc); err == nil {
		f.Close()
		t.Fatal("recvFd accepted a message without SCM_RIGHTS")
	}
}

func TestSetupSlaveSizeTooBig(t *testing.T) {
	_, slave, err := OpenPty()
	if err != nil {
		t.Fatal(err)
	}
	defer slave.Close()
	err = SetupSlave(slave, &specs.Box{Height: 70000, Width: 1})
	if err == nil || !strings.Contains(err.Error(), "process.consoleSize") {
		t.Fatalf("got %v, want a process.consoleSize error", err)
	}
}

func runChild(t *testing.T, mode string) {
	master, slave, err := OpenPty()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if mode == "fd0" {
		cmd.Stdin = slave
	} else {
		cmd.ExtraFiles = []*os.File{slave}
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close() // so the master reads EIO once the child is gone
	out := readUntil(t, master, "", 10*time.Second)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v; stderr %q; tty output %q", err, stderr.String(), out)
	}
	for _, want := range []string{
		"size 40 100\r\n",
		"ctty pgrp=true sid=true\r\n",
		"stderr ok keep012=true\r\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("tty output %q lacks %q (stderr %q)", out, want, stderr.String())
		}
	}
}

func TestSetupSlaveChild(t *testing.T)    { runChild(t, "fd3") }
func TestSetupSlaveChildFd0(t *testing.T) { runChild(t, "fd0") }
