package mountinfo

import (
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	m, err := ParseLine(`36 35 98:0 /mnt\0401 /mnt2 rw,noatime master:1 shared:2 - cgroup cgroup rw,cpu,cpuacct`)
	if err != nil {
		t.Fatal(err)
	}
	want := Mount{ID: 36, Parent: 35, Dev: "98:0", Root: "/mnt 1", Mountpoint: "/mnt2", FSType: "cgroup", Source: "cgroup", SuperOpts: "rw,cpu,cpuacct"}
	if m != want {
		t.Errorf("got %+v", m)
	}
	for _, bad := range []string{"garbage line", "1 2 0:1 / / rw no-separator ext4 x rw", "x 2 0:1 / / rw - ext4 /dev/sda rw"} {
		if _, err := ParseLine(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := Parse(strings.NewReader("1 2 0:1 / / rw - ext4 /dev/sda rw\nbroken\n")); err == nil {
		t.Error("a listing with a broken line accepted")
	}
	if ms, err := Read("/proc/self/mountinfo"); err != nil || len(ms) == 0 {
		t.Errorf("Read /proc/self/mountinfo: %d mounts, %v", len(ms), err)
	}
}
