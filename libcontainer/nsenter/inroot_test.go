package nsenter

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildInroot builds the harness around in_root_parent (testdata/inroot.c).
func buildInroot(t *testing.T) string {
	t.Helper()
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc to build the C harness (cgo needs it too)")
	}
	bin := filepath.Join(t.TempDir(), "inroot")
	if out, err := exec.Command(cc, "-O2", "-Wall", "-o", bin, "testdata/inroot.c", "inroot.c").CombinedOutput(); err != nil {
		t.Fatalf("build the C harness: %v\n%s", err, out)
	}
	return bin
}

// in_root_parent (the /dev nodes and links of the executor) makes the
// missing parents of a path inside the root and never leaves it: "..",
// absolute and relative symlinks all resolve inside, a dangling one makes
// its target there, and nothing outside the root is made.
func TestInRootParentStaysInTheRoot(t *testing.T) {
	bin := buildInroot(t)
	top := t.TempDir()
	root, outside := filepath.Join(top, "root"), filepath.Join(top, "outside")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range map[string]string{
		"abs": "/outside", "rel": "../../../outside", "etc-link": "/etc", "loop": "/loop", "file": "f",
	} {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "f"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, parent, name string }{
		{"a/b/c", "a/b", "c"},
		{"/x", "", "x"},
		{"../../../y", "", "y"},
		{"abs/z", "outside", "z"},
		{"rel/w", "outside", "w"},
		{"etc-link/passwd", "etc", "passwd"},
		{"/dev/../dev/pts/ptmx", "dev/pts", "ptmx"},
	} {
		out, err := exec.Command(bin, root, tc.path).CombinedOutput()
		if err != nil {
			t.Errorf("%q: %v: %s", tc.path, err, out)
			continue
		}
		want := "parent " + filepath.Join(root, tc.parent) + "\nname " + tc.name + "\n"
		if string(out) != want {
			t.Errorf("%q: got\n%swant\n%s", tc.path, out, want)
		}
	}
	// A symlink to itself (inside the root) is a loop, not a way out.
	if out, err := exec.Command(bin, root, "loop/x").CombinedOutput(); err == nil || !strings.Contains(string(out), "Too many levels of symbolic links") {
		t.Errorf("loop/x: %v: %s", err, out)
	}
	// A parent that is a file (through a symlink) is refused.
	if out, err := exec.Command(bin, root, "file/x").CombinedOutput(); err == nil || !strings.Contains(string(out), "Not a directory") {
		t.Errorf("file/x: %v: %s", err, out)
	}
	// A path with no last component names nothing.
	for _, p := range []string{"", "/"} {
		if out, err := exec.Command(bin, root, p).CombinedOutput(); err == nil || !strings.Contains(string(out), "Invalid argument") {
			t.Errorf("%q: %v: %s", p, err, out)
		}
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Errorf("made %v outside the root", ents)
	}
}
