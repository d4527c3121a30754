// Package syncmsg frames the messages exchanged on the init socket between
// `hutch create` (the parent) and the container init. The same framing is
// spoken by the C constructor in libcontainer/nsenter, so it stays trivial:
// a 4-byte big-endian payload length, one type byte, then the payload.
//
//	parent -> init                     init -> parent
//	B bootstrap (libcontainer/plan)    U  needs uid/gid maps (user ns unshared)
//	M maps written                     P  init pid (decimal, host pid namespace)
//	G (bootstrap with WaitCgroup) in
//	  its cgroup: after M, if any
//	X process plan (libcontainer/plan) H  (create) mounts and /dev made: run
//	  (after P)                           the prestart and createRuntime hooks
//	h hooks done                       R  (create) ready: waiting on the exec
//	                                      fifo (with the executor's timings)
//	                                   E  error text; the init exits
//
// Both ends of an exec are the same but for H, h and R: its EOF after X
// is the execve.
package syncmsg

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Message types; see the package comment for who sends which.
const (
	Bootstrap byte = 'B'
	MapsDone  byte = 'M'
	NeedMaps  byte = 'U'
	Pid       byte = 'P'
	// CgroupDone: the init is in its cgroup (see plan.Bootstrap.WaitCgroup).
	CgroupDone byte = 'G'
	// ProcessPlan: what the C process executor carries out
	// (libcontainer/plan); its errors follow as Error messages, its
	// execve as EOF, or for a create Ready before the wait for start.
	ProcessPlan byte = 'X'
	Hooks       byte = 'H'
	HooksDone   byte = 'h'
	Ready       byte = 'R'
	Error       byte = 'E'
)

const maxPayload = 16 << 20

// Send writes one framed message.
func Send(w io.Writer, typ byte, payload []byte) error {
	buf := make([]byte, 5+len(payload))
	binary.BigEndian.PutUint32(buf, uint32(len(payload)))
	buf[4] = typ
	copy(buf[5:], payload)
	_, err := w.Write(buf)
	return err
}

// Recv reads one framed message.
func Recv(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n > maxPayload {
		return 0, nil, fmt.Errorf("sync message of %d bytes is too large", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return hdr[4], payload, nil
}

// Expect reads one message and checks its type. An Error message from the
// other side is returned as an error carrying its text.
func Expect(r io.Reader, want byte) ([]byte, error) {
	typ, payload, err := Recv(r)
	if err != nil {
		return nil, err
	}
	if typ == Error {
		return nil, RemoteError(payload)
	}
	if typ != want {
		return nil, fmt.Errorf("sync: got message %q, want %q", typ, want)
	}
	return payload, nil
}

// RemoteError is an error reported by the container init.
type RemoteError string

func (e RemoteError) Error() string { return string(e) }
