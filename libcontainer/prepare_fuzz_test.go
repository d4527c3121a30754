package libcontainer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/plan"
	"github.com/hutch-runtime/hutch/libcontainer/rootfs"
	"github.com/hutch-runtime/hutch/libcontainer/seccomp"
	"github.com/hutch-runtime/hutch/libcontainer/spec"
)

// FuzzPrepare feeds arbitrary config.json documents to what create does
// before it makes anything: decoding, normalization, validation, the
// namespace plan, the seccomp compiler, the mount and /dev plans. A
// config may be refused; it must never panic. The seeds below and the
// corpus in testdata/fuzz/FuzzPrepare (what a 10-minute run found worth
// keeping) run with every `go test`; a long run: `go test ./libcontainer
// -run '^$' -fuzz FuzzPrepare -fuzztime 10m`, then copy the new entries of
// $(go env GOCACHE)/fuzz/.../FuzzPrepare into testdata.
func FuzzPrepare(f *testing.F) {
	// The cgroup mounts are planned from this process's own view.
	cgroupView, err := rootfs.ReadCgroupView(os.Getpid())
	if err != nil {
		f.Fatal(err)
	}
	ex := spec.Example()
	ex.Process.Terminal = false
	full, _ := json.Marshal(ex)
	f.Add(full)
	noLinux := *ex
	noLinux.Linux = nil
	noLinux.Hostname = ""
	b, _ := json.Marshal(&noLinux)
	f.Add(b)
	for _, s := range []string{
		`{}`, `{"ociVersion":"1.0.2"}`, `{"ociVersion":"1.0.2","process":null,"root":null,"linux":null}`,
		`{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{}}`,
		`{"ociVersion":"1.0.2","process":{"args":[],"cwd":"/","capabilities":{}},"root":{"path":"rootfs"},"linux":{"namespaces":[],"resources":{},"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}}}`,
		`{"ociVersion":"1.0.2","process":{"args":["sh"],"cwd":"/","rlimits":[],"user":{}},"root":{"path":"rootfs"},"mounts":[{}],"hooks":{"prestart":[{}]},"linux":{"devices":[{}],"resources":{"devices":[{}],"memory":{},"cpu":{}},"seccomp":{"syscalls":[{"names":[]}]}}}`,
		`{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"memoryPolicy":{"mode":"MPOL_INTERLEAVE","nodes":" 0-3,,7,1023","flags":["MPOL_F_STATIC_NODES"]}}}`,
		`{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"memoryPolicy":{"mode":"MPOL_BIND","nodes":"0-9876543210,-,3-1,x"}}}`,
		`{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"memoryPolicy":{}}}`,
		`{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"intelRdt":{"closID":"x","l3CacheSchema":"L3:0=f","memBwSchema":"MB:0=50","schemata":["L2:0=f"],"enableMonitoring":true}}}`,
		`{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"intelRdt":{"closID":"../x","l3CacheSchema":"\n","memBwSchema":"L3:","schemata":[""]}}}`,
	} {
		f.Add([]byte(s))
	}
	bundle := f.TempDir()
	os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755)
	f.Fuzz(func(t *testing.T, data []byte) {
		var s specs.Spec
		if json.Unmarshal(data, &s) != nil {
			return
		}
		// Paths opened on the host are kept to harmless ones: the fuzzer
		// must not open device files as root.
		if s.Linux != nil {
			for i, ns := range s.Linux.Namespaces {
				if ns.Path != "" {
					s.Linux.Namespaces[i].Path = "/proc/self/ns/" + nsKinds[ns.Type].file
				}
			}
			s.Linux.NetDevices = nil
		}
		s.Hooks = nil
		o := &CreateOpts{ID: "fuzz", ConsoleSocket: "/nonexistent"}
		p, err := prepare(&s, bundle, o)
		if err != nil {
			return
		}
		defer closeJoined(p.joined)
		fds := map[specs.LinuxNamespaceType]int{}
		for i, n := range p.joined {
			fds[n.typ] = 10 + i
		}
		// What validation let through must make a plan: an error here is a
		// check missing from validation (the create would fail late).
		if _, err := bootstrapPlan(&s, fds); err != nil {
			t.Fatalf("a validated config makes no plan: %v", err)
		}
		if s.Linux.Seccomp != nil {
			seccomp.Compile(s.Linux.Seccomp)
		}
		// And so must the root's mounts and /dev.
		mounts, err := rootfs.MountPlan(&s, rootfs.Options{Rootfs: "/rootfs", Cgroups: cgroupView})
		if err != nil {
			t.Fatalf("a validated config makes no mount plan: %v", err)
		}
		u := &plan.Setup{EnterRoot: plan.EnterPivot, Rootfs: "/rootfs", Mounts: mounts}
		if err := rootfs.DevPlan(&s, false, u); err != nil {
			t.Fatalf("a validated config makes no /dev plan: %v", err)
		}
		if _, err := (&plan.Process{Process: &specs.Process{Args: []string{"sh"}, Cwd: "/"}, Setup: u}).Encode(); err != nil {
			t.Fatalf("a validated config makes no process plan: %v", err)
		}
	})
}

// A config without a linux object is legal: every namespace is then the
// caller's (create crashed on it with a nil pointer dereference).
func TestPrepareWithoutLinux(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("a container without a mount namespace needs root")
	}
	bundle := t.TempDir()
	os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755)
	s := spec.Example()
	s.Process.Terminal, s.Hostname, s.Linux = false, "", nil
	p, err := prepare(s, bundle, &CreateOpts{ID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if p.ownMountNS || len(p.joined) != 0 {
		t.Fatalf("prepared %+v", p)
	}
	boot, err := bootstrapPlan(s, nil)
	if err != nil || render(t, boot) != "c 0\n" {
		t.Fatalf("plan %v", err)
	}
}
