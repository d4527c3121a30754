package cgroups

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func (m *manager) setHugetlb(r *specs.LinuxResources) error {
	for i, h := range r.HugepageLimits {
		field := fmt.Sprintf("hugepageLimits[%d]", i)
		if _, err := pageSizeKB(h.Pagesize); err != nil {
			return fmt.Errorf("linux.resources.%s.pageSize: %w", field, err)
		}
		dir, v2, err := m.need(field, "hugetlb")
		if err != nil {
			return err
		}
		limit, rsvd := "hugetlb."+h.Pagesize+".limit_in_bytes", "hugetlb."+h.Pagesize+".rsvd.limit_in_bytes"
		if v2 {
			limit, rsvd = "hugetlb."+h.Pagesize+".max", "hugetlb."+h.Pagesize+".rsvd.max"
		}
		val := strconv.FormatUint(h.Limit, 10)
		if err := set(field+".limit", dir, limit, val); err != nil {
			return err
		}
		// The spec prefers reservation limits where the kernel has them:
		// they fail at mmap time instead of SIGBUS at fault time.
		if fileExists(dir, rsvd) {
			if err := set(field+".limit", dir, rsvd, val); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *manager) setNetwork(r *specs.LinuxResources) error {
	n := r.Network
	if n == nil {
		return nil
	}
	if n.ClassID != nil {
		dir, v2, err := m.need("network.classID", "net_cls")
		if err != nil {
			return err
		}
		if v2 {
			return fmt.Errorf("linux.resources.network.classID: not supported by this host (no v1 net_cls controller)")
		}
		if err := set("network.classID", dir, "net_cls.classid", strconv.FormatUint(uint64(*n.ClassID), 10)); err != nil {
			return err
		}
	}
	for i, p := range n.Priorities {
		field := fmt.Sprintf("network.priorities[%d]", i)
		dir, v2, err := m.need(field, "net_prio")
		if err != nil {
			return err
		}
		if v2 {
			return fmt.Errorf("linux.resources.%s: not supported by this host (no v1 net_prio controller)", field)
		}
		if err := set(field, dir, "net_prio.ifpriomap", fmt.Sprintf("%s %d", p.Name, p.Priority)); err != nil {
			return err
		}
	}
	return nil
}

func (m *manager) setRdma(r *specs.LinuxResources) error {
	if len(r.Rdma) == 0 {
		return nil
	}
	names := make([]string, 0, len(r.Rdma))
	for k := range r.Rdma {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		field := fmt.Sprintf("rdma[%q]", name)
		dir, _, err := m.need(field, "rdma")
		if err != nil {
			return err
		}
		l := r.Rdma[name]
		var parts []string
		if l.HcaHandles != nil {
			parts = append(parts, fmt.Sprintf("hca_handle=%d", *l.HcaHandles))
		}
		if l.HcaObjects != nil {
			parts = append(parts, fmt.Sprintf("hca_object=%d", *l.HcaObjects))
		}
		if len(parts) == 0 {
			continue
		}
		if err := set(field, dir, "rdma.max", name+" "+strings.Join(parts, " ")); err != nil {
			return err
		}
	}
	return nil
}

// unifiedKeyErr rejects keys that are not plain control files of the
// container's own cgroup or that would move processes rather than set limits.
func unifiedKeyErr(k string) error {
	switch {
	case k == "" || k == "." || k == ".." || strings.ContainsAny(k, "/\x00"):
		return fmt.Errorf("linux.resources.unified[%q]: not a cgroup file name", k)
	case k == "cgroup.procs" || k == "cgroup.threads" || k == "cgroup.kill" || k == "cgroup.freeze":
		return fmt.Errorf("linux.resources.unified[%q]: not a resource setting", k)
	case !strings.Contains(k, "."):
		return fmt.Errorf("linux.resources.unified[%q]: not a cgroup file name (want <controller>.<file>)", k)
	}
	return nil
}

func (m *manager) setUnified(r *specs.LinuxResources) error {
	if len(r.Unified) == 0 {
		return nil
	}
	keys := make([]string, 0, len(r.Unified))
	for k := range r.Unified {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dir, ok := m.paths[""]
	for _, k := range keys {
		if err := unifiedKeyErr(k); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("linux.resources.unified[%q]: not supported by this host (no cgroup v2 hierarchy)", k)
		}
		if err := set(fmt.Sprintf("unified[%q]", k), dir, k, r.Unified[k]); err != nil {
			return err
		}
	}
	return nil
}
