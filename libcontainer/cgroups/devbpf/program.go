// Package devbpf enforces linux.resources.devices on cgroup v2, which has
// no devices controller: the rules become a BPF_PROG_TYPE_CGROUP_DEVICE
// program attached to the container's cgroup. The program is generated here
// instruction by instruction; no compiler or library is involved.
package devbpf

import (
	"encoding/binary"
	"fmt"
)

// Rule is one device rule, already validated: Type is 'a', 'b' or 'c';
// Major/Minor -1 mean any; Access is a mask of AccMknod|AccRead|AccWrite.
type Rule struct {
	Allow  bool
	Type   byte
	Major  int64
	Minor  int64
	Access uint32
}

// Access bits and device types as the kernel passes them in
// struct bpf_cgroup_dev_ctx.access_type ((access << 16) | type).
const (
	AccMknod = 1
	AccRead  = 2
	AccWrite = 4
	accAll   = AccMknod | AccRead | AccWrite

	devBlock = 1
	devChar  = 2
)

// insn is struct bpf_insn.
type insn struct {
	code uint8
	regs uint8 // dst in the low nibble, src in the high one
	off  int16
	imm  int32
}

// Registers: r1 holds the context on entry; r0 is the verdict.
const (
	r0      = 0
	r1      = 1
	rType   = 2
	rAccess = 3
	rMajor  = 4
	rMinor  = 5
	rTmp    = 6
)

// Opcodes (linux/bpf_common.h, linux/bpf.h).
const (
	opLdxMemW   = 0x61 // BPF_LDX | BPF_MEM | BPF_W
	opAnd32Imm  = 0x54 // BPF_ALU | BPF_AND | BPF_K
	opRsh32Imm  = 0x74 // BPF_ALU | BPF_RSH | BPF_K
	opMov32Reg  = 0xbc // BPF_ALU | BPF_MOV | BPF_X
	opMov64Imm  = 0xb7 // BPF_ALU64 | BPF_MOV | BPF_K
	opJneImm    = 0x55 // BPF_JMP | BPF_JNE | BPF_K
	opJeqImm    = 0x15 // BPF_JMP | BPF_JEQ | BPF_K
	opExit      = 0x95 // BPF_JMP | BPF_EXIT
	ctxAccType  = 0
	ctxMajor    = 4
	ctxMinor    = 8
	maxJumpSpan = 1<<15 - 1
)

func ldx(dst uint8, off int16) insn     { return insn{code: opLdxMemW, regs: dst | r1<<4, off: off} }
func alu(op, dst uint8, imm int32) insn { return insn{code: op, regs: dst, imm: imm} }
func jmp(op, dst uint8, imm int32, off int16) insn {
	return insn{code: op, regs: dst, imm: imm, off: off}
}

// Generate returns the program for rules. The kernel's v1 semantics are
// kept: rules apply in order and the last one that matches decides, so
// they are tested from the last to the first; no match denies. An allow
// rule matches only when it grants every requested access; a deny rule
// matches when it covers any of them, so "deny w" also refuses an
// open for read and write.
func Generate(rules []Rule) ([]byte, error) {
	prog := []insn{
		ldx(rType, ctxAccType),
		alu(opAnd32Imm, rType, 0xffff),
		ldx(rAccess, ctxAccType),
		alu(opRsh32Imm, rAccess, 16),
		ldx(rMajor, ctxMajor),
		ldx(rMinor, ctxMinor),
	}
	final := false
	for i := len(rules) - 1; i >= 0 && !final; i-- {
		block, err := ruleBlock(rules[i])
		if err != nil {
			return nil, fmt.Errorf("rule %d: %w", i, err)
		}
		prog = append(prog, block...)
		// A rule without conditions always decides: the verifier
		// refuses the unreachable code that would follow it.
		final = len(block) == 2
	}
	if !final {
		prog = append(prog, alu(opMov64Imm, r0, 0), insn{code: opExit})
	}
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		var b [8]byte
		b[0] = in.code
		b[1] = in.regs
		binary.LittleEndian.PutUint16(b[2:], uint16(in.off))
		binary.LittleEndian.PutUint32(b[4:], uint32(in.imm))
		out = append(out, b[:]...)
	}
	return out, nil
}

// ruleBlock is the test of one rule: every failed condition jumps past the
// block's two verdict instructions (r0 = verdict; exit).
func ruleBlock(r Rule) ([]insn, error) {
	if r.Access == 0 || r.Access&^accAll != 0 {
		return nil, fmt.Errorf("access mask %#x", r.Access)
	}
	type cond struct {
		build func(skip int16) []insn
		n     int
	}
	var conds []cond
	switch r.Type {
	case 'a':
	case 'b', 'c':
		t := int32(devBlock)
		if r.Type == 'c' {
			t = devChar
		}
		conds = append(conds, cond{func(s int16) []insn { return []insn{jmp(opJneImm, rType, t, s)} }, 1})
	default:
		return nil, fmt.Errorf("type %q", r.Type)
	}
	if r.Access != accAll {
		// Allow: skip unless (requested & ^granted) == 0.
		// Deny: skip when (requested & denied) == 0.
		mask, op := int32(^r.Access&accAll), uint8(opJneImm)
		if !r.Allow {
			mask, op = int32(r.Access), opJeqImm
		}
		conds = append(conds, cond{func(s int16) []insn {
			return []insn{
				{code: opMov32Reg, regs: rTmp | rAccess<<4},
				alu(opAnd32Imm, rTmp, mask),
				jmp(op, rTmp, 0, s),
			}
		}, 3})
	}
	for _, v := range []struct {
		reg uint8
		val int64
	}{{rMajor, r.Major}, {rMinor, r.Minor}} {
		if v.val == -1 {
			continue
		}
		if v.val < 0 || v.val > 1<<31-1 {
			return nil, fmt.Errorf("device number %d out of range", v.val)
		}
		reg, val := v.reg, int32(v.val)
		conds = append(conds, cond{func(s int16) []insn { return []insn{jmp(opJneImm, reg, val, s)} }, 1})
	}
	// Offsets are relative to the next instruction: from the end of a
	// condition to the end of the block (past the two verdict insns).
	total := 2
	for _, c := range conds {
		total += c.n
	}
	if total > maxJumpSpan {
		return nil, fmt.Errorf("rule too large")
	}
	var out []insn
	for _, c := range conds {
		after := len(out) + c.n
		out = append(out, c.build(int16(total-after))...)
	}
	verdict := int32(0)
	if r.Allow {
		verdict = 1
	}
	return append(out, alu(opMov64Imm, r0, verdict), insn{code: opExit}), nil
}
