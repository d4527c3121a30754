package cgroups

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPickDelegated(t *testing.T) {
	mnt := t.TempDir()
	me := os.Geteuid()
	mk := func(rel string) {
		d := filepath.Join(mnt, rel)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"cgroup.procs", "cgroup.subtree_control"} {
			if err := os.WriteFile(filepath.Join(d, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("/user.slice/app.slice/me.scope")
	// Only the leaf has its files: it is the one to use.
	if got, ok := pickDelegated(mnt, "/user.slice/app.slice/me.scope", me); !ok || got != "/user.slice/app.slice/me.scope" {
		t.Fatalf("owned leaf: got %q %v", got, ok)
	}
	mk("/user.slice/app.slice")
	if got, ok := pickDelegated(mnt, "/user.slice/app.slice/me.scope", me); !ok || got != "/user.slice/app.slice" {
		t.Fatalf("owned parent: got %q %v", got, ok)
	}
	// Someone else's tree: nothing delegated.
	if got, ok := pickDelegated(mnt, "/user.slice/app.slice/me.scope", me+1); ok {
		t.Fatalf("foreign owner: got %q", got)
	}
	// The cgroup2 root is never ours.
	if got, ok := pickDelegated(mnt, "/", me); ok {
		t.Fatalf("root: got %q", got)
	}
}

func TestOwnV2Cgroup(t *testing.T) {
	f := filepath.Join(t.TempDir(), "cgroup")
	os.WriteFile(f, []byte("12:memory:/x\n0::/user.slice/u.scope\n"), 0o644)
	if got, err := ownV2Cgroup(f); err != nil || got != "/user.slice/u.scope" {
		t.Fatalf("got %q %v", got, err)
	}
	os.WriteFile(f, []byte("12:memory:/x\n"), 0o644)
	if _, err := ownV2Cgroup(f); err == nil {
		t.Fatal("want an error without a 0:: line")
	}
}
