package cgroups

import (
	"golang.org/x/sys/unix"
)

// SignalAll sends sig to every process of the cgroup so that none escapes
// by forking while the list is walked. On pure cgroup2 with cgroup.kill
// (5.14+), SIGKILL is one write. Otherwise the cgroup is frozen while its
// members are signalled and thawed after (left frozen if it already was,
// unless sig is SIGKILL, which a frozen v1 task only takes once thawed).
// Without a freezer the members are signalled as listed. Only for a
// cgroup the container owns: every member is killed.
func (m *manager) SignalAll(sig unix.Signal) error {
	if d, ok := m.paths[""]; ok && sig == unix.SIGKILL && len(m.v1Dirs()) == 0 && fileExists(d, "cgroup.kill") {
		if err := writeFile(d, "cgroup.kill", "1"); err == nil {
			return nil
		}
	}
	wasFrozen, _ := m.IsFrozen()
	frozen := wasFrozen || m.Freeze() == nil
	pids, err := m.GetPids()
	for _, pid := range pids {
		unix.Kill(pid, sig)
	}
	if frozen && (!wasFrozen || sig == unix.SIGKILL) {
		if terr := m.Thaw(); err == nil {
			err = terr
		}
	}
	return err
}
