package pathsafe

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// layout builds a root with hostile symlinks, plus a sibling "outside"
// directory that no resolution may ever reach.
func layout(t *testing.T) (root, outside string) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	outside = filepath.Join(base, "outside")
	for _, d := range []string{root + "/etc", root + "/a/b", outside + "/etc"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{root + "/etc/passwd": "inside", outside + "/etc/passwd": "outside", outside + "/secret": "outside"}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"abs":       "/etc",
		"dotdot":    "../../../../../../etc",
		"a/up":      "../../../../..",
		"a/b/host":  outside + "/secret",
		"loop1":     "loop2",
		"loop2":     "loop1",
		"self":      "self",
		"dangling":  "/made/by/link",
		"escapedir": "../outside",
		"chain":     "a/up/abs/passwd",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(root, l)); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

func sameFile(t *testing.T, f *os.File, want string) {
	t.Helper()
	var a, b unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &a); err != nil {
		t.Fatal(err)
	}
	if err := unix.Lstat(want, &b); err != nil {
		t.Fatal(err)
	}
	if a.Dev != b.Dev || a.Ino != b.Ino {
		t.Fatalf("%s: resolved to the wrong object, want %s", f.Name(), want)
	}
}

func bothModes(t *testing.T, fn func(t *testing.T)) {
	for _, walkOnly := range []bool{false, true} {
		name := "openat2"
		if walkOnly {
			name = "walk"
		}
		t.Run(name, func(t *testing.T) {
			forceWalk = walkOnly
			defer func() { forceWalk = false }()
			fn(t)
		})
	}
}

func TestOpenInRootStaysInside(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		root, _ := layout(t)
		cases := map[string]string{
			"/etc/passwd":            "/etc/passwd",
			"../../../etc/passwd":    "/etc/passwd",
			"/abs/passwd":            "/etc/passwd",
			"dotdot/passwd":          "/etc/passwd",
			"a/up/etc/passwd":        "/etc/passwd",
			"a/b/../../etc/./passwd": "/etc/passwd",
			"chain":                  "/etc/passwd",
			"/":                      "/",
			"..":                     "/",
			"":                       "/",
		}
		for in, want := range cases {
			f, err := OpenInRoot(root, in, unix.O_PATH)
			if err != nil {
				t.Fatalf("%q: %v", in, err)
			}
			sameFile(t, f, root+want)
			f.Close()
		}
		// A regular read through the reopen path works too.
		f, err := OpenInRoot(root, "dotdot/passwd", unix.O_RDONLY)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, _ := f.Read(buf)
		f.Close()
		if string(buf[:n]) != "inside" {
			t.Fatalf("read %q, want inside", buf[:n])
		}
	})
}

func TestOpenInRootErrors(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		root, _ := layout(t)
		for in, want := range map[string]error{
			"a/b/host":         unix.ENOENT, // absolute host path re-rooted: root/<outside>/secret missing
			"escapedir/secret": unix.ENOENT,
			"loop1":            unix.ELOOP,
			"self/x":           unix.ELOOP,
			"etc/passwd/x":     unix.ENOTDIR,
		} {
			f, err := OpenInRoot(root, in, unix.O_PATH)
			if err == nil {
				f.Close()
				t.Fatalf("%q: resolved to %s, want %v", in, f.Name(), want)
			}
			if !errors.Is(err, want) {
				t.Fatalf("%q: got %v, want %v", in, err, want)
			}
		}
	})
}

func TestOpenInRootNoFollow(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		root, _ := layout(t)
		f, err := OpenInRoot(root, "/a/../abs", unix.O_PATH|unix.O_NOFOLLOW)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sameFile(t, f, root+"/abs")
		if _, err := OpenInRoot(root, "/abs", unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW); err == nil {
			t.Fatal("O_DIRECTORY|O_NOFOLLOW on a symlink succeeded")
		}
	})
}

func TestMkdirAllInRoot(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		root, outside := layout(t)
		for in, want := range map[string]string{
			"/x/y/z":             "/x/y/z",
			"dangling/sub":       "/made/by/link/sub",
			"escapedir/new":      "/outside/new",
			"a/up/../../q":       "/q",
			"abs/fresh":          "/etc/fresh",
			outside + "/planted": outside + "/planted",
		} {
			// The second time the path exists: the openat2 fast path.
			for i := 0; i < 2; i++ {
				f, err := MkdirAllInRoot(root, in, 0o755)
				if err != nil {
					t.Fatalf("%q (call %d): %v", in, i+1, err)
				}
				sameFile(t, f, root+want)
				f.Close()
			}
		}
		if entries, _ := os.ReadDir(outside); len(entries) != 2 {
			t.Fatalf("outside was modified: %v", entries)
		}
		if _, err := MkdirAllInRoot(root, "etc/passwd", 0o755); !errors.Is(err, unix.ENOTDIR) {
			t.Fatalf("mkdir over a file: got %v, want ENOTDIR", err)
		}
		if _, err := MkdirAllInRoot(root, "loop1/x", 0o755); !errors.Is(err, unix.ELOOP) {
			t.Fatalf("mkdir through a loop: got %v, want ELOOP", err)
		}
	})
}

func TestCreateInRoot(t *testing.T) {
	bothModes(t, func(t *testing.T) {
		root, outside := layout(t)
		f, err := CreateInRoot(root, "a/up/abs/newfile", 0o644)
		if err != nil {
			t.Fatal(err)
		}
		sameFile(t, f, root+"/etc/newfile")
		f.Close()
		for i := 0; i < 2; i++ { // created, then found by the fast path
			f, err = CreateInRoot(root, "/escapedir/secret", 0o644)
			if err != nil {
				t.Fatal(err)
			}
			sameFile(t, f, root+"/outside/secret")
			f.Close()
		}
		// An existing file (and its content) is kept.
		f, err = CreateInRoot(root, "/dotdot/passwd", 0o644)
		if err != nil {
			t.Fatal(err)
		}
		sameFile(t, f, root+"/etc/passwd")
		f.Close()
		if b, _ := os.ReadFile(outside + "/secret"); string(b) != "outside" {
			t.Fatal("outside file touched")
		}
	})
}
