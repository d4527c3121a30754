package spec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bundleWithRootfs writes s as a bundle with an empty rootfs directory.
func bundleWithRootfs(t *testing.T, s *specs.Spec) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// roundTrip checks what `hutch spec` writes is what `hutch create` accepts.
func roundTrip(t *testing.T, s *specs.Spec) {
	t.Helper()
	dir := bundleWithRootfs(t, s)
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(loaded, dir); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if _, err := RootfsPath(loaded, dir); err != nil {
		t.Fatalf("RootfsPath: %v", err)
	}
}

func TestExample(t *testing.T) {
	s := Example()
	roundTrip(t, s)
	if s.Version != specs.Version || s.Root.Path != "rootfs" || !s.Root.Readonly {
		t.Errorf("unexpected version/root: %q %+v", s.Version, s.Root)
	}
	p := s.Process
	if !p.Terminal || p.Cwd != "/" || !p.NoNewPrivileges || !slices.Equal(p.Args, []string{"sh"}) {
		t.Errorf("unexpected process %+v", p)
	}
	if s.Hostname != "hutch" {
		t.Errorf("hostname = %q", s.Hostname)
	}
	for _, typ := range []specs.LinuxNamespaceType{specs.PIDNamespace, specs.NetworkNamespace,
		specs.IPCNamespace, specs.UTSNamespace, specs.MountNamespace, specs.CgroupNamespace} {
		if ok, path := HasNamespace(s, typ); !ok || path != "" {
			t.Errorf("namespace %s: present=%v path=%q", typ, ok, path)
		}
	}
	if ok, _ := HasNamespace(s, specs.UserNamespace); ok {
		t.Error("unexpected user namespace")
	}
	// Each call must return independent slices.
	Example().Process.Capabilities.Bounding[0] = "CHANGED"
	Example().Linux.MaskedPaths[0] = "CHANGED"
	if e := Example(); e.Process.Capabilities.Bounding[0] == "CHANGED" || e.Linux.MaskedPaths[0] == "CHANGED" {
		t.Error("Example shares state between calls")
	}
}

func TestToRootless(t *testing.T) {
	s := Example()
	s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace, Path: "/proc/1/ns/user"})
	ToRootless(s, 1000, 1001)
	roundTrip(t, s)

	for _, typ := range []specs.LinuxNamespaceType{specs.NetworkNamespace, specs.CgroupNamespace} {
		if ok, _ := HasNamespace(s, typ); ok {
			t.Errorf("%s namespace should be dropped", typ)
		}
	}
	if ok, path := HasNamespace(s, specs.UserNamespace); !ok || path != "" {
		t.Errorf("want a new user namespace, got present=%v path=%q", ok, path)
	}
	n := 0
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == specs.UserNamespace {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d user namespaces", n)
	}
	wantU := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	wantG := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1001, Size: 1}}
	if !slices.Equal(s.Linux.UIDMappings, wantU) || !slices.Equal(s.Linux.GIDMappings, wantG) {
		t.Errorf("mappings %+v %+v", s.Linux.UIDMappings, s.Linux.GIDMappings)
	}
	if s.Linux.Resources != nil {
		t.Error("linux.resources should be removed")
	}
	for _, m := range s.Mounts {
		switch m.Destination {
		case "/sys":
			if m.Type == "sysfs" || m.Source != "/sys" || !IsBind(m) || !slices.Contains(m.Options, "ro") {
				t.Errorf("/sys mount not replaced by a read-only rbind: %+v", m)
			}
		case "/dev/pts":
			if slices.Contains(m.Options, "gid=5") {
				t.Errorf("devpts still has gid=5: %v", m.Options)
			}
			if !slices.Contains(m.Options, "newinstance") {
				t.Errorf("devpts lost its other options: %v", m.Options)
			}
		}
	}
	// The original Example's devpts options must be untouched.
	if !slices.Contains(Example().Mounts[2].Options, "gid=5") {
		t.Error("Example devpts options modified")
	}
}

func TestToRootlessNoLinux(t *testing.T) {
	s := Example()
	s.Linux = nil
	s.Hostname = ""
	ToRootless(s, 1, 1)
	if ok, _ := HasNamespace(s, specs.UserNamespace); !ok || len(s.Linux.UIDMappings) != 1 {
		t.Fatalf("user namespace not added: %+v", s.Linux)
	}
	ToRootless(nil, 1, 1) // must not panic
}

func TestHasNamespace(t *testing.T) {
	if ok, _ := HasNamespace(nil, specs.PIDNamespace); ok {
		t.Error("nil spec has no namespaces")
	}
	s := &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.NetworkNamespace, Path: "/run/netns/x"}}}}
	if ok, p := HasNamespace(s, specs.NetworkNamespace); !ok || p != "/run/netns/x" {
		t.Errorf("got %v %q", ok, p)
	}
	if ok, _ := HasNamespace(s, specs.PIDNamespace); ok {
		t.Error("pid should be absent")
	}
}
