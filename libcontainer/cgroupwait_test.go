package libcontainer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	_ "github.com/hutch-runtime/hutch/libcontainer/nsenter" // the init's constructor, in this test binary
	"github.com/hutch-runtime/hutch/libcontainer/plan"
	"github.com/hutch-runtime/hutch/libcontainer/syncmsg"
)

// On cgroup v1 and hybrid hosts create moves the init into its cgroup
// while the init makes its namespaces (plan.Bootstrap.WaitCgroup). The
// init must make its cgroup namespace, and fork the container's init,
// only after CgroupDone: both then start in the container's cgroup.
func TestInitWaitsForCgroupDone(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: a cgroup of its own and a cgroup namespace")
	}
	dir := testCgroup(t)

	cmd, sock, _, err := spawnInit(&initFiles{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	var b plan.Bootstrap
	b.Clone(unix.CLONE_NEWCGROUP)
	b.WaitCgroup()
	b.Fork()
	b.Process()
	if err := syncmsg.Send(sock, syncmsg.Bootstrap, b.Bytes()); err != nil {
		t.Fatal(err)
	}

	ours, err := os.Readlink("/proc/self/ns/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/cgroup", cmd.Process.Pid)); ns != ours {
		t.Fatalf("the init went on before CgroupDone (cgroup namespace %q)", ns)
	}
	fds := []unix.PollFd{{Fd: int32(sock.Fd()), Events: unix.POLLIN}}
	if n, _ := unix.Poll(fds, 0); n != 0 {
		typ, _, _ := syncmsg.Recv(sock)
		t.Fatalf("the init sent %q before CgroupDone", typ)
	}

	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0); err != nil {
		t.Fatal(err)
	}
	if err := syncmsg.Send(sock, syncmsg.CgroupDone, nil); err != nil {
		t.Fatal(err)
	}
	typ, payload, err := syncmsg.Recv(sock)
	if err != nil || typ != syncmsg.Pid {
		t.Fatalf("after CgroupDone: %q %q %v", typ, payload, err)
	}
	child, _, err := parsePidMsg(payload)
	if err != nil {
		t.Fatal(err)
	}
	// The forked init (the test's child: CLONE_PARENT) waits for its
	// process plan; closing the socket ends it.
	defer func() {
		unix.Kill(child, unix.SIGKILL)
		unix.Wait4(child, nil, 0, nil)
	}()
	cg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", child))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cg), ":/"+filepath.Base(dir)+"\n") {
		t.Errorf("forked init outside %s:\n%s", dir, cg)
	}
	if ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/cgroup", child)); ns == ours {
		t.Errorf("no cgroup namespace after CgroupDone")
	}
}

// testCgroup makes a cgroup of the test's own, in the pids hierarchy (or
// the cgroup2 root), removed at the end.
func testCgroup(t *testing.T) string {
	root := "/sys/fs/cgroup/pids"
	if _, err := os.Stat(root); err != nil {
		root = "/sys/fs/cgroup"
	}
	dir := filepath.Join(root, fmt.Sprintf("hutch-test-cgroupwait-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("no cgroup of our own: %v", err)
	}
	t.Cleanup(func() {
		for i := 0; i < 50; i++ {
			if err := os.Remove(dir); err == nil || os.IsNotExist(err) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("cgroup %s left behind", dir)
	})
	return dir
}
