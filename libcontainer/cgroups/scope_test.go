package cgroups

import (
	"strings"
	"testing"
)

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"system.slice": "/system.slice", "a-b-c.slice": "/a.slice/a-b.slice/a-b-c.slice", "-.slice": "/",
		"machine-x_y.slice": "/machine.slice/machine-x_y.slice",
	} {
		if got, err := ExpandSlice(in); err != nil || got != want {
			t.Errorf("ExpandSlice(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", ".slice", "a", "a--b.slice", "-a.slice", "a-.slice", "a.scope"} {
		if got, err := ExpandSlice(in); err == nil {
			t.Errorf("ExpandSlice(%q) = %q, want an error", in, got)
		}
	}
}

func TestParseScope(t *testing.T) {
	ok := []struct {
		path, id  string
		user      bool
		slice, un string
	}{
		{"", "web", false, "system.slice", "hutch-web.scope"},
		{"", "web", true, "user.slice", "hutch-web.scope"},
		{"system.slice:sdtest:t1", "x", false, "system.slice", "sdtest-t1.scope"},
		{":libpod:abc", "x", false, "system.slice", "libpod-abc.scope"},
		{":libpod:abc", "x", true, "user.slice", "libpod-abc.scope"},
		{"a-b.slice:crio:1234", "x", false, "a-b.slice", "crio-1234.scope"},
		{"machine.slice::n", "x", false, "machine.slice", "n.scope"},
	}
	for _, c := range ok {
		sc, err := ParseScope(c.path, c.id, c.user)
		if err != nil || sc.Slice != c.slice || sc.Unit != c.un || sc.User != c.user {
			t.Errorf("ParseScope(%q, %q, %v) = %+v, %v; want %s in %s", c.path, c.id, c.user, sc, err, c.un, c.slice)
		}
	}
	bad := []struct{ path, id, want string }{
		{"/hutch/x", "x", `linux.cgroupsPath: with --systemd-cgroup it is "slice:prefix:name"`},
		{"a:b", "x", "slice:prefix:name"},
		{"a:b:c:d", "x", "slice:prefix:name"},
		{"system:p:n", "x", `linux.cgroupsPath: slice "system": a slice name ends in ".slice"`},
		{"a--b.slice:p:n", "x", "empty component"},
		{"system.slice:p:", "x", "linux.cgroupsPath: name: empty"},
		{"system.slice:p:..", "x", `linux.cgroupsPath: name "..": must not contain ".."`},
		{"system.slice:../p:n", "x", `linux.cgroupsPath: prefix "../p": must not contain "/"`},
		{"../system.slice:p:n", "x", `slice "../system.slice"`},
		{"system.slice:p:a/b", "x", `must not contain "/"`},
		{"system.slice:p:a b", "x", `' ' is not allowed in a unit name`},
		{"system.slice:p:a@b", "x", `'@' is not allowed`},
		{"system.slice:p:x.slice", "x", "hutch does not make slices"},
		{"system.slice:p:" + strings.Repeat("n", 250), "x", "longer than systemd's 255"},
		{"", "a+b", `linux.cgroupsPath: empty, so the scope is named after the container id "a+b"`},
		{"", "a..b", `must not contain ".."`},
	}
	for _, c := range bad {
		_, err := ParseScope(c.path, c.id, false)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseScope(%q, %q) = %v, want an error containing %q", c.path, c.id, err, c.want)
		}
	}
}
