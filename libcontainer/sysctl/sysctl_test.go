package sysctl

import (
	"strings"
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
