package seccomp

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// emitRules emits the rules of one syscall: conditional rules in order, the
// first whose conditions all hold returns its action; otherwise the
// fallback. Returns the first instruction.
func emitRules(b *builder, a *archInfo, sr *sysRules) label {
	next := b.ret(sr.fallback)
	for i := len(sr.rules) - 1; i >= 0; i-- {
		r := sr.rules[i]
		pass := b.ret(r.ret)
		for j := len(r.conds) - 1; j >= 0; j-- {
			pass = emitCond(b, a, r.conds[j], pass, next)
		}
		next = pass
	}
	return next
}

// argOffsets returns where the high and low 32-bit words of argument i are.
func argOffsets(a *archInfo, i uint32) (hi, lo uint32) {
	base := offArgs + 8*i
	if a.bigEndian {
		return base, base + 4
	}
	return base + 4, base
}

// emitCond emits one 64-bit comparison with 32-bit BPF: the high words
// decide unless equal, then the low words decide. On 32-bit architectures
// only the low word is compared, as libseccomp does. For MASKED_EQ, v1 is
// the mask and v2 the expected value.
func emitCond(b *builder, a *archInfo, c cond, pass, fail label) label {
	hiOff, loOff := argOffsets(a, c.index)
	vhi, vlo := uint32(c.v1>>32), uint32(c.v1)
	dhi, dlo := uint32(c.v2>>32), uint32(c.v2)

	// Emitted back to front: the low-word test first, then the high-word
	// test (which runs first) in front of it.
	switch c.op {
	case specs.OpEqualTo:
		b.jump(opJeq, vlo, pass, fail)
	case specs.OpNotEqual:
		b.jump(opJeq, vlo, fail, pass)
	case specs.OpGreaterThan:
		b.jump(opJgt, vlo, pass, fail)
	case specs.OpGreaterEqual:
		b.jump(opJge, vlo, pass, fail)
	case specs.OpLessThan:
		b.jump(opJge, vlo, fail, pass)
	case specs.OpLessEqual:
		b.jump(opJgt, vlo, fail, pass)
	case specs.OpMaskedEqual:
		b.jump(opJeq, dlo, pass, fail)
		b.and(vlo)
	}
	lo := b.load(loOff)
	if a.is32 {
		return lo
	}
	switch c.op {
	case specs.OpEqualTo:
		b.jump(opJeq, vhi, lo, fail)
	case specs.OpNotEqual:
		b.jump(opJeq, vhi, lo, pass)
	case specs.OpGreaterThan, specs.OpGreaterEqual:
		eq := b.jump(opJeq, vhi, lo, fail)
		b.jump(opJgt, vhi, pass, eq)
	case specs.OpLessThan, specs.OpLessEqual:
		eq := b.jump(opJeq, vhi, lo, pass)
		b.jump(opJgt, vhi, fail, eq)
	case specs.OpMaskedEqual:
		b.jump(opJeq, dhi, lo, fail)
		b.and(vhi)
	}
	return b.load(hiOff)
}
