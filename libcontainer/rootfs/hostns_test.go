package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// DetachHostRoot removes the bind it recorded, with what is mounted below
// it, and nothing else: not a mount that replaced it, not the one under it.
func TestDetachHostRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount")
	}
	dir := t.TempDir()
	before, err := MountID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(dir, dir, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 3; i++ {
			if id, err := MountID(dir); err != nil || id == before {
				return
			}
			unix.Unmount(dir, unix.MNT_DETACH)
		}
	})
	bind, err := MountID(dir)
	if err != nil {
		t.Fatal(err)
	}
	if bind == before {
		t.Fatalf("mount id unchanged by a bind: %d", bind)
	}
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, "size=64k"); err != nil {
		t.Fatal(err)
	}

	err = DetachHostRoot(dir, bind+1)
	if err == nil || !strings.Contains(err.Error(), "left alone") {
		t.Fatalf("wrong id: got %v, want a refusal", err)
	}
	if id, _ := MountID(dir); id != bind {
		t.Fatalf("a refused detach changed the mount: %d, want %d", id, bind)
	}

	if err := DetachHostRoot(dir, bind); err != nil {
		t.Fatal(err)
	}
	if id, _ := MountID(dir); id != before {
		t.Fatalf("after detach the mount id is %d, want the original %d", id, before)
	}
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), " "+sub+" ") {
		t.Fatalf("the tmpfs below the bind is still mounted:\n%s", data)
	}
	// Once gone, a second detach must not take the mount underneath.
	if err := DetachHostRoot(dir, bind); err == nil {
		t.Fatal("a second detach was not refused")
	}
	if id, _ := MountID(dir); id != before {
		t.Fatalf("the second detach changed the mount: %d, want %d", id, before)
	}
}
