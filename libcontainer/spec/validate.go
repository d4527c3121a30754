package spec

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// errList collects every problem found so that one run of Validate reports
// them all, one per line, instead of making the user fix them one by one.
type errList []error

func (l *errList) add(format string, args ...any) {
	*l = append(*l, fmt.Errorf(format, args...))
}

// Validate checks a configuration before the runtime makes any syscall that
// changes the system. Every error names the offending field by its JSON path.
// bundle is the bundle directory (relative paths in the config are resolved
// against it); root.path existence is left to RootfsPath.
func Validate(s *specs.Spec, bundle string) error {
	if s == nil {
		return errors.New("config: empty configuration")
	}
	var errs errList
	validateVersion(&errs, s.Version)
	validateRoot(&errs, s.Root)
	validateProcess(&errs, s.Process)
	validateUTS(&errs, s)
	validateMounts(&errs, s.Mounts)
	validateHooks(&errs, s.Hooks)
	if s.Linux != nil {
		validateLinux(&errs, s)
	}
	validateNUL(&errs, s)
	return errors.Join(errs...)
}

// supportedMinor is the newest runtime-spec minor version hutch understands.
const supportedMinor = 3

func validateVersion(errs *errList, v string) {
	if v == "" {
		errs.add("ociVersion: must be set")
		return
	}
	major, minor, ok := parseSemver(v)
	if !ok {
		errs.add("ociVersion: %q is not a semantic version (MAJOR.MINOR.PATCH)", v)
		return
	}
	if major != 1 || minor > supportedMinor {
		errs.add("ociVersion: %q is not supported (hutch supports 1.0.x to 1.%d.x)", v, supportedMinor)
	}
}

// parseSemver accepts MAJOR.MINOR.PATCH with an optional pre-release or
// build-metadata suffix, such as 1.0.2-dev or 1.0.0-rc5+abc, and returns
// major and minor.
func parseSemver(v string) (major, minor int, ok bool) {
	core := v
	if i := strings.IndexAny(core, "-+"); i >= 0 {
		if i == len(core)-1 {
			return 0, 0, false
		}
		core = core[:i]
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return 0, 0, false
	}
	var nums [3]int
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return 0, 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return 0, 0, false
		}
		nums[i] = n
	}
	return nums[0], nums[1], true
}

func validateRoot(errs *errList, r *specs.Root) {
	if r == nil {
		errs.add("root: must be set")
		return
	}
	if r.Path == "" {
		errs.add("root.path: must not be empty")
	}
}

// validateUTS follows runc: hostname and domainname need a uts namespace
// entry. A joined one (path set) is accepted because engines such as podman
// put the pod's hostname in the config of every container sharing its uts
// namespace.
func validateUTS(errs *errList, s *specs.Spec) {
	ok, _ := HasNamespace(s, specs.UTSNamespace)
	if ok {
		return
	}
	if s.Hostname != "" {
		errs.add("hostname: requires a uts namespace in linux.namespaces (of the container's own: new, or joined by a path that is not the runtime's own namespace)")
	}
	if s.Domainname != "" {
		errs.add("domainname: requires a uts namespace in linux.namespaces (of the container's own: new, or joined by a path that is not the runtime's own namespace)")
	}
}

// isAbs reports whether p is an absolute path (Linux semantics).
func isAbs(p string) bool { return strings.HasPrefix(p, "/") }
