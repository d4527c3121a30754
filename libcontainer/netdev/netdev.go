// Package netdev moves host network devices into a container's network
// namespace (linux.netDevices, runtime-spec 1.3), over raw rtnetlink.
//
// Each device is moved and renamed by one RTM_NEWLINK (IFLA_NET_NS_FD +
// IFLA_IFNAME), its permanent global addresses are re-added on the other
// side (a move flushes them), and it is set up. Nothing moves it back when
// the container ends: as the spec says, the kernel returns a physical
// device to the initial namespace when the netns is freed and destroys a
// virtual one. Only a failed create moves back what it had moved.
package netdev

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"
)

// Validate checks the names in linux.netDevices, without syscalls.
// ownNetNS tells whether the config gives the container a network
// namespace of its own (new, or joined by a path that is not the
// runtime's): without one there is nowhere to move to.
func Validate(devs map[string]specs.LinuxNetDevice, ownNetNS bool) error {
	if len(devs) == 0 {
		return nil
	}
	if !ownNetNS {
		return errors.New("linux.netDevices: needs a network namespace of the container's own in linux.namespaces, new or joined by a path that is not the host's (the devices would stay on the host)")
	}
	if os.Geteuid() != 0 {
		return errors.New("linux.netDevices: moving host network devices needs root")
	}
	var errs []error
	targets := map[string]string{}
	for _, host := range sorted(devs) {
		if err := validName(host, false); err != nil {
			errs = append(errs, fmt.Errorf("linux.netDevices[%q]: host device name: %w", host, err))
		}
		target := targetName(host, devs[host])
		if err := validName(target, true); err != nil {
			errs = append(errs, fmt.Errorf("linux.netDevices[%q].name: %w", host, err))
			continue
		}
		if other, dup := targets[target]; dup && !strings.Contains(target, "%") {
			errs = append(errs, fmt.Errorf("linux.netDevices[%q].name: %q is also the name of %q in the container", host, target, other))
		}
		targets[target] = host
	}
	return errors.Join(errs...)
}

// validName follows the kernel's dev_valid_name; a container-side name may
// be a template with one %d, which the kernel fills in.
func validName(name string, template bool) error {
	switch {
	case name == "":
		return errors.New("empty")
	case len(name) >= unix.IFNAMSIZ:
		return fmt.Errorf("%q is longer than %d bytes", name, unix.IFNAMSIZ-1)
	case name == "." || name == "..":
		return fmt.Errorf("%q is not a device name", name)
	case strings.ContainsAny(name, "/: \t\n\v\f\r"):
		return fmt.Errorf("%q contains '/', ':' or white space", name)
	case strings.Contains(name, "%") && (!template || strings.Count(name, "%") != 1 || !strings.Contains(name, "%d")):
		return fmt.Errorf("%q: '%%' is only allowed as a single %%d template in the container-side name", name)
	}
	return nil
}

func targetName(host string, d specs.LinuxNetDevice) string {
	if d.Name != "" {
		return d.Name
	}
	return host
}

func sorted(devs map[string]specs.LinuxNetDevice) []string {
	names := make([]string, 0, len(devs))
	for n := range devs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CheckHost fails, naming the device, when one of devs is not a network
// device of the caller's network namespace: checked before anything is
// created or moved.
func CheckHost(devs map[string]specs.LinuxNetDevice) error {
	if len(devs) == 0 {
		return nil
	}
	c, err := dial()
	if err != nil {
		return fmt.Errorf("linux.netDevices: %w", err)
	}
	defer c.close()
	for _, host := range sorted(devs) {
		if _, err := c.getLink(0, host); err != nil {
			if errors.Is(err, unix.ENODEV) {
				return fmt.Errorf("linux.netDevices[%q]: no such network device on the host", host)
			}
			return fmt.Errorf("linux.netDevices[%q]: look up the host device: %w", host, err)
		}
	}
	return nil
}

type moved struct {
	host  string
	index int32 // in the container's namespace
	wasUp bool
	addrs []address
}

// Moved is the set of devices Move moved: Close when the create succeeds,
// Rollback when it fails.
type Moved struct {
	hostNS, ctNS *os.File
	host, ct     *conn
	devs         []moved
}

// Move moves every device of devs into the network namespace of process
// pid, renamed, with its permanent global addresses, and sets it up. On
// error, what was moved is moved back.
func Move(devs map[string]specs.LinuxNetDevice, pid int) (m *Moved, err error) {
	if len(devs) == 0 {
		return nil, nil
	}
	m = &Moved{}
	defer func() {
		if err != nil {
			m.Rollback()
			m = nil
		}
	}()
	if m.hostNS, err = os.Open("/proc/self/ns/net"); err != nil {
		return m, fmt.Errorf("linux.netDevices: %w", err)
	}
	if m.ctNS, err = os.Open(fmt.Sprintf("/proc/%d/ns/net", pid)); err != nil {
		return m, fmt.Errorf("linux.netDevices: the container's network namespace: %w", err)
	}
	var hs, cs unix.Stat_t
	if err := unix.Fstat(int(m.hostNS.Fd()), &hs); err != nil {
		return m, err
	}
	if err := unix.Fstat(int(m.ctNS.Fd()), &cs); err != nil {
		return m, err
	}
	if hs.Dev == cs.Dev && hs.Ino == cs.Ino {
		return m, errors.New("linux.netDevices: the container's network namespace is the host's (linux.namespaces joins it): the devices would not move")
	}
	if m.host, err = dial(); err != nil {
		return m, fmt.Errorf("linux.netDevices: %w", err)
	}
	if m.ct, err = dialIn(int(m.ctNS.Fd())); err != nil {
		return m, fmt.Errorf("linux.netDevices: %w", err)
	}
	for _, host := range sorted(devs) {
		if err := m.moveOne(host, targetName(host, devs[host])); err != nil {
			return m, fmt.Errorf("linux.netDevices[%q]: %w", host, err)
		}
	}
	return m, nil
}

func (m *Moved) moveOne(host, target string) error {
	l, err := m.host.getLink(0, host)
	if err != nil {
		if errors.Is(err, unix.ENODEV) {
			return errors.New("no such network device on the host")
		}
		return fmt.Errorf("look up the host device: %w", err)
	}
	addrs, err := m.host.permanentGlobal(l.index)
	if err != nil {
		return fmt.Errorf("list the addresses of %s: %w", host, err)
	}
	template := strings.Contains(target, "%")
	if !template {
		if _, err := m.ct.getLink(0, target); err == nil {
			return fmt.Errorf("a device named %q already exists in the container's network namespace", target)
		}
	}
	newName := target
	if newName == host {
		newName = ""
	}
	if err := m.host.moveLink(l.index, int(m.ctNS.Fd()), newName); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("move into the container as %q: a device of that name (or index) already exists there", target)
		}
		return fmt.Errorf("move into the container as %q: %w", target, err)
	}
	// The kernel keeps the index unless the namespace already uses it.
	in, err := m.ct.getLink(l.index, "")
	if err != nil && !template {
		in, err = m.ct.getLink(0, target)
	}
	if err != nil {
		return fmt.Errorf("find %q in the container after the move: %w", target, err)
	}
	m.devs = append(m.devs, moved{host: host, index: in.index, wasUp: l.flags&unix.IFF_UP != 0, addrs: addrs})
	for _, a := range addrs {
		if err := m.ct.addAddr(in.index, a); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("restore an address of %s in the container: %w", host, err)
		}
	}
	if err := m.ct.setUp(in.index); err != nil {
		return fmt.Errorf("set %s up in the container: %w", in.name, err)
	}
	return nil
}

// Close releases the namespace handles and sockets; the devices stay.
func (m *Moved) Close() {
	if m == nil {
		return
	}
	if m.host != nil {
		m.host.close()
	}
	if m.ct != nil {
		m.ct.close()
	}
	if m.hostNS != nil {
		m.hostNS.Close()
	}
	if m.ctNS != nil {
		m.ctNS.Close()
	}
}

// Rollback moves the devices moved so far back to the host under their
// host names, with their addresses and up state, then closes.
func (m *Moved) Rollback() {
	if m == nil {
		return
	}
	defer m.Close()
	for i := len(m.devs) - 1; i >= 0; i-- {
		d := m.devs[i]
		if err := m.ct.moveLink(d.index, int(m.hostNS.Fd()), d.host); err != nil {
			logrus.Warnf("linux.netDevices[%q]: move back to the host: %v", d.host, err)
			continue
		}
		l, err := m.host.getLink(0, d.host)
		if err != nil {
			logrus.Warnf("linux.netDevices[%q]: find it back on the host: %v", d.host, err)
			continue
		}
		for _, a := range d.addrs {
			if err := m.host.addAddr(l.index, a); err != nil && !errors.Is(err, unix.EEXIST) {
				logrus.Warnf("linux.netDevices[%q]: restore an address on the host: %v", d.host, err)
			}
		}
		if d.wasUp {
			if err := m.host.setUp(l.index); err != nil {
				logrus.Warnf("linux.netDevices[%q]: set up on the host: %v", d.host, err)
			}
		}
	}
	m.devs = nil
}
