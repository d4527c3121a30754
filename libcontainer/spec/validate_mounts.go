package spec

import (
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// MountDestination returns a mount's destination as an absolute, cleaned
// path inside the container. runtime-spec 1.0 allowed relative
// destinations; like runc they are taken as relative to "/". ".." cannot
// climb above "/" here, and symlinks are resolved at mount time.
func MountDestination(m specs.Mount) string {
	return filepath.Join("/", m.Destination)
}

// IsBind reports whether a mount is a bind mount: type "bind" or a bind /
// rbind option (type "none" and "" are common with the option).
func IsBind(m specs.Mount) bool {
	if m.Type == "bind" {
		return true
	}
	for _, o := range m.Options {
		if o == "bind" || o == "rbind" {
			return true
		}
	}
	return false
}

func validateMounts(errs *errList, mounts []specs.Mount) {
	for i, m := range mounts {
		if strings.TrimSpace(m.Destination) == "" {
			errs.add("mounts[%d].destination: must not be empty", i)
		}
		bind := IsBind(m)
		if bind && m.Source == "" {
			errs.add("mounts[%d].source: required for a bind mount", i)
		}
		if !bind && m.Type == "" {
			errs.add("mounts[%d].type: required unless options include bind or rbind", i)
		}
		for j, o := range m.Options {
			if strings.TrimSpace(o) == "" {
				errs.add("mounts[%d].options[%d]: must not be empty", i, j)
			}
		}
		validateMountIDMaps(errs, i, m, bind)
	}
}

// validateMountIDMaps checks idmapped mounts (runtime-spec 1.2): the kernel
// needs both maps, and runtimes can only idmap a bind mount's source.
func validateMountIDMaps(errs *errList, i int, m specs.Mount, bind bool) {
	if len(m.UIDMappings) == 0 && len(m.GIDMappings) == 0 {
		return
	}
	if len(m.UIDMappings) == 0 || len(m.GIDMappings) == 0 {
		errs.add("mounts[%d]: uidMappings and gidMappings must be set together", i)
	}
	if !bind {
		errs.add("mounts[%d]: uidMappings/gidMappings require a bind mount", i)
	}
	validateIDMap(errs, "mounts["+itoa(i)+"].uidMappings", m.UIDMappings)
	validateIDMap(errs, "mounts["+itoa(i)+"].gidMappings", m.GIDMappings)
}
