// Package sysctl validates and writes linux.sysctl entries. Only sysctls
// that belong to a namespace the container owns may be set: anything else
// would change the host.
package sysctl

import (
	"fmt"
	"sort"
	"strings"
)

// ipcKeys are the kernel.* sysctls that live in the IPC namespace.
var ipcKeys = map[string]bool{
	"kernel.msgmax":          true,
	"kernel.msgmnb":          true,
	"kernel.msgmni":          true,
	"kernel.sem":             true,
	"kernel.shmall":          true,
	"kernel.shmmax":          true,
	"kernel.shmmni":          true,
	"kernel.shm_rmid_forced": true,
}

// utsKeys are the sysctls that live in the UTS namespace.
var utsKeys = map[string]bool{
	"kernel.hostname":   true,
	"kernel.domainname": true,
}

// Validate refuses keys that are malformed, not namespaced, or that belong
// to a namespace the container does not have of its own. newIPC, newNet
// and newUTS say whether the container has its own namespace of that type
// (created for it, or joined by path when that path is not the host's).
func Validate(m map[string]string, newIPC, newNet, newUTS bool) error {
	for _, k := range sortedKeys(m) {
		field := fmt.Sprintf("linux.sysctl[%q]", k)
		if err := checkKey(k); err != nil {
			return fmt.Errorf("%s: %w", field, err)
		}
		var ns string
		var have bool
		switch {
		case ipcKeys[k] || strings.HasPrefix(k, "fs.mqueue."):
			ns, have = "ipc", newIPC
		case strings.HasPrefix(k, "net."):
			ns, have = "network", newNet
		case utsKeys[k]:
			ns, have = "uts", newUTS
		default:
			return fmt.Errorf("%s: not a namespaced sysctl, refusing to set it on the host", field)
		}
		if !have {
			return fmt.Errorf("%s: belongs to the %s namespace but the container does not have its own (a %q entry in linux.namespaces, new or joined by a path that is not the runtime's own namespace), refusing to set it on the host", field, ns, ns)
		}
	}
	return nil
}

// checkKey rejects keys that could name anything outside /proc/sys once
// dots become slashes.
func checkKey(k string) error {
	switch {
	case k == "":
		return fmt.Errorf("key must not be empty")
	case strings.Contains(k, "/"):
		return fmt.Errorf("key must use '.' separators and not contain '/'")
	case strings.Contains(k, ".."):
		return fmt.Errorf("key must not contain \"..\"")
	case strings.HasPrefix(k, ".") || strings.HasSuffix(k, "."):
		return fmt.Errorf("key must not start or end with '.'")
	case strings.ContainsRune(k, 0):
		return fmt.Errorf("key must not contain NUL")
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
