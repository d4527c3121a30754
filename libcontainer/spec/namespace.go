package spec

import specs "github.com/opencontainers/runtime-spec/specs-go"

// HasNamespace reports whether linux.namespaces lists type t, and the path
// to join (empty when a new namespace is to be created).
func HasNamespace(s *specs.Spec, t specs.LinuxNamespaceType) (present bool, path string) {
	if s == nil || s.Linux == nil {
		return false, ""
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return true, ns.Path
		}
	}
	return false, ""
}
