package libcontainer

import (
	"slices"
	"strings"

	"github.com/sirupsen/logrus"
)

// setupSystemdCgroup prepares the --systemd-cgroup driver (connecting to
// systemd since Create began): it keeps the limits for the unit's start,
// which needs the init's pid (Apply, in start). The record gets the unit's name before
// the unit exists, so that delete finds it after a create killed
// half-way. For the user's manager (rootless), only the limits of the
// controllers it delegates apply: the others are dropped with a warning,
// and the state's hutch.cgroups.* annotations say which (docs/rootless.md).
func (p *initLauncher) setupSystemdCgroup() error {
	m := p.sd
	p.useCgroup(m)
	res := p.resources()
	if !m.User() {
		return m.Set(res)
	}
	req := requestedLimits(p.spec.Linux.Resources)
	p.cgroupAnn = map[string]string{AnnCgroupsRequested: strings.Join(req, ","), AnnCgroupsApplied: ""}
	res.Devices = nil // not ours to enforce without root; see requestedLimits
	return m.Set(res)
}

// systemdApplied records, once the user's scope runs, which limits it
// has.
func (p *initLauncher) systemdApplied() {
	if p.sd == nil || !p.sd.User() {
		return
	}
	var applied []string
	for _, g := range strings.Split(p.cgroupAnn[AnnCgroupsRequested], ",") {
		if g != "" && !slices.Contains(p.sd.Dropped(), g) {
			applied = append(applied, g)
		}
	}
	p.cgroupAnn[AnnCgroupsApplied] = strings.Join(applied, ",")
	if d := p.sd.Dropped(); len(d) > 0 {
		logrus.Warnf("linux.resources: running without cgroup limits (%s): the user's systemd does not delegate their controllers to %s", strings.Join(d, ","), p.sd.Unit())
	}
}
