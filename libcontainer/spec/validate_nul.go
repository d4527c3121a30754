package spec

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// A C string ends at its first NUL, and the init's plans are read by C
// (libcontainer/plan): a NUL in a string that reaches the init would cut it
// short there, silently. JSON can carry one ("\u0000"), so it is refused
// here, naming the field, before anything is made; the plan encoders take
// the config as validated.
func noNUL(errs *errList, field, v string) {
	if strings.IndexByte(v, 0) >= 0 {
		errs.add("%s: contains a NUL byte", field)
	}
}

func noNULs(errs *errList, field string, vs []string) {
	for i, v := range vs {
		noNUL(errs, fmt.Sprintf("%s[%d]", field, i), v)
	}
}

// validateProcessNUL covers the process, which exec validates alone too.
func validateProcessNUL(errs *errList, p *specs.Process) {
	noNULs(errs, "process.args", p.Args)
	noNULs(errs, "process.env", p.Env)
	noNUL(errs, "process.cwd", p.Cwd)
	noNUL(errs, "process.apparmorProfile", p.ApparmorProfile)
	noNUL(errs, "process.selinuxLabel", p.SelinuxLabel)
}

// validateNUL covers the rest of the config that reaches the init.
func validateNUL(errs *errList, s *specs.Spec) {
	if s.Root != nil {
		noNUL(errs, "root.path", s.Root.Path)
	}
	noNUL(errs, "hostname", s.Hostname)
	noNUL(errs, "domainname", s.Domainname)
	for i, m := range s.Mounts {
		f := fmt.Sprintf("mounts[%d]", i)
		noNUL(errs, f+".destination", m.Destination)
		noNUL(errs, f+".source", m.Source)
		noNUL(errs, f+".type", m.Type)
		noNULs(errs, f+".options", m.Options)
	}
	if h := s.Hooks; h != nil {
		for _, l := range []struct {
			name  string
			hooks []specs.Hook
		}{{"createContainer", h.CreateContainer}, {"startContainer", h.StartContainer}} {
			for i, hk := range l.hooks {
				f := fmt.Sprintf("hooks.%s[%d]", l.name, i)
				noNUL(errs, f+".path", hk.Path)
				noNULs(errs, f+".args", hk.Args)
				noNULs(errs, f+".env", hk.Env)
			}
		}
	}
	l := s.Linux
	if l == nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(l.Sysctl)) {
		noNUL(errs, fmt.Sprintf("linux.sysctl[%q]", k), k+l.Sysctl[k])
	}
	noNULs(errs, "linux.maskedPaths", l.MaskedPaths)
	noNULs(errs, "linux.readonlyPaths", l.ReadonlyPaths)
	noNUL(errs, "linux.mountLabel", l.MountLabel)
	for i, d := range l.Devices {
		noNUL(errs, fmt.Sprintf("linux.devices[%d].path", i), d.Path)
	}
}
