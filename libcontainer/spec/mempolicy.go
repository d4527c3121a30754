package spec

import (
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// MaxNUMANodes is the largest MAX_NUMNODES of a kernel (CONFIG_NODES_SHIFT
// is at most 10): a node number from 1024 on names no node anywhere.
const MaxNUMANodes = 1024

var mempolicyModes = map[specs.MemoryPolicyModeType]int{
	specs.MpolDefault: unix.MPOL_DEFAULT, specs.MpolBind: unix.MPOL_BIND,
	specs.MpolInterleave: unix.MPOL_INTERLEAVE, specs.MpolWeightedInterleave: unix.MPOL_WEIGHTED_INTERLEAVE,
	specs.MpolPreferred: unix.MPOL_PREFERRED, specs.MpolPreferredMany: unix.MPOL_PREFERRED_MANY,
	specs.MpolLocal: unix.MPOL_LOCAL,
}

var mempolicyFlags = map[specs.MemoryPolicyFlagType]int{
	specs.MpolFNumaBalancing: unix.MPOL_F_NUMA_BALANCING, specs.MpolFRelativeNodes: unix.MPOL_F_RELATIVE_NODES,
	specs.MpolFStaticNodes: unix.MPOL_F_STATIC_NODES,
}

// MemoryPolicyModes and MemoryPolicyFlags are the names hutch applies, sorted
// (`hutch features`).
func MemoryPolicyModes() []string { return sortedNames(mempolicyModes) }
func MemoryPolicyFlags() []string { return sortedNames(mempolicyFlags) }

func sortedNames[K ~string](m map[K]int) []string {
	out := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		out = append(out, string(k))
	}
	slices.Sort(out)
	return out
}

// MemoryPolicy is linux.memoryPolicy as set_mempolicy(2) takes it.
type MemoryPolicy struct {
	Mode  int // MPOL_*
	Flags int // MPOL_F_*, or'ed
	// Nodes is the node mask: node n is bit n%64 of Nodes[n/64].
	Nodes [MaxNUMANodes / 64]uint64
}

// ParseMemoryPolicy converts a linux.memoryPolicy that Validate accepted
// (an error here means it was not validated).
func ParseMemoryPolicy(p *specs.LinuxMemoryPolicy) (*MemoryPolicy, error) {
	var errs errList
	mp := parseMemoryPolicy(&errs, p)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return mp, nil
}

// parseMemoryPolicy follows set_mempolicy(2), as runc does: MPOL_DEFAULT
// and MPOL_LOCAL take no nodes, MPOL_PREFERRED zero or more (none is local
// allocation), the other modes at least one. What depends on the host
// (a node not online, not in the cgroup's cpuset.mems, a flag this kernel
// does not know) is left to the kernel, whose error names the field too.
func parseMemoryPolicy(errs *errList, p *specs.LinuxMemoryPolicy) *MemoryPolicy {
	mp := &MemoryPolicy{}
	n := len(*errs)
	mode, ok := mempolicyModes[p.Mode]
	switch {
	case p.Mode == "":
		errs.add("linux.memoryPolicy.mode: required (one of %s)", strings.Join(MemoryPolicyModes(), ", "))
	case !ok:
		errs.add("linux.memoryPolicy.mode: unknown mode %q (want one of %s)", p.Mode, strings.Join(MemoryPolicyModes(), ", "))
	}
	mp.Mode = mode
	empty := parseNodes(errs, p.Nodes, &mp.Nodes)
	if ok && len(*errs) == n {
		switch p.Mode {
		case specs.MpolDefault, specs.MpolLocal:
			if !empty {
				errs.add("linux.memoryPolicy.nodes: %s takes no nodes, got %q", p.Mode, p.Nodes)
			}
		case specs.MpolPreferred:
		default:
			if empty {
				errs.add("linux.memoryPolicy.nodes: %s needs at least one node", p.Mode)
			}
		}
	}
	for i, f := range p.Flags {
		v, ok := mempolicyFlags[f]
		if !ok {
			errs.add("linux.memoryPolicy.flags[%d]: unknown flag %q (want one of %s)", i, f, strings.Join(MemoryPolicyFlags(), ", "))
		}
		mp.Flags |= v
	}
	const both = unix.MPOL_F_STATIC_NODES | unix.MPOL_F_RELATIVE_NODES
	if mp.Flags&both == both {
		errs.add("linux.memoryPolicy.flags: %s and %s exclude each other", specs.MpolFStaticNodes, specs.MpolFRelativeNodes)
	}
	return mp
}

// parseNodes sets the nodes of a list such as "0-3,7" in mask and reports
// whether it names none. As runc's parser: spaces around an element and
// empty elements are allowed, but a list that is not empty must name a node.
func parseNodes(errs *errList, list string, mask *[MaxNUMANodes / 64]uint64) (empty bool) {
	if strings.TrimSpace(list) == "" {
		return true
	}
	num := func(s string) (int, bool) {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			errs.add("linux.memoryPolicy.nodes: %q in %q is not a node number", s, list)
			return 0, false
		}
		if v >= MaxNUMANodes {
			errs.add("linux.memoryPolicy.nodes: node %d in %q is beyond %d (a kernel has at most %d nodes)", v, list, MaxNUMANodes-1, MaxNUMANodes)
			return 0, false
		}
		return int(v), true
	}
	named := false
	for _, el := range strings.Split(list, ",") {
		el = strings.TrimSpace(el)
		if el == "" {
			continue
		}
		named = true
		lo, hi, isRange := strings.Cut(el, "-")
		a, ok := num(lo)
		if !ok {
			continue
		}
		b := a
		if isRange {
			if b, ok = num(hi); !ok {
				continue
			}
			if b < a {
				errs.add("linux.memoryPolicy.nodes: range %q in %q ends before it starts", el, list)
				continue
			}
		}
		for n := a; n <= b; n++ {
			if n%64 == 0 && n+63 <= b {
				mask[n/64] = ^uint64(0)
				n += 63
				continue
			}
			mask[n/64] |= 1 << (n % 64)
		}
	}
	if !named {
		errs.add("linux.memoryPolicy.nodes: %q names no node", list)
		return false
	}
	for _, w := range mask {
		if w != 0 {
			return false
		}
	}
	return true
}
