// Package intelrdt answers for linux.intelRdt (runtime-spec 1.3) and for
// `hutch update --l3-cache-schema/--mem-bw-schema`.
//
// hutch does not write resctrl groups yet (the tasks file, schemata,
// mon_groups): no host it is tested on has resctrl. So a config that sets
// intelRdt is refused at create, before anything is made, with the reason:
// the resctrl filesystem is not mounted (the spec requires an error then),
// or it is mounted and hutch cannot use it. The fields themselves are
// validated with the rest of the config, in package spec.
package intelrdt

import (
	"errors"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/mountinfo"
)

const (
	notMounted = "the resctrl filesystem is not mounted on this host"
	notWritten = "hutch does not yet write resctrl groups (tasks, schemata, mon_groups)"
)

// Check refuses a config that sets linux.intelRdt; nil passes.
func Check(rdt *specs.LinuxIntelRdt) error {
	if rdt == nil {
		return nil
	}
	root, err := Root()
	if err != nil {
		return fmt.Errorf("linux.intelRdt: %w", err)
	}
	if root == "" {
		return errors.New("linux.intelRdt: " + notMounted + " (the runtime spec requires an error)")
	}
	return fmt.Errorf("linux.intelRdt: resctrl is mounted on %s, but %s", root, notWritten)
}

// CheckUpdate answers `hutch update --l3-cache-schema/--mem-bw-schema` for
// a container created with saved (its linux.intelRdt, nil if none). An
// empty schema is a flag not given, as in runc. With runc's words where
// runc has an answer: hutch refuses every schema it is given.
func CheckUpdate(saved *specs.LinuxIntelRdt, l3CacheSchema, memBwSchema string) error {
	if l3CacheSchema == "" && memBwSchema == "" {
		return nil
	}
	flag := "--l3-cache-schema"
	if l3CacheSchema == "" {
		flag = "--mem-bw-schema"
	}
	root, err := Root()
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	switch {
	case root == "" && l3CacheSchema != "":
		return errors.New("--l3-cache-schema: Intel RDT/CAT: l3 cache schema is not enabled (" + notMounted + ")")
	case root == "":
		return errors.New("--mem-bw-schema: Intel RDT/MBA: memory bandwidth schema is not enabled (" + notMounted + ")")
	case saved == nil:
		return fmt.Errorf("%s: updating a non-existent Intel RDT configuration is not supported (the container has no linux.intelRdt)", flag)
	}
	return fmt.Errorf("%s: resctrl is mounted on %s, but %s", flag, root, notWritten)
}

// Root returns the mount point of the resctrl filesystem in hutch's mount
// namespace (the spec's runtime namespace), "" when none is mounted.
func Root() (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", fmt.Errorf("find the resctrl filesystem: %w", err)
	}
	defer f.Close()
	root, err := findResctrl(f)
	if err != nil {
		return "", fmt.Errorf("find the resctrl filesystem: /proc/self/mountinfo: %w", err)
	}
	return root, nil
}

// findResctrl returns the mount point of the first resctrl mount in a
// mountinfo listing (proc(5)), "" if there is none.
func findResctrl(r io.Reader) (string, error) {
	mounts, err := mountinfo.Parse(r)
	if err != nil {
		return "", err
	}
	for _, m := range mounts {
		if m.FSType == "resctrl" {
			return m.Mountpoint, nil
		}
	}
	return "", nil
}
