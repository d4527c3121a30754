package cgroups

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups/devbpf"
)

// setDevices applies linux.resources.devices in order on top of "deny all".
// An empty list leaves the cgroup alone: `update` passes no devices, and
// hutch always adds its default allow rules before the first Set.
func (m *manager) setDevices(r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	rules := make([]devRule, 0, len(r.Devices)+1)
	for i, d := range r.Devices {
		rs, err := toDevRules(d)
		if err != nil {
			return fmt.Errorf("linux.resources.devices[%d]: %w", i, err)
		}
		for _, x := range rs {
			x.index = i
			rules = append(rules, x)
		}
	}
	dir, v2, err := m.need("devices", "devices")
	if err != nil {
		return err
	}
	if v2 {
		// cgroup v2 has no devices files: the same rules, in the same
		// order, become a BPF program on the container's cgroup.
		bpfRules := make([]devbpf.Rule, 0, len(r.Devices))
		for _, d := range r.Devices {
			bpfRules = append(bpfRules, toBPFRule(d))
		}
		if err := devbpf.Apply(dir, bpfRules); err != nil {
			return fmt.Errorf("linux.resources.devices: %w", err)
		}
		return nil
	}
	if err := set("devices", dir, "devices.deny", "a"); err != nil {
		return err
	}
	for _, x := range rules {
		file := "devices.deny"
		if x.allow {
			file = "devices.allow"
		}
		if err := set(fmt.Sprintf("devices[%d]", x.index), dir, file, x.line); err != nil {
			return err
		}
	}
	return nil
}

type devRule struct {
	allow bool
	line  string
	index int
}

// toDevRules turns one spec rule into v1 lines. The kernel treats any line
// starting with "a" as "everything, clear all exceptions" whatever the
// numbers and access say, so a narrower "a" rule is split into "b" and "c".
func toDevRules(d specs.LinuxDeviceCgroup) ([]devRule, error) {
	typ := d.Type
	if typ == "" {
		typ = "a"
	}
	if typ != "a" && typ != "b" && typ != "c" {
		return nil, fmt.Errorf("type: want a, b or c, got %q", d.Type)
	}
	access := d.Access
	if access == "" {
		access = "rwm"
	}
	seen := map[rune]bool{}
	for _, c := range access {
		if (c != 'r' && c != 'w' && c != 'm') || seen[c] {
			return nil, fmt.Errorf("access: want a combination of r, w and m, got %q", d.Access)
		}
		seen[c] = true
	}
	num := func(p *int64, what string) (string, error) {
		if p == nil || *p == -1 {
			return "*", nil
		}
		if *p < 0 || *p > 0xfffff {
			return "", fmt.Errorf("%s: out of range: %d", what, *p)
		}
		return strconv.FormatInt(*p, 10), nil
	}
	maj, err := num(d.Major, "major")
	if err != nil {
		return nil, err
	}
	minr, err := num(d.Minor, "minor")
	if err != nil {
		return nil, err
	}
	if typ == "a" && maj == "*" && minr == "*" && len(access) == 3 {
		return []devRule{{allow: d.Allow, line: "a"}}, nil
	}
	types := []string{typ}
	if typ == "a" {
		types = []string{"b", "c"}
	}
	out := make([]devRule, 0, len(types))
	for _, t := range types {
		out = append(out, devRule{allow: d.Allow, line: strings.Join([]string{t, maj + ":" + minr, access}, " ")})
	}
	return out, nil
}

// toBPFRule converts a rule that toDevRules has already accepted.
func toBPFRule(d specs.LinuxDeviceCgroup) devbpf.Rule {
	r := devbpf.Rule{Allow: d.Allow, Type: 'a', Major: -1, Minor: -1}
	if d.Type != "" {
		r.Type = d.Type[0]
	}
	if d.Major != nil {
		r.Major = *d.Major
	}
	if d.Minor != nil {
		r.Minor = *d.Minor
	}
	access := d.Access
	if access == "" {
		access = "rwm"
	}
	for _, c := range access {
		switch c {
		case 'r':
			r.Access |= devbpf.AccRead
		case 'w':
			r.Access |= devbpf.AccWrite
		case 'm':
			r.Access |= devbpf.AccMknod
		}
	}
	return r
}
