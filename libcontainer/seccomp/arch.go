package seccomp

import (
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Audit architecture values (AUDIT_ARCH_* from linux/audit.h): the ELF
// machine plus __AUDIT_ARCH_64BIT (0x80000000) and __AUDIT_ARCH_LE
// (0x40000000). This is what the kernel puts in seccomp_data.arch.
const (
	auditX86_64      = 0xc000003e
	auditX86         = 0x40000003
	auditAARCH64     = 0xc00000b7
	auditARM         = 0x40000028
	auditRISCV64     = 0xc00000f3
	auditPPC64LE     = 0xc0000015
	auditPPC64       = 0x80000015
	auditS390X       = 0x80000016
	auditLOONGARCH64 = 0xc0000102

	// x32 shares AUDIT_ARCH_X86_64 and is told apart by this bit in nr.
	x32SyscallBit = 0x40000000
)

// archInfo describes how to filter one architecture.
type archInfo struct {
	audit     uint32
	table     sysTable
	bigEndian bool // where the high 32-bit word of an argument lives
	is32      bool // arguments are 32 bits: compare the low word only
	x32       bool
}

// knownArches lists every architecture name the runtime-spec defines; a nil
// value means hutch has no syscall table for it.
var knownArches = map[specs.Arch]*archInfo{
	specs.ArchX86_64:      {audit: auditX86_64, table: tblX86_64},
	specs.ArchX86:         {audit: auditX86, table: tblX86, is32: true},
	specs.ArchX32:         {audit: auditX86_64, table: tblX32, x32: true},
	specs.ArchAARCH64:     {audit: auditAARCH64, table: tblAARCH64},
	specs.ArchARM:         {audit: auditARM, table: tblARM, is32: true},
	specs.ArchRISCV64:     {audit: auditRISCV64, table: tblRISCV64},
	specs.ArchPPC64LE:     {audit: auditPPC64LE, table: tblPPC64LE},
	specs.ArchPPC64:       {audit: auditPPC64, table: tblPPC64, bigEndian: true},
	specs.ArchS390X:       {audit: auditS390X, table: tblS390X, bigEndian: true},
	specs.ArchLOONGARCH64: {audit: auditLOONGARCH64, table: tblLOONGARCH64},
	specs.ArchMIPS:        nil,
	specs.ArchMIPS64:      nil,
	specs.ArchMIPS64N32:   nil,
	specs.ArchMIPSEL:      nil,
	specs.ArchMIPSEL64:    nil,
	specs.ArchMIPSEL64N32: nil,
	specs.ArchPPC:         nil,
	specs.ArchS390:        nil,
	specs.ArchPARISC:      nil,
	specs.ArchPARISC64:    nil,
	specs.ArchM68K:        nil,
	specs.ArchSH:          nil,
	specs.ArchSHEB:        nil,
}

// nativeArches returns the architecture of this build first, then the ones
// a process on this kernel may additionally use (compat syscall entries).
// Only these can ever reach the filter.
func nativeArches() []specs.Arch {
	switch runtime.GOARCH {
	case "amd64":
		return []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	case "386":
		return []specs.Arch{specs.ArchX86}
	case "arm64":
		return []specs.Arch{specs.ArchAARCH64, specs.ArchARM}
	case "arm":
		return []specs.Arch{specs.ArchARM}
	case "riscv64":
		return []specs.Arch{specs.ArchRISCV64}
	case "ppc64le":
		return []specs.Arch{specs.ArchPPC64LE}
	case "ppc64":
		return []specs.Arch{specs.ArchPPC64, specs.ArchPPC}
	case "s390x":
		return []specs.Arch{specs.ArchS390X, specs.ArchS390}
	case "loong64":
		return []specs.Arch{specs.ArchLOONGARCH64}
	}
	return nil
}

func runnableHere(a specs.Arch, native []specs.Arch) bool {
	for _, n := range native {
		if n == a {
			return true
		}
	}
	return false
}
