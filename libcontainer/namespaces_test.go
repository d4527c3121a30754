package libcontainer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func nsSpec(path string) *specs.Spec {
	return &specs.Spec{Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{
		{Type: specs.PIDNamespace}, {Type: specs.NetworkNamespace, Path: path},
	}}}
}

func TestOpenJoinedNamespaces(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	unix.Mkfifo(fifo, 0o600)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o600)
	for _, tt := range []struct{ path, want string }{
		// Messages as spec.Validate gave them when it checked the paths.
		{"ns/net", `linux.namespaces[1].path: must be an absolute path, got "ns/net"`},
		{"/nonexistent/ns/net", "linux.namespaces[1].path: /nonexistent/ns/net: no such file or directory"},
		// Errors and logs print the path on one line: no newline in it.
		{"/proc/self/ns/net\njoin net /x", `linux.namespaces[1].path: "/proc/self/ns/net\njoin net /x" contains a control character`},
		// A fifo must not hang create; a plain file is no namespace.
		{fifo, "is not a namespace file"},
		{file, "is not a namespace file"},
		{"/proc/self/ns/uts", "/proc/self/ns/uts is not a network namespace"},
	} {
		_, _, err := openJoinedNamespaces(nsSpec(tt.path))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("path %q: %v, want %q", tt.path, err, tt.want)
		}
	}
	// The runtime's own namespace is shared: the entry goes, nothing to join.
	s := nsSpec("/proc/self/ns/net")
	joined, shared, err := openJoinedNamespaces(s)
	if err != nil || len(joined) != 0 || len(shared) != 1 || shared[0] != specs.NetworkNamespace {
		t.Fatalf("own netns: joined %v shared %v err %v", joined, shared, err)
	}
	if len(s.Linux.Namespaces) != 1 || s.Linux.Namespaces[0].Type != specs.PIDNamespace {
		t.Fatalf("own netns left in the spec: %+v", s.Linux.Namespaces)
	}
}
