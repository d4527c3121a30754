package libcontainer

import (
	"path"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"

	"github.com/hutch-runtime/hutch/libcontainer/cgroups"
)

// Annotations a rootless container's state carries about its limits: which
// linux.resources groups the config asked for and which are in force
// (comma-separated, sorted; "" when none). See docs/rootless.md.
const (
	AnnCgroupsRequested = "hutch.cgroups.requested"
	AnnCgroupsApplied   = "hutch.cgroups.applied"
)

// requestedLimits names the linux.resources groups that are set. Device
// rules are not limits here: a rootless container only has the nodes bound
// into it.
func requestedLimits(r *specs.LinuxResources) []string {
	if r == nil {
		return nil
	}
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(r.BlockIO != nil, "blockIO")
	add(r.CPU != nil, "cpu")
	add(len(r.HugepageLimits) > 0, "hugepageLimits")
	add(r.Memory != nil, "memory")
	add(r.Network != nil, "network")
	add(r.Pids != nil, "pids")
	add(len(r.Rdma) > 0, "rdma")
	add(len(r.Unified) > 0, "unified")
	return out
}

// setupRootlessCgroup puts an unprivileged caller's container into a
// delegated cgroup v2 subtree when the caller owns one; otherwise the
// container runs without a cgroup (and without limits), which is logged once
// and recorded in the state's annotations.
func (p *initLauncher) setupRootlessCgroup() error {
	var res *specs.LinuxResources
	if p.spec.Linux != nil {
		res = p.spec.Linux.Resources
	}
	req := requestedLimits(res)
	p.cgroupAnn = map[string]string{AnnCgroupsRequested: strings.Join(req, ","), AnnCgroupsApplied: ""}
	parent, ok := cgroups.DelegatedParent()
	if !ok {
		if len(req) > 0 {
			logrus.Warnf("linux.resources: running without cgroup limits (%s): not root and no delegated cgroup v2 subtree", strings.Join(req, ","))
		}
		return nil
	}
	m, err := cgroups.New(path.Join(parent, "hutch-"+p.opts.ID), p.opts.ID)
	if err != nil {
		return err
	}
	if err := m.Create(); err != nil {
		return err
	}
	p.useCgroup(m)
	if res == nil {
		return nil
	}
	r := *res
	r.Devices = nil // not ours to enforce without root; see requestedLimits
	if err := m.Set(&r); err != nil {
		logrus.Warnf("linux.resources: delegated cgroup %s refused the limits, running without them: %v", m.Paths()[""], err)
		return nil
	}
	p.cgroupAnn[AnnCgroupsApplied] = strings.Join(req, ",")
	return nil
}

// stateAnnotations is the config's annotations plus hutch's own, in a new
// map (the spec's is shared with hooks' state).
func (p *initLauncher) stateAnnotations() map[string]string {
	if len(p.cgroupAnn) == 0 {
		return p.spec.Annotations
	}
	out := make(map[string]string, len(p.spec.Annotations)+len(p.cgroupAnn))
	for k, v := range p.spec.Annotations {
		out[k] = v
	}
	for k, v := range p.cgroupAnn {
		out[k] = v
	}
	return out
}
