package netdev

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// conn is a NETLINK_ROUTE socket. A netlink socket acts in the network
// namespace it was created in, whichever namespace its user is in later.
type conn struct {
	fd  int
	seq uint32
}

func dial() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	return &conn{fd: fd}, nil
}

// dialIn opens a netlink socket in the network namespace nsfd refers to.
// Only the calling thread enters it, and only for the socket(2) call.
func dialIn(nsfd int) (*conn, error) {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	if err := unix.Setns(nsfd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("enter the container's network namespace: %w", err)
	}
	c, dialErr := dial()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and so ends with this goroutine: it
		// must not run anything else in the wrong namespace.
		if c != nil {
			c.close()
		}
		return nil, fmt.Errorf("return to the host network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	return c, dialErr
}

func (c *conn) close() { unix.Close(c.fd) }

// attr is one rtattr: type and payload.
type attr struct {
	typ  uint16
	data []byte
}

func strAttr(typ uint16, s string) attr { return attr{typ, append([]byte(s), 0)} }

func u32Attr(typ uint16, v uint32) attr {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return attr{typ, b}
}

func align4(n int) int { return (n + 3) &^ 3 }

func encodeAttrs(attrs []attr) []byte {
	var b []byte
	for _, a := range attrs {
		h := make([]byte, 4)
		binary.NativeEndian.PutUint16(h[0:], uint16(4+len(a.data)))
		binary.NativeEndian.PutUint16(h[2:], a.typ)
		b = append(b, h...)
		b = append(b, a.data...)
		b = append(b, make([]byte, align4(len(a.data))-len(a.data))...)
	}
	return b
}

func decodeAttrs(b []byte) []attr {
	var out []attr
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:]))
		if l < 4 || l > len(b) {
			break
		}
		out = append(out, attr{binary.NativeEndian.Uint16(b[2:]) &^ unix.NLA_F_NESTED, b[4:l]})
		b = b[min(align4(l), len(b)):]
	}
	return out
}

// request sends one message and returns the payloads of the replies of
// type want (a dump returns many), or the kernel's error as an errno.
func (c *conn) request(typ, flags uint16, body []byte, want uint16) ([][]byte, error) {
	c.seq++
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:], c.seq)
	msg = append(msg, body...)
	if err := unix.Sendto(c.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out [][]byte
	buf := make([]byte, 1<<16)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			return nil, err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Header.Seq != c.seq {
				continue
			}
			switch m.Header.Type {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(m.Data) < 4 {
					return nil, errors.New("netlink: short error message")
				}
				if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
					return nil, unix.Errno(-e)
				}
				// The ack of a request (a dump ends with NLMSG_DONE).
				return out, nil
			case want:
				out = append(out, append([]byte(nil), m.Data...))
			}
		}
	}
}

// ifinfomsg: family, pad, type, index, flags, change.
func ifinfo(index int32, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:], uint32(index))
	binary.NativeEndian.PutUint32(b[8:], flags)
	binary.NativeEndian.PutUint32(b[12:], change)
	return b
}

type link struct {
	index int32
	flags uint32
	name  string
}

func parseLink(data []byte) (link, error) {
	if len(data) < unix.SizeofIfInfomsg {
		return link{}, errors.New("netlink: short link message")
	}
	l := link{index: int32(binary.NativeEndian.Uint32(data[4:])), flags: binary.NativeEndian.Uint32(data[8:])}
	for _, a := range decodeAttrs(data[unix.SizeofIfInfomsg:]) {
		if a.typ == unix.IFLA_IFNAME {
			l.name = cstring(a.data)
		}
	}
	return l, nil
}

func cstring(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// getLink looks a device up by index, or by name when index is 0.
func (c *conn) getLink(index int32, name string) (link, error) {
	body := ifinfo(index, 0, 0)
	if index == 0 {
		body = append(body, encodeAttrs([]attr{strAttr(unix.IFLA_IFNAME, name)})...)
	}
	msgs, err := c.request(unix.RTM_GETLINK, 0, body, unix.RTM_NEWLINK)
	if err != nil {
		return link{}, err
	}
	if len(msgs) != 1 {
		return link{}, fmt.Errorf("netlink: %d replies to a link query", len(msgs))
	}
	return parseLink(msgs[0])
}

// moveLink moves device index into the network namespace nsfd, renamed
// to name if not empty: one message, so the kernel moves and renames at
// once and the old name never exists in the new namespace.
func (c *conn) moveLink(index int32, nsfd int, name string) error {
	attrs := []attr{u32Attr(unix.IFLA_NET_NS_FD, uint32(nsfd))}
	if name != "" {
		attrs = append(attrs, strAttr(unix.IFLA_IFNAME, name))
	}
	_, err := c.request(unix.RTM_NEWLINK, 0, append(ifinfo(index, 0, 0), encodeAttrs(attrs)...), 0)
	return err
}

func (c *conn) setUp(index int32) error {
	_, err := c.request(unix.RTM_NEWLINK, 0, ifinfo(index, unix.IFF_UP, unix.IFF_UP), 0)
	return err
}

// address is one interface address as the kernel reported it.
type address struct {
	family, prefixLen, scope uint8
	flags                    uint32
	attrs                    []attr
}

// permanentGlobal lists the addresses of device index that the spec says
// survive the move: permanent (not from autoconfiguration or DHCP
// lifetimes) and of global scope.
func (c *conn) permanentGlobal(index int32) ([]address, error) {
	body := make([]byte, unix.SizeofIfAddrmsg) // family AF_UNSPEC: all
	msgs, err := c.request(unix.RTM_GETADDR, unix.NLM_F_DUMP, body, unix.RTM_NEWADDR)
	if err != nil {
		return nil, err
	}
	var out []address
	for _, m := range msgs {
		if len(m) < unix.SizeofIfAddrmsg || int32(binary.NativeEndian.Uint32(m[4:])) != index {
			continue
		}
		a := address{family: m[0], prefixLen: m[1], flags: uint32(m[2]), scope: m[3]}
		for _, at := range decodeAttrs(m[unix.SizeofIfAddrmsg:]) {
			switch at.typ {
			case unix.IFA_FLAGS:
				if len(at.data) >= 4 {
					a.flags = binary.NativeEndian.Uint32(at.data)
				}
			case unix.IFA_ADDRESS, unix.IFA_LOCAL, unix.IFA_BROADCAST:
				a.attrs = append(a.attrs, at)
			}
		}
		if a.scope == unix.RT_SCOPE_UNIVERSE && a.flags&unix.IFA_F_PERMANENT != 0 {
			out = append(out, a)
		}
	}
	return out, nil
}

// settableAddrFlags are the IFA_FLAGS a user may set; the rest (tentative,
// deprecated, ...) describe kernel state.
const settableAddrFlags = unix.IFA_F_NODAD | unix.IFA_F_HOMEADDRESS | unix.IFA_F_MANAGETEMPADDR |
	unix.IFA_F_NOPREFIXROUTE | unix.IFA_F_MCAUTOJOIN

func (c *conn) addAddr(index int32, a address) error {
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0], body[1], body[3] = a.family, a.prefixLen, a.scope
	binary.NativeEndian.PutUint32(body[4:], uint32(index))
	attrs := append([]attr(nil), a.attrs...)
	if f := a.flags & settableAddrFlags; f != 0 {
		attrs = append(attrs, u32Attr(unix.IFA_FLAGS, f))
	}
	body = append(body, encodeAttrs(attrs)...)
	_, err := c.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body, 0)
	return err
}
