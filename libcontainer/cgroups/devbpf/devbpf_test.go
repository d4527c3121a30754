package devbpf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The child half of TestApply: open each "path:flag" of the environment in
// the cgroup it was started in and print "ok" or the errno.
func TestMain(m *testing.M) {
	if spec := os.Getenv("DEVBPF_OPENS"); spec != "" {
		for _, o := range strings.Fields(spec) {
			path, mode, _ := strings.Cut(o, ":")
			flag := map[string]int{"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR}[mode]
			f, err := os.OpenFile(path, flag, 0)
			if err != nil {
				fmt.Printf("%s:%s=%v\n", path, mode, err.(*os.PathError).Err)
				continue
			}
			f.Close()
			fmt.Printf("%s:%s=ok\n", path, mode)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func cgroup2Root(t *testing.T) string {
	for _, p := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st unix.Statfs_t
		if unix.Statfs(p, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p
		}
	}
	t.Skip("no cgroup2 hierarchy on this host")
	return ""
}

// opens runs the child inside dir (CLONE_INTO_CGROUP) and returns its
// verdict per "path:mode".
func opens(t *testing.T, dir string, which ...string) map[string]string {
	t.Helper()
	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DEVBPF_OPENS="+strings.Join(which, " "))
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(d.Fd())}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		got[k] = v
	}
	return got
}

func TestApply(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a cgroup and load BPF")
	}
	dir := filepath.Join(cgroup2Root(t), fmt.Sprintf("hutch-devbpf-test-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dir)

	// /dev/null fully, /dev/zero read-only, nothing else.
	err := Apply(dir, []Rule{
		{Allow: true, Type: 'c', Major: 1, Minor: 3, Access: accAll},
		{Allow: true, Type: 'c', Major: 1, Minor: 5, Access: AccRead},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"/dev/null:rw": "ok",
		"/dev/zero:r":  "ok",
		"/dev/zero:w":  "operation not permitted",
		"/dev/full:r":  "operation not permitted",
	}
	checkOpens(t, dir, want)

	// An update replaces the program: everything but writes to /dev/null,
	// and a deny of "w" also refuses read+write.
	err = Apply(dir, []Rule{
		{Allow: true, Type: 'a', Major: -1, Minor: -1, Access: accAll},
		{Allow: false, Type: 'c', Major: 1, Minor: 3, Access: AccWrite},
	})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]string{
		"/dev/null:r":  "ok",
		"/dev/null:rw": "operation not permitted",
		"/dev/zero:w":  "ok",
		"/dev/full:r":  "ok",
	}
	checkOpens(t, dir, want)

	d, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ids, err := attached(int(d.Fd()))
	if err != nil || len(ids) != 1 {
		t.Fatalf("after an update exactly one program must be attached: %v %v", ids, err)
	}
}

func checkOpens(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	got := opens(t, dir, keys...)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("open %s: got %q, want %q", k, got[k], v)
		}
	}
}

func TestGenerateRejects(t *testing.T) {
	for _, r := range []Rule{
		{Type: 'x', Major: -1, Minor: -1, Access: accAll},
		{Type: 'c', Major: -1, Minor: -1, Access: 0},
		{Type: 'c', Major: -2, Minor: -1, Access: accAll},
	} {
		if _, err := Generate([]Rule{r}); err == nil {
			t.Errorf("%+v: accepted", r)
		}
	}
}
