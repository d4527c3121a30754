package userns

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// subRange is one "name:start:count" line of /etc/subuid or /etc/subgid.
type subRange struct{ start, count uint64 }

// readSubIDs returns the ranges of file that belong to the user name or uid.
func readSubIDs(file, name string, id int) ([]subRange, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []subRange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 || (fields[0] != name && fields[0] != strconv.Itoa(id)) {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 == nil && err2 == nil && count > 0 {
			out = append(out, subRange{start, count})
		}
	}
	return out, sc.Err()
}

// checkSubIDs tells, before newuidmap does less clearly, which entry of m
// maps host ids that are neither the caller's own id nor in its ranges.
func checkSubIDs(field, file string, m []specs.LinuxIDMapping, own int, ranges []subRange) error {
	for i, e := range m {
		lo, hi := uint64(e.HostID), uint64(e.HostID)+uint64(e.Size)
		if e.Size == 1 && int(e.HostID) == own {
			continue
		}
		ok := false
		for _, r := range ranges {
			if lo >= r.start && hi <= r.start+r.count {
				ok = true
				break
			}
		}
		if !ok {
			have := "none"
			if len(ranges) > 0 {
				var s []string
				for _, r := range ranges {
					s = append(s, fmt.Sprintf("%d-%d", r.start, r.start+r.count-1))
				}
				have = strings.Join(s, ", ")
			}
			return fmt.Errorf("%s[%d]: host ids %d-%d are not yours: neither your own id %d nor in your ranges in %s (%s)", field, i, lo, hi-1, own, file, have)
		}
	}
	return nil
}

// precheck verifies both maps against /etc/subuid and /etc/subgid. A
// missing file is left to newuidmap (it may use another source, e.g. sssd).
func precheck(uids, gids []specs.LinuxIDMapping, euid, egid int) error {
	name := strconv.Itoa(euid)
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	for _, c := range []struct {
		field, file string
		m           []specs.LinuxIDMapping
		own         int
	}{{"linux.uidMappings", "/etc/subuid", uids, euid}, {"linux.gidMappings", "/etc/subgid", gids, egid}} {
		ranges, err := readSubIDs(c.file, name, c.own)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.field, err)
		}
		if err := checkSubIDs(c.field, c.file, c.m, c.own, ranges); err != nil {
			return err
		}
	}
	return nil
}
