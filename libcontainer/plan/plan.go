// Package plan is where hutch decides how a container process is set up:
// it turns the validated process of a config (or of `hutch exec`) into a
// process plan, the one message the C process executor
// (libcontainer/nsenter/process.c) carries out without interpreting the
// spec. A plan is a list of records: a tag byte, a 4-byte big-endian
// length, the payload.
package plan

import "encoding/binary"

// MaxMessage is the largest message the C side reads (MAX_MSG in hutch.h).
const MaxMessage = 16 << 20

type builder struct{ buf []byte }

func (b *builder) add(tag byte, payload string) {
	b.buf = append(b.buf, tag)
	b.buf = binary.BigEndian.AppendUint32(b.buf, uint32(len(payload)))
	b.buf = append(b.buf, payload...)
}

// Record is one decoded record, for tests and debugging.
type Record struct {
	Tag     byte
	Payload []byte
}

// Decode splits a plan into its records; ok is false if it is malformed.
func Decode(b []byte) (recs []Record, ok bool) {
	for len(b) > 0 {
		if len(b) < 5 {
			return recs, false
		}
		n := binary.BigEndian.Uint32(b[1:5])
		if uint64(n) > uint64(len(b)-5) {
			return recs, false
		}
		recs = append(recs, Record{b[0], b[5 : 5+n]})
		b = b[5+n:]
	}
	return recs, true
}
