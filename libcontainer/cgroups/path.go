package cgroups

import (
	"fmt"
	"path"
	"strings"
)

// DefaultParent is the cgroup under which containers without
// linux.cgroupsPath are placed.
const DefaultParent = "/hutch"

// ResolvePath turns linux.cgroupsPath into a clean absolute path relative to
// every hierarchy root. Both "/a/b" and "a/b" give "/a/b": a relative path is
// deliberately not nested under our own cgroup, which on managed machines is
// not ours to create children in. "" gives "/hutch/<id>".
func ResolvePath(cgroupsPath, id string) (string, error) {
	if cgroupsPath == "" {
		if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\x00") {
			return "", fmt.Errorf("container id %q cannot be used as a cgroup name", id)
		}
		return DefaultParent + "/" + id, nil
	}
	if strings.ContainsRune(cgroupsPath, 0) {
		return "", fmt.Errorf("linux.cgroupsPath: contains a NUL byte: %q", cgroupsPath)
	}
	for _, c := range strings.Split(cgroupsPath, "/") {
		if c == ".." {
			// path.Clean would silently clamp "/../x" to "/x"; a config
			// that tries to climb is more likely a mistake than intent.
			return "", fmt.Errorf("linux.cgroupsPath: must not contain \"..\": %q", cgroupsPath)
		}
	}
	p := path.Clean("/" + cgroupsPath)
	if p == "/" {
		return "", fmt.Errorf("linux.cgroupsPath: must name a cgroup below the hierarchy root, got %q", cgroupsPath)
	}
	return p, nil
}
