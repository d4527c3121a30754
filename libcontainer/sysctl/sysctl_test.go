package sysctl

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name                   string
		m                      map[string]string
		newIPC, newNet, newUTS bool
		want                   string
	}{
		{"empty", nil, false, false, false, ""},
		{"all namespaced", map[string]string{
			"kernel.msgmax": "1", "kernel.msgmnb": "1", "kernel.msgmni": "1", "kernel.sem": "1 2 3 4",
			"kernel.shmall": "1", "kernel.shmmax": "1", "kernel.shmmni": "1", "kernel.shm_rmid_forced": "1",
			"fs.mqueue.msg_max": "10", "net.ipv4.ip_forward": "1", "net.core.somaxconn": "1",
			"kernel.hostname": "h", "kernel.domainname": "d",
		}, true, true, true, ""},
		{"host kernel", map[string]string{"kernel.foo": "1"}, true, true, true,
			`linux.sysctl["kernel.foo"]: not a namespaced sysctl, refusing to set it on the host`},
		{"host vm", map[string]string{"vm.overcommit_memory": "1"}, true, true, true,
			`linux.sysctl["vm.overcommit_memory"]: not a namespaced sysctl, refusing to set it on the host`},
		{"host fs", map[string]string{"fs.file-max": "1"}, true, true, true,
			`linux.sysctl["fs.file-max"]: not a namespaced sysctl, refusing to set it on the host`},
		{"prefix lookalike", map[string]string{"kernel.shmmax_x": "1"}, true, true, true,
			`linux.sysctl["kernel.shmmax_x"]: not a namespaced sysctl`},
		{"netns prefix lookalike", map[string]string{"network.x": "1"}, true, true, true,
			`linux.sysctl["network.x"]: not a namespaced sysctl`},
		{"ipc without ipc ns", map[string]string{"kernel.shmmax": "1"}, false, true, true,
			`linux.sysctl["kernel.shmmax"]: belongs to the ipc namespace but the container does not have its own`},
		{"mqueue without ipc ns", map[string]string{"fs.mqueue.queues_max": "1"}, false, true, true,
			`linux.sysctl["fs.mqueue.queues_max"]: belongs to the ipc namespace`},
		{"net without net ns", map[string]string{"net.ipv4.ip_forward": "1"}, true, false, true,
			`linux.sysctl["net.ipv4.ip_forward"]: belongs to the network namespace`},
		{"uts without uts ns", map[string]string{"kernel.hostname": "x"}, true, true, false,
			`linux.sysctl["kernel.hostname"]: belongs to the uts namespace`},
		{"dotdot", map[string]string{"net..ipv4": "1"}, true, true, true, `linux.sysctl["net..ipv4"]: key must not contain ".."`},
		{"slash", map[string]string{"net/ipv4/ip_forward": "1"}, true, true, true, `linux.sysctl["net/ipv4/ip_forward"]: key must use '.'`},
		{"escape", map[string]string{"net.../../../etc/passwd": "1"}, true, true, true, `linux.sysctl["net.../../../etc/passwd"]: key must`},
		{"trailing dot", map[string]string{"net.": "1"}, true, true, true, `linux.sysctl["net."]: key must not start or end`},
		{"empty key", map[string]string{"": "1"}, true, true, true, `linux.sysctl[""]: key must not be empty`},
		{"first in order wins", map[string]string{"net.b": "1", "kernel.a": "1"}, true, true, true, `linux.sysctl["kernel.a"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.m, tc.newIPC, tc.newNet, tc.newUTS)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestApplyRefusesNonProc(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/kernel", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/kernel/hostname", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	old := procSys
	procSys = dir
	defer func() { procSys = old }()
	err := Apply(map[string]string{"kernel.hostname": "x"})
	if err == nil || !strings.Contains(err.Error(), "not on procfs") {
		t.Fatalf("got %v, want a not-on-procfs error", err)
	}
	if b, _ := os.ReadFile(dir + "/kernel/hostname"); len(b) != 0 {
		t.Fatalf("wrote %q into a non-proc file", b)
	}
}

const childEnv = "HUTCH_SYSCTL_TEST_CHILD"

func TestMain(m *testing.M) {
	if raw := os.Getenv(childEnv); raw != "" {
		var req map[string]string
		if err := json.Unmarshal([]byte(raw), &req); err != nil {
			fmt.Println("ERR:", err)
			os.Exit(2)
		}
		if err := Apply(req); err != nil {
			fmt.Println("ERR:", err)
			os.Exit(3)
		}
		for _, k := range sortedKeys(req) {
			b, err := os.ReadFile("/proc/sys/" + strings.ReplaceAll(k, ".", "/"))
			if err != nil {
				fmt.Println("ERR:", err)
				os.Exit(2)
			}
			fmt.Printf("%s=%s\n", k, strings.TrimSpace(string(b)))
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// inNewNamespaces runs Apply(m) in a re-executed test binary with its own
// ipc, net and uts namespaces, so nothing touches the host.
func inNewNamespaces(t *testing.T, m map[string]string) (string, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for new namespaces")
	}
	raw, _ := json.Marshal(m)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(raw))
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWIPC | syscall.CLONE_NEWNET | syscall.CLONE_NEWUTS}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestApply(t *testing.T) {
	host, err := os.ReadFile("/proc/sys/kernel/shmmni")
	if err != nil {
		t.Fatal(err)
	}
	hostName, _ := os.Hostname()
	m := map[string]string{
		"kernel.hostname":     "hutch-sysctl-test",
		"kernel.shmmni":       "1234",
		"net.ipv4.ip_forward": "1",
		"fs.mqueue.msg_max":   "42",
	}
	if err := Validate(m, true, true, true); err != nil {
		t.Fatal(err)
	}
	out, err := inNewNamespaces(t, m)
	if err != nil {
		t.Fatalf("child: %v: %s", err, out)
	}
	want := "fs.mqueue.msg_max=42\nkernel.hostname=hutch-sysctl-test\nkernel.shmmni=1234\nnet.ipv4.ip_forward=1"
	if out != want {
		t.Fatalf("got\n%s\nwant\n%s", out, want)
	}
	// The host kept its own values.
	if h, _ := os.ReadFile("/proc/sys/kernel/shmmni"); string(h) != string(host) {
		t.Fatalf("host kernel.shmmni changed: %q -> %q", host, h)
	}
	if h, _ := os.Hostname(); h != hostName {
		t.Fatalf("host hostname changed: %q -> %q", hostName, h)
	}
}

func TestApplyErrors(t *testing.T) {
	for _, tc := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"net.ipv4.no_such_sysctl": "1"},
			`ERR: linux.sysctl["net.ipv4.no_such_sysctl"]: writing /proc/sys/net/ipv4/no_such_sysctl: no such file or directory`},
		{map[string]string{"net.ipv4.ip_forward": "not-a-number"},
			`ERR: linux.sysctl["net.ipv4.ip_forward"]: writing /proc/sys/net/ipv4/ip_forward: invalid argument`},
		{map[string]string{"net...kernel.hostname": "x"},
			`ERR: linux.sysctl["net...kernel.hostname"]: key must not contain ".."`},
	} {
		out, err := inNewNamespaces(t, tc.m)
		if err == nil {
			t.Fatalf("%v: child succeeded: %s", tc.m, out)
		}
		if out != tc.want {
			t.Fatalf("got  %q\nwant %q", out, tc.want)
		}
	}
}
