// Package hooks validates and runs the OCI lifecycle hooks.
package hooks

import (
	"fmt"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Hook kinds, spelled as the config.json keys so errors name the field.
const (
	Prestart        = "prestart"
	CreateRuntime   = "createRuntime"
	CreateContainer = "createContainer"
	StartContainer  = "startContainer"
	Poststart       = "poststart"
	Poststop        = "poststop"
)

// ByKind returns the hooks of one kind (nil for an unknown kind or nil h).
func ByKind(h *specs.Hooks, kind string) []specs.Hook {
	if h == nil {
		return nil
	}
	switch kind {
	case Prestart:
		return h.Prestart //nolint:staticcheck // deprecated but still run, as the spec requires
	case CreateRuntime:
		return h.CreateRuntime
	case CreateContainer:
		return h.CreateContainer
	case StartContainer:
		return h.StartContainer
	case Poststart:
		return h.Poststart
	case Poststop:
		return h.Poststop
	}
	return nil
}

// Kinds lists every hook kind in lifecycle order.
var Kinds = []string{Prestart, CreateRuntime, CreateContainer, StartContainer, Poststart, Poststop}

// Validate checks that every hook path is absolute and clean-able and that
// every timeout, when set, is positive. It does not look the path up:
// startContainer paths resolve in the container, which does not exist yet.
func Validate(h *specs.Hooks) error {
	for _, kind := range Kinds {
		for i, hk := range ByKind(h, kind) {
			field := fmt.Sprintf("hooks.%s[%d]", kind, i)
			if hk.Path == "" {
				return fmt.Errorf("%s.path: must not be empty", field)
			}
			if !filepath.IsAbs(hk.Path) {
				return fmt.Errorf("%s.path: must be absolute, got %q", field, hk.Path)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				return fmt.Errorf("%s.timeout: must be greater than zero, got %d", field, *hk.Timeout)
			}
			for j, e := range hk.Env {
				if k, _, ok := splitEnv(e); !ok || k == "" {
					return fmt.Errorf("%s.env[%d]: must be KEY=value, got %q", field, j, e)
				}
			}
		}
	}
	return nil
}

func splitEnv(e string) (string, string, bool) {
	for i := 0; i < len(e); i++ {
		if e[i] == '=' {
			return e[:i], e[i+1:], true
		}
	}
	return e, "", false
}
