package spec

import (
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func validateHooks(errs *errList, h *specs.Hooks) {
	if h == nil {
		return
	}
	lists := []struct {
		name  string
		hooks []specs.Hook
	}{
		{"prestart", h.Prestart}, {"createRuntime", h.CreateRuntime},
		{"createContainer", h.CreateContainer}, {"startContainer", h.StartContainer},
		{"poststart", h.Poststart}, {"poststop", h.Poststop},
	}
	for _, l := range lists {
		for i, hk := range l.hooks {
			if !isAbs(hk.Path) {
				errs.add("hooks.%s[%d].path: must be an absolute path, got %q", l.name, i, hk.Path)
			}
			if hk.Timeout != nil && *hk.Timeout <= 0 {
				errs.add("hooks.%s[%d].timeout: must be greater than 0, got %d", l.name, i, *hk.Timeout)
			}
			for j, e := range hk.Env {
				if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
					errs.add("hooks.%s[%d].env[%d]: %q is not KEY=VALUE", l.name, i, j, e)
				}
			}
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
