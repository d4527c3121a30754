package rootfs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
)

// After the move of --no-pivot: the old root (1) with the host's mounts
// on it, and the new root (50) stacked on "/" with the container's.
const movedRoot = `1 0 8:1 / / rw - ext4 /dev/root rw
21 1 0:20 / /proc rw - proc proc rw
22 1 0:21 / /sys rw - sysfs sysfs rw
23 22 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw
24 21 0:23 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw
25 1 0:24 / /tmp rw - tmpfs tmpfs rw
26 25 0:20 /1 /tmp/pid1 rw - proc proc rw
27 25 0:21 / /tmp/sys rw - sysfs sysfs rw
50 1 8:1 /tmp/b/rootfs / rw - ext4 /dev/root rw
51 50 0:30 / /proc rw - proc proc rw
52 50 0:31 / /sys rw - sysfs sysfs rw
`

func parseMounts(t *testing.T, s string) []mountinfo.Mount {
	t.Helper()
	ms, err := mountinfo.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func ids(ms []mountinfo.Mount) []int {
	var out []int
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// Detaching the mounts directly on the old root, the new root excepted,
// leaves nothing else of it.
func TestOldRootMounts(t *testing.T) {
	got := ids(oldRootMounts(parseMounts(t, movedRoot), 1, 50))
	if want := []int{21, 22, 25}; !reflect.DeepEqual(got, want) {
		t.Fatalf("oldRootMounts = %v, want %v", got, want)
	}
}

// Full proc and sysfs mounts outside the new root, at any depth, are
// what must be covered if they stay; a bind of a proc subdirectory is not
// full, and the container's own proc and sysfs are its business.
func TestFullProcSysfs(t *testing.T) {
	got := ids(fullProcSysfs(parseMounts(t, movedRoot), 1, 50))
	if want := []int{21, 22, 27}; !reflect.DeepEqual(got, want) {
		t.Fatalf("fullProcSysfs = %v, want %v", got, want)
	}
	// A parent loop (a listing taken while mounts moved) ends the walk.
	loop := parseMounts(t, "60 61 0:20 / /a rw - proc proc rw\n61 60 0:21 / /b rw - sysfs sysfs rw\n")
	if got := ids(fullProcSysfs(loop, 1, 50)); !reflect.DeepEqual(got, []int{60, 61}) {
		t.Fatalf("fullProcSysfs with a parent loop = %v", got)
	}
}
