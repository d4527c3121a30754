package seccomp

import (
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

// maxInsns is BPF_MAXINSNS: the kernel refuses longer programs.
const maxInsns = 4096

const (
	opLdAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	opJeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	opJgt   = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	opJge   = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	opJa    = unix.BPF_JMP | unix.BPF_JA
	opAnd   = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	opRet   = unix.BPF_RET | unix.BPF_K
)

// label identifies an instruction already emitted by a builder.
type label int

// builder assembles a program back to front. Every jump goes forward in
// classic BPF, so emitting the tail first means each target already has a
// position when a jump to it is written, and the distance is exact. Targets
// beyond the 8-bit reach of a conditional jump get a JA trampoline.
type builder struct {
	rev []unix.SockFilter // rev[0] is the last instruction of the program
}

// next is the label of the instruction that will directly follow the one
// emitted next.
func (b *builder) next() label { return label(len(b.rev) - 1) }

func (b *builder) emit(code uint16, jt, jf uint8, k uint32) label {
	b.rev = append(b.rev, unix.SockFilter{Code: code, Jt: jt, Jf: jf, K: k})
	return b.next()
}

func (b *builder) dist(to label) int { return len(b.rev) - int(to) - 1 }

func (b *builder) ret(k uint32) label    { return b.emit(opRet, 0, 0, k) }
func (b *builder) load(off uint32) label { return b.emit(opLdAbs, 0, 0, off) }
func (b *builder) and(k uint32) label    { return b.emit(opAnd, 0, 0, k) }

// jump emits "if A <op> k goto jt else goto jf".
func (b *builder) jump(op uint16, k uint32, jt, jf label) label {
	if b.dist(jt) > 255 {
		jt = b.emit(opJa, 0, 0, uint32(b.dist(jt)))
	}
	if b.dist(jf) > 255 {
		jf = b.emit(opJa, 0, 0, uint32(b.dist(jf)))
	}
	return b.emit(op, uint8(b.dist(jt)), uint8(b.dist(jf)), k)
}

// program returns the instructions in execution order.
func (b *builder) program() []unix.SockFilter {
	n := len(b.rev)
	out := make([]unix.SockFilter, n)
	for i, ins := range b.rev {
		out[n-1-i] = ins
	}
	return out
}
