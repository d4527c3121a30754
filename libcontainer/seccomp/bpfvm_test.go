package seccomp

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// seccompData mirrors struct seccomp_data for the test interpreter.
type seccompData struct {
	nr   uint32
	arch uint32
	args [6]uint64
}

// bytes lays d out as a little-endian kernel would (the only kind the
// interpreter models).
func (d *seccompData) bytes() []byte {
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], d.nr)
	binary.LittleEndian.PutUint32(b[4:], d.arch)
	for i, a := range d.args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	return b
}

// runBPF interprets the subset of classic BPF the generator emits, failing
// the test on anything else (bad jumps, unknown opcodes, falling off).
func runBPF(t *testing.T, prog []unix.SockFilter, data []byte) uint32 {
	t.Helper()
	var a uint32
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		switch ins.Code {
		case opLdAbs:
			if ins.K+4 > uint32(len(data)) || ins.K%4 != 0 {
				t.Fatalf("pc %d: bad load offset %d", pc, ins.K)
			}
			a = binary.LittleEndian.Uint32(data[ins.K:])
		case opAnd:
			a &= ins.K
		case opJa:
			pc += int(ins.K)
		case opJeq, opJgt, opJge:
			var ok bool
			switch ins.Code {
			case opJeq:
				ok = a == ins.K
			case opJgt:
				ok = a > ins.K
			case opJge:
				ok = a >= ins.K
			}
			if ok {
				pc += int(ins.Jt)
			} else {
				pc += int(ins.Jf)
			}
		case opRet:
			return ins.K
		default:
			t.Fatalf("pc %d: unexpected opcode %#x", pc, ins.Code)
		}
	}
	t.Fatalf("program fell off its end")
	return 0
}
