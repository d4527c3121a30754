// Package userns writes the uid/gid maps of a new user namespace from the
// parent side: directly when the kernel allows it, through the setuid
// helpers newuidmap/newgidmap (from /etc/subuid, /etc/subgid) otherwise.
package userns

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/hutch-runtime/hutch/libcontainer/timerslack"
)

// WriteMaps writes the maps of the user namespace that process pid has just
// unshared. The child blocks until this returns.
func WriteMaps(pid int, uids, gids []specs.LinuxIDMapping) error {
	euid, egid := os.Geteuid(), os.Getegid()
	if euid == 0 {
		if err := writeMap(pid, "gid_map", gids); err != nil {
			return err
		}
		return writeMap(pid, "uid_map", uids)
	}
	if ownOnly(uids, euid) && ownOnly(gids, egid) {
		// An unprivileged writer may map only its own ids, and only after
		// giving up setgroups(2) in the namespace.
		if err := os.WriteFile(procPath(pid, "setgroups"), []byte("deny"), 0); err != nil {
			return fmt.Errorf("write %s: %w", procPath(pid, "setgroups"), err)
		}
		if err := writeMap(pid, "gid_map", gids); err != nil {
			return err
		}
		return writeMap(pid, "uid_map", uids)
	}
	if err := precheck(uids, gids, euid, egid); err != nil {
		return err
	}
	if err := runHelper("newgidmap", pid, gids, "linux.gidMappings", "/etc/subgid"); err != nil {
		return err
	}
	return runHelper("newuidmap", pid, uids, "linux.uidMappings", "/etc/subuid")
}

func ownOnly(m []specs.LinuxIDMapping, id int) bool {
	return len(m) == 1 && m[0].Size == 1 && int(m[0].HostID) == id
}

func procPath(pid int, name string) string {
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}

// Format renders maps in the kernel's uid_map format.
func Format(m []specs.LinuxIDMapping) []byte {
	var b bytes.Buffer
	for _, e := range m {
		fmt.Fprintf(&b, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
	}
	return b.Bytes()
}

func writeMap(pid int, name string, m []specs.LinuxIDMapping) error {
	field := "linux.uidMappings"
	if name == "gid_map" {
		field = "linux.gidMappings"
	}
	p := procPath(pid, name)
	// The kernel takes the whole map in a single write.
	if err := os.WriteFile(p, Format(m), 0); err != nil {
		return fmt.Errorf("%s: write %s: %w", field, p, err)
	}
	return nil
}

func runHelper(helper string, pid int, m []specs.LinuxIDMapping, field, idfile string) error {
	path, err := exec.LookPath(helper)
	if err != nil {
		return fmt.Errorf("%s: mapping more than your own id needs %s (package uidmap) and a range in %s: %s not found in $PATH", field, helper, idfile, helper)
	}
	args := []string{strconv.Itoa(pid)}
	for _, e := range m {
		args = append(args, strconv.FormatUint(uint64(e.ContainerID), 10), strconv.FormatUint(uint64(e.HostID), 10), strconv.FormatUint(uint64(e.Size), 10))
	}
	out, err := timerslack.CombinedOutput(exec.Command(path, args...))
	if err != nil {
		return fmt.Errorf("%s: %s %v: %w: %s (is there a range for this user in %s?)", field, helper, args, err, bytes.TrimSpace(out), idfile)
	}
	return nil
}

var forced *bool

// ForceRootless overrides Rootless's detection (the --rootless flag).
func ForceRootless(v bool) { forced = &v }

// Rootless reports whether the caller lacks real root: not uid 0, or uid 0
// of a user namespace other than the initial one (rootless podman runs its
// runtime so), where host cgroups and /run are not writable.
func Rootless() bool {
	if forced != nil {
		return *forced
	}
	if os.Geteuid() != 0 {
		return true
	}
	return InUserNS()
}

// InUserNS reports whether this process is outside the initial user
// namespace, whose uid_map is the identity over the whole range. A process
// does not change user namespace (hutch never does), so the file is read
// once.
var InUserNS = sync.OnceValue(inUserNS)

func inUserNS() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil {
		return false
	}
	f := bytes.Fields(data)
	return !(len(f) == 3 && string(f[0]) == "0" && string(f[1]) == "0" && string(f[2]) == "4294967295")
}
