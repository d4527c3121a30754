package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestRootfsPath(t *testing.T) {
	bundle := t.TempDir()
	if err := os.Mkdir(filepath.Join(bundle, "rootfs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	abs := t.TempDir()
	tests := []struct {
		name   string
		root   *specs.Root
		want   string
		errHas string
	}{
		{"relative", &specs.Root{Path: "rootfs"}, filepath.Join(bundle, "rootfs"), ""},
		{"relative dot", &specs.Root{Path: "./rootfs/"}, filepath.Join(bundle, "rootfs"), ""},
		{"absolute", &specs.Root{Path: abs}, abs, ""},
		{"missing", &specs.Root{Path: "nope"}, "",
			"root.path: " + filepath.Join(bundle, "nope") + ": no such file or directory"},
		{"not a dir", &specs.Root{Path: "file"}, "", "root.path: " + filepath.Join(bundle, "file") + ": not a directory"},
		{"empty", &specs.Root{}, "", "root.path: must not be empty"},
		{"nil root", nil, "", "root: must be set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RootfsPath(&specs.Spec{Root: tt.root}, bundle)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.errHas)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
