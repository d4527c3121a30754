package seccomp

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// maxErrno is the largest errno the kernel returns for SECCOMP_RET_ERRNO
// (it clamps bigger values to MAX_ERRNO silently; we refuse them instead).
const maxErrno = 4095

// actionRet converts an action and its optional errnoRet into the filter's
// return value. field names the config field for errors.
func actionRet(a specs.LinuxSeccompAction, errnoRet *uint, field string) (uint32, error) {
	data := uint32(unix.EPERM)
	if errnoRet != nil {
		if a != specs.ActErrno && a != specs.ActTrace {
			return 0, fmt.Errorf("%s: errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not %s", field, a)
		}
		if *errnoRet > maxErrno {
			return 0, fmt.Errorf("%s: errnoRet %d is larger than %d", field, *errnoRet, maxErrno)
		}
		data = uint32(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return unix.SECCOMP_RET_KILL_THREAD, nil
	case specs.ActKillProcess:
		return unix.SECCOMP_RET_KILL_PROCESS, nil
	case specs.ActTrap:
		return unix.SECCOMP_RET_TRAP, nil
	case specs.ActErrno:
		return unix.SECCOMP_RET_ERRNO | data, nil
	case specs.ActTrace:
		return unix.SECCOMP_RET_TRACE | data, nil
	case specs.ActAllow:
		return unix.SECCOMP_RET_ALLOW, nil
	case specs.ActLog:
		return unix.SECCOMP_RET_LOG, nil
	case specs.ActNotify:
		return unix.SECCOMP_RET_USER_NOTIF, nil
	case "":
		return 0, fmt.Errorf("%s: action is required", field)
	}
	return 0, fmt.Errorf("%s: unknown action %q", field, a)
}

// Filter flags accepted in linux.seccomp.flags.
const flagTSYNC specs.LinuxSeccompFlag = "SECCOMP_FILTER_FLAG_TSYNC"

func flagValue(f specs.LinuxSeccompFlag) (uint, bool) {
	switch f {
	case flagTSYNC:
		return unix.SECCOMP_FILTER_FLAG_TSYNC, true
	case specs.LinuxSeccompFlagLog:
		return unix.SECCOMP_FILTER_FLAG_LOG, true
	case specs.LinuxSeccompFlagSpecAllow:
		return unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW, true
	case specs.LinuxSeccompFlagWaitKillableRecv:
		return unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, true
	}
	return 0, false
}

func validOp(op specs.LinuxSeccompOperator) bool {
	switch op {
	case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
		specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
		return true
	}
	return false
}

// retENOSYS is what a syscall newer than the profile gets.
const retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)

// newerThanProfile reports whether syscalls newer than every syscall the
// profile names should fail with ENOSYS rather than get the default action
// dflt (the return value of defaultAction). A profile cannot name what did
// not exist when it was written; EPERM for such a syscall makes the C
// library report an error, while ENOSYS makes it fall back to the older
// syscall, which the profile does decide on. runc does the same (its
// patchbpf package puts a stub in front of libseccomp's program). Not for a
// default that lets syscalls through: ALLOW and LOG run them anyway, and a
// tracer is expected to handle new syscalls itself (runc skips TRACE for
// that reason). Nothing to do when the default is ENOSYS already.
func newerThanProfile(dflt specs.LinuxSeccompAction, ret uint32) bool {
	switch dflt {
	case specs.ActAllow, specs.ActLog, specs.ActTrace:
		return false
	}
	return ret != retENOSYS
}
