package initproc

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/spec"
)

// The init decodes the config through Wire: every part of the spec the
// init reads must arrive unchanged. This is the list; code in the init that
// reads another field must extend Wire and this test.
func TestWireCarriesWhatTheInitUses(t *testing.T) {
	s := spec.Example()
	s.Hooks = &specs.Hooks{
		CreateContainer: []specs.Hook{{Path: "/bin/a", Args: []string{"a"}}},
		StartContainer:  []specs.Hook{{Path: "/bin/b", Env: []string{"X=1"}}},
	}
	s.Linux.Devices = []specs.LinuxDevice{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}
	s.Linux.Seccomp = &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Syscalls: []specs.LinuxSyscall{{Names: []string{"mkdir"}, Action: specs.ActErrno}}}
	s.Linux.RootfsPropagation = "rslave"
	s.Linux.Personality = &specs.LinuxPersonality{Domain: specs.PerLinux32}
	s.Linux.MountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
	s.Mounts[0].UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 1000, Size: 1}}
	data, err := json.Marshal(&Config{ID: "x", Spec: s, FifoFd: 4, TreeFds: map[int]int{1: 7}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != "x" || c.FifoFd != 4 || c.TreeFds[1] != 7 {
		t.Fatalf("config fields lost: %+v", c)
	}
	g, w := c.Spec, s
	for name, pair := range map[string][2]any{
		"root": {g.Root, w.Root}, "mounts": {g.Mounts, w.Mounts}, "hooks": {g.Hooks, w.Hooks},
		"linux.devices":           {g.Linux.Devices, w.Linux.Devices},
		"linux.maskedPaths":       {g.Linux.MaskedPaths, w.Linux.MaskedPaths},
		"linux.readonlyPaths":     {g.Linux.ReadonlyPaths, w.Linux.ReadonlyPaths},
		"linux.rootfsPropagation": {g.Linux.RootfsPropagation, w.Linux.RootfsPropagation},
		"linux.mountLabel":        {g.Linux.MountLabel, w.Linux.MountLabel},
	} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: got %#v, want %#v", name, pair[0], pair[1])
		}
	}
}
