package plan

import (
	"fmt"
	"strconv"
	"strings"
)

// Bootstrap is the namespace plan, the first message to an init (B): the C
// constructor carries it out before anything else (nsenter/nsenter.c,
// decoded by nsenter/bootstrap.c), in its own order: the namespaces to
// join (the user namespace first), the user namespace to create and its
// maps, the other namespaces, the wait for the cgroup, time offsets, the memory policy, the session
// keyring, the fork into a pid namespace, then the process executor.
// Its records are the process plan's.
type Bootstrap struct{ b builder }

// Join joins the namespace of type typ ("mount", "pid", ...) that the
// init has as fd.
func (p *Bootstrap) Join(typ string, fd int) { p.b.add('j', typ+"\x00@"+strconv.Itoa(fd)) }

// Clone creates the namespaces of flags (CLONE_NEW*).
func (p *Bootstrap) Clone(flags int) { p.b.add('c', strconv.Itoa(flags)) }

// Maps: the new user namespace waits for its maps (NeedMaps, MapsDone).
func (p *Bootstrap) Maps() { p.b.add('u', "") }

// WaitCgroup: the parent moves the init into its cgroup while it makes
// the namespaces; the init waits for that (CgroupDone) before it makes a
// cgroup namespace or forks into the pid namespace.
func (p *Bootstrap) WaitCgroup() { p.b.add('g', "") }

// TimeOffset is one line of /proc/self/timens_offsets.
func (p *Bootstrap) TimeOffset(clock string, secs int64, nsecs uint32) {
	p.b.add('t', fmt.Sprintf("%s %d %d", clock, secs, nsecs))
}

// Mempolicy is set_mempolicy(2)'s mode, its MPOL_F_* flags and the node
// mask in 64-bit words, lowest nodes first.
func (p *Bootstrap) Mempolicy(mode int, flags uint, words []uint64) {
	w := make([]string, len(words))
	for i, x := range words {
		w[i] = fmt.Sprintf("%#x", x)
	}
	p.b.add('m', fmt.Sprintf("%d %d %s", mode, flags, strings.Join(w, ",")))
}

// NoDump keeps the init undumpable in the container's user namespace.
func (p *Bootstrap) NoDump() { p.b.add('d', "") }

// Keyring joins the session keyring name; serial, when not 0, is the one
// the container init has, the only one an exec may share.
func (p *Bootstrap) Keyring(name string, serial int32) {
	if serial != 0 {
		name += " " + strconv.Itoa(int(serial))
	}
	p.b.add('k', name)
}

// Fork: the init is a child in the new or joined pid (or time) namespace.
func (p *Bootstrap) Fork() { p.b.add('f', "") }

// Process: after the pid, the process executor reads the process plan.
func (p *Bootstrap) Process() { p.b.add('x', "") }

// Bytes is the encoded plan.
func (p *Bootstrap) Bytes() []byte { return p.b.buf }
