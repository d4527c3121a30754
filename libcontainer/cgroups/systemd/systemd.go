// Package systemd is the D-Bus side of the --systemd-cgroup driver: it
// connects to systemd's manager (the system one, or the user's), starts a
// transient unit and waits for its job, sets and reads unit properties,
// stops a unit and resets its failed state. It knows nothing about cgroup
// files or the runtime-spec: libcontainer/cgroups builds the properties and
// does the rest. The protocol is godbus's, the manager API go-systemd's.
package systemd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

// Property is one unit property: a name and a D-Bus variant.
type Property = sd.Property

// Prop makes a property; v's Go type decides the D-Bus type (uint64 is
// "t", bool "b", string "s", []byte "ay", ...), which must be the one
// systemd expects for name.
func Prop(name string, v any) Property {
	return Property{Name: name, Value: dbus.MakeVariant(v)}
}

// jobTimeout bounds the wait for a start or stop job. A scope's start job
// runs no program, it only moves the pids, so it takes milliseconds.
const jobTimeout = 30 * time.Second

// Conn is a connection to one systemd manager.
type Conn struct {
	c *sd.Conn
	// calls is the connection go-systemd sends method calls on, kept to
	// pipeline several property reads in one round trip.
	calls   *dbus.Conn
	user    bool
	version int
}

// Connect connects to the system manager, or with user to the calling
// user's manager. The system manager is reached on its private socket
// (/run/systemd/private: no bus daemon in between, no Hello), or through
// the system bus if that fails. The user's is reached through the user's
// bus: $DBUS_SESSION_BUS_ADDRESS, else $XDG_RUNTIME_DIR/bus.
func Connect(user bool) (*Conn, error) {
	if user {
		addr, err := UserBusAddress()
		if err != nil {
			return nil, err
		}
		c, err := connect(addr, true)
		if err != nil {
			return nil, fmt.Errorf("connect to the user's systemd at %s: %w", addr, err)
		}
		c.user = true
		return c, nil
	}
	c, err := connect("unix:path=/run/systemd/private", false)
	if err == nil {
		return c, nil
	}
	addr := os.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
	if addr == "" {
		addr = "unix:path=/run/dbus/system_bus_socket"
	}
	c, berr := connect(addr, true)
	if berr != nil {
		return nil, fmt.Errorf("connect to systemd: /run/systemd/private: %v; system bus %s: %w", err, addr, berr)
	}
	return c, nil
}

// connect makes go-systemd's two connections (one for calls, one for the
// job signals), both dialled at once: the authentication is most of the
// time a connection takes (about 1.5 ms each with systemd 252).
func connect(addr string, hello bool) (*Conn, error) {
	type dialed struct {
		conn *dbus.Conn
		err  error
	}
	ch := make(chan dialed, 2)
	dial := func() {
		conn, err := dbus.Dial(addr)
		if err == nil {
			// EXTERNAL with the uid as a number: no user name lookup.
			err = conn.Auth([]dbus.Auth{dbus.AuthExternal(strconv.Itoa(os.Getuid()))})
			if err == nil && hello {
				err = conn.Hello()
			}
			if err != nil {
				conn.Close()
				conn = nil
			}
		}
		ch <- dialed{conn, err}
	}
	go dial()
	go dial()
	c := &Conn{}
	taken := 0
	sc, err := sd.NewConnection(func() (*dbus.Conn, error) {
		d := <-ch
		taken++
		if c.calls == nil {
			c.calls = d.conn // go-systemd takes its call connection first
		}
		return d.conn, d.err
	})
	if err != nil {
		for ; taken < 2; taken++ {
			if d := <-ch; d.conn != nil {
				d.conn.Close()
			}
		}
		return nil, err
	}
	c.c = sc
	return c, nil
}

// UserBusAddress is the user's bus: $DBUS_SESSION_BUS_ADDRESS, else
// $XDG_RUNTIME_DIR/bus when that socket exists.
func UserBusAddress() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" {
		return a, nil
	}
	if xdg := os.Getenv("XDG_RUNTIME_DIR"); xdg != "" {
		p := filepath.Join(xdg, "bus")
		if _, err := os.Stat(p); err == nil {
			return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
		}
		return "", fmt.Errorf("no user bus: $DBUS_SESSION_BUS_ADDRESS is not set and %s does not exist (is the user's systemd and dbus running? a login session starts them)", p)
	}
	return "", errors.New("no user bus: neither $DBUS_SESSION_BUS_ADDRESS nor $XDG_RUNTIME_DIR is set")
}

// Close closes the connection.
func (c *Conn) Close() {
	if c != nil && c.c != nil {
		c.c.Close()
	}
}

// User reports whether this is the user's manager.
func (c *Conn) User() bool { return c.user }

// Version is the manager's version number (252 for "252.38-1~deb12u1"),
// or 0 when it cannot be read.
func (c *Conn) Version() int {
	if c.version != 0 {
		return c.version
	}
	c.version = -1
	v, err := c.c.GetManagerProperty("Version")
	if err == nil {
		s, _ := strconv.Unquote(v)
		s = strings.TrimLeft(s, "v")
		end := 0
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
		}
		if n, err := strconv.Atoi(s[:end]); err == nil {
			c.version = n
		}
	}
	return max(c.version, 0)
}

// ManagerControlGroup is the cgroup of the manager itself, relative to the
// cgroup root ("/user.slice/user-1000.slice/user@1000.service" for a
// user's).
func (c *Conn) ManagerControlGroup() (string, error) {
	v, err := c.c.GetManagerProperty("ControlGroup")
	if err != nil {
		return "", fmt.Errorf("systemd: read the manager's ControlGroup: %w", err)
	}
	s, err := strconv.Unquote(v)
	if err != nil {
		return "", fmt.Errorf("systemd: the manager's ControlGroup %s: %w", v, err)
	}
	return s, nil
}

// ErrUnitExists: a unit of that name is loaded already.
var ErrUnitExists = errors.New("unit exists")

func isDBusError(err error, name string) bool {
	var e dbus.Error
	return errors.As(err, &e) && e.Name == name
}

// Start starts transient unit name with props and waits for its job. A
// job that does not end in "done" leaves a failed unit, whose failed
// state is reset before the error returns, so the name is free again.
// A name that is loaded already gives an error wrapping ErrUnitExists:
// that unit is not this call's, it is not touched.
func (c *Conn) Start(ctx context.Context, name string, props []Property) error {
	done := make(chan string, 1)
	if _, err := c.c.StartTransientUnitContext(ctx, name, "replace", props, done); err != nil {
		if isDBusError(err, "org.freedesktop.systemd1.UnitExists") {
			return fmt.Errorf("systemd: start %s: %w", name, ErrUnitExists)
		}
		return fmt.Errorf("systemd: start %s: %w", name, err)
	}
	if err := waitJob(ctx, done); err != nil {
		_ = c.ResetFailed(ctx, name)
		return fmt.Errorf("systemd: start %s: %w", name, err)
	}
	return nil
}

// waitJob waits for the result of a job go-systemd reports on done.
func waitJob(ctx context.Context, done chan string) error {
	t := time.NewTimer(jobTimeout)
	defer t.Stop()
	select {
	case r := <-done:
		if r != "done" {
			return fmt.Errorf("job %s", r)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("no job result after %s", jobTimeout)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop stops unit name and waits for the job. A unit that is not loaded
// is stopped already.
func (c *Conn) Stop(ctx context.Context, name string) error {
	done := make(chan string, 1)
	if _, err := c.c.StopUnitContext(ctx, name, "replace", done); err != nil {
		if isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
			return nil
		}
		return fmt.Errorf("systemd: stop %s: %w", name, err)
	}
	if err := waitJob(ctx, done); err != nil {
		return fmt.Errorf("systemd: stop %s: %w", name, err)
	}
	return nil
}

// ResetFailed resets the failed state of unit name, so that systemd
// unloads it and the name can be used again. A unit that is not loaded
// (gone already) is not an error.
func (c *Conn) ResetFailed(ctx context.Context, name string) error {
	err := c.c.ResetFailedUnitContext(ctx, name)
	if err == nil || isDBusError(err, "org.freedesktop.systemd1.NoSuchUnit") {
		return nil
	}
	return fmt.Errorf("systemd: reset-failed %s: %w", name, err)
}

// Set changes properties of a running unit, for this boot only.
func (c *Conn) Set(ctx context.Context, name string, props []Property) error {
	if len(props) == 0 {
		return nil
	}
	if err := c.c.SetUnitPropertiesContext(ctx, name, true, props...); err != nil {
		return fmt.Errorf("systemd: set properties of %s: %w", name, err)
	}
	return nil
}

// Unit is what this package reads of a unit.
type Unit struct {
	Name        string
	LoadState   string // "loaded", "not-found", ...
	ActiveState string // "active", "inactive", "failed", ...
	Description string
	// Invocation is the hex InvocationID of the unit's current run:
	// a new one every time a unit of that name is started.
	Invocation string
	// ControlGroup is the unit's cgroup relative to the cgroup root,
	// "" for a unit that has none (not running).
	ControlGroup string
}

// Loaded reports whether systemd has the unit loaded (a unit that is not
// loaded does not exist as far as the manager is concerned).
func (u *Unit) Loaded() bool { return u.LoadState == "loaded" }

// Invocation reads the InvocationID of unit name, in hex.
func (c *Conn) Invocation(ctx context.Context, name string) (string, error) {
	p, err := c.c.GetUnitPropertyContext(ctx, name, "InvocationID")
	if err != nil {
		return "", fmt.Errorf("systemd: read InvocationID of %s: %w", name, err)
	}
	var inv []byte
	if err := dbus.Store([]any{p.Value.Value()}, &inv); err != nil {
		return "", fmt.Errorf("systemd: read InvocationID of %s: %w", name, err)
	}
	return fmt.Sprintf("%x", inv), nil
}

// ReadUnit reads the properties of unit name that Unit holds, in one
// round trip. typ is the unit type's interface ("Scope").
func (c *Conn) ReadUnit(ctx context.Context, name, typ string) (*Unit, error) {
	path := dbus.ObjectPath("/org/freedesktop/systemd1/unit/" + sd.PathBusEscape(name))
	obj := c.calls.Object("org.freedesktop.systemd1", path)
	const unitIface = "org.freedesktop.systemd1.Unit"
	want := []struct{ iface, prop string }{
		{unitIface, "LoadState"}, {unitIface, "ActiveState"}, {unitIface, "Description"},
		{unitIface, "InvocationID"}, {"org.freedesktop.systemd1." + typ, "ControlGroup"},
	}
	calls := make([]*dbus.Call, len(want))
	for i, w := range want {
		calls[i] = obj.GoWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, nil, w.iface, w.prop)
	}
	u := &Unit{Name: name}
	var inv []byte
	dst := []any{&u.LoadState, &u.ActiveState, &u.Description, &inv, &u.ControlGroup}
	for i, call := range calls {
		<-call.Done
		var v dbus.Variant
		if err := call.Store(&v); err != nil {
			if i == len(calls)-1 && u.LoadState != "loaded" {
				// A unit that is not loaded has no type interface.
				break
			}
			return nil, fmt.Errorf("systemd: read %s of %s: %w", want[i].prop, name, err)
		}
		if err := dbus.Store([]any{v.Value()}, dst[i]); err != nil {
			return nil, fmt.Errorf("systemd: read %s of %s: %w", want[i].prop, name, err)
		}
	}
	u.Invocation = fmt.Sprintf("%x", inv)
	return u, nil
}
