package cgroups

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ParseSub reads exec --cgroup values, runc's "[controller[,controller]:]path":
// controller -> path, where "" stands for every hierarchy. A bare path must be
// the only value.
func ParseSub(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(values))
	for _, v := range values {
		ctrls, path, found := strings.Cut(v, ":")
		if !found {
			if len(values) != 1 {
				return nil, fmt.Errorf("--cgroup %q: a path without a controller: prefix must be the only --cgroup", v)
			}
			out[""] = v
			continue
		}
		if strings.Contains(path, ":") {
			return nil, fmt.Errorf("--cgroup %q: want [controller[,controller...]:]path", v)
		}
		// ":path" gives controller "": every hierarchy, as runc reads it.
		for _, c := range strings.Split(ctrls, ",") {
			if prev, dup := out[c]; dup && prev != path {
				return nil, fmt.Errorf("--cgroup %q: controller %q given twice", v, c)
			}
			out[c] = path
		}
	}
	return out, nil
}

// SubPaths returns the container's cgroup paths (as Paths() gives them)
// with the sub-cgroups of sub (from ParseSub) in place: an existing
// directory below the container's own in each hierarchy it names, never
// outside it. Co-mounted controllers move together; the hierarchies sub
// does not name keep the container's cgroup.
func SubPaths(paths, sub map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(paths))
	for k, v := range paths {
		out[k] = v
	}
	moved := map[string]string{} // container dir -> sub path
	set := func(dir, rel, flag string) error {
		if prev, ok := moved[dir]; ok && prev != rel {
			return fmt.Errorf("--cgroup %s: %s already goes to %q (co-mounted controllers share one cgroup)", flag, dir, prev)
		}
		moved[dir] = rel
		return nil
	}
	for ctrl, rel := range sub {
		flag := ctrl + ":" + rel
		if ctrl == "" {
			flag = rel
		}
		for _, el := range strings.Split(rel, "/") {
			if el == ".." {
				return nil, fmt.Errorf("--cgroup %s: bad sub cgroup path %q (no \"..\")", flag, rel)
			}
		}
		if ctrl == "" {
			for _, dir := range paths {
				if err := set(dir, rel, flag); err != nil {
					return nil, err
				}
			}
			continue
		}
		dir, v2, ok := (&manager{paths: paths}).dirFor(ctrl)
		if ok && v2 && !v2Controller(dir, ctrl) {
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("--cgroup %s: unknown controller %q: the container has no cgroup of it", flag, ctrl)
		}
		if err := set(dir, rel, flag); err != nil {
			return nil, err
		}
	}
	for k, dir := range paths {
		rel, ok := moved[dir]
		if !ok {
			continue
		}
		d := filepath.Join(dir, filepath.Clean("/"+rel))
		if fi, err := os.Lstat(d); err != nil || !fi.IsDir() {
			// runc's words ("adding pid ... no such file or directory").
			return nil, fmt.Errorf("--cgroup: adding pid to sub-cgroup %s: no such file or directory (exec uses an existing one)", d)
		}
		out[k] = d
	}
	return out, nil
}

// v2Controller reports whether a cgroup2 directory has the controller.
func v2Controller(dir, ctrl string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return false
	}
	for _, c := range strings.Fields(string(data)) {
		if c == ctrl {
			return true
		}
	}
	return false
}
