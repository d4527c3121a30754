package seccomp

import (
	"errors"
	"fmt"
	"unsafe"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Apply installs the filter for s on the calling thread (on all threads of
// the process with SECCOMP_FILTER_FLAG_TSYNC). The caller must have locked
// the goroutine to its OS thread and, unless it has CAP_SYS_ADMIN, set
// no_new_privs. A profile with SCMP_ACT_NOTIFY rules needs ApplyNotify.
func Apply(s *specs.LinuxSeccomp) error {
	if s == nil {
		return nil
	}
	f, err := Compile(s)
	if err != nil {
		return err
	}
	return f.Install()
}

// Install loads a compiled filter without SCMP_ACT_NOTIFY rules; see Apply.
func (f *Filter) Install() error {
	if f.Notify {
		return errors.New("seccomp: a filter with SCMP_ACT_NOTIFY rules is loaded by InstallNotify, which hands its listener over")
	}
	prog, err := f.fprog()
	if err != nil {
		return err
	}
	r, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(f.Flags), uintptr(unsafe.Pointer(prog)))
	if errno != 0 {
		return installError(f.Flags, errno)
	}
	if f.Flags&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 && r != 0 {
		return fmt.Errorf("seccomp: SECCOMP_FILTER_FLAG_TSYNC: thread %d cannot be synchronized (it has a different filter)", r)
	}
	return nil
}

// fprog checks what can be checked before loading f and returns its
// program in the kernel's form.
func (f *Filter) fprog() (*unix.SockFprog, error) {
	if len(f.Program) == 0 || len(f.Program) > maxInsns {
		return nil, fmt.Errorf("seccomp: filter has %d instructions, want 1 to %d", len(f.Program), maxInsns)
	}
	if err := checkActions(f.Program); err != nil {
		return nil, err
	}
	return &unix.SockFprog{Len: uint16(len(f.Program)), Filter: &f.Program[0]}, nil
}

// CheckLoadable checks, before any process exists, what would make the
// kernel refuse f: the program's size, its actions and its flags. The
// process executor (libcontainer/plan) then only loads it.
func (f *Filter) CheckLoadable() error {
	if _, err := f.fprog(); err != nil {
		return err
	}
	for fl := uint(1); fl != 0 && fl <= f.Flags; fl <<= 1 {
		if f.Flags&fl != 0 && !flagSupported(fl) {
			return installError(fl, unix.EINVAL)
		}
	}
	return nil
}

// Loadable reports whether CheckLoadable finds nothing.
func (f *Filter) Loadable() bool {
	if len(f.Program) == 0 || len(f.Program) > maxInsns || checkActions(f.Program) != nil {
		return false
	}
	for fl := uint(1); fl != 0 && fl <= f.Flags; fl <<= 1 {
		if f.Flags&fl != 0 && !flagSupported(fl) {
			return false
		}
	}
	return true
}

// installError explains why seccomp(SECCOMP_SET_MODE_FILTER) failed.
func installError(flags uint, errno unix.Errno) error {
	switch errno {
	case unix.EACCES:
		return fmt.Errorf("seccomp: installing the filter: %w (no_new_privs is not set and the process lacks CAP_SYS_ADMIN)", errno)
	case unix.EBUSY:
		return fmt.Errorf("seccomp: SCMP_ACT_NOTIFY: the process already has a filter with a notify listener: %w", errno)
	case unix.ESRCH:
		return fmt.Errorf("seccomp: SECCOMP_FILTER_FLAG_TSYNC: another thread cannot be synchronized: %w", errno)
	case unix.EINVAL:
		// Find the first flag this kernel does not know, if any.
		for _, fl := range []struct {
			v    uint
			name string
		}{
			{unix.SECCOMP_FILTER_FLAG_TSYNC, "SECCOMP_FILTER_FLAG_TSYNC"},
			{unix.SECCOMP_FILTER_FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG (Linux 4.14)"},
			{unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW, "SECCOMP_FILTER_FLAG_SPEC_ALLOW (Linux 4.17)"},
			{unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, "SECCOMP_FILTER_FLAG_NEW_LISTENER for SCMP_ACT_NOTIFY (Linux 5.0)"},
			{unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH, "SECCOMP_FILTER_FLAG_TSYNC_ESRCH for TSYNC with SCMP_ACT_NOTIFY (Linux 5.7)"},
			{unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (Linux 5.19)"},
		} {
			if flags&fl.v != 0 && !flagSupported(fl.v) {
				return fmt.Errorf("seccomp: linux.seccomp.flags: the kernel does not support %s: %w", fl.name, errno)
			}
		}
	}
	return fmt.Errorf("seccomp: installing the filter (flags %#x): %w", flags, errno)
}

// flagSupported probes a filter flag: with a NULL program the kernel checks
// the flags first and fails with EINVAL for unknown ones, EFAULT otherwise.
func flagSupported(flag uint) bool {
	if flag == unix.SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV {
		flag |= unix.SECCOMP_FILTER_FLAG_NEW_LISTENER // refused alone
	}
	_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flag), 0)
	return !errors.Is(errno, unix.EINVAL)
}

// checkActions asks the kernel about the newer return actions the program
// uses: an unknown action in a loaded filter would silently act as
// KILL_PROCESS instead of failing here.
func checkActions(prog []unix.SockFilter) error {
	var need = []struct {
		ret  uint32
		name string
	}{
		{unix.SECCOMP_RET_KILL_PROCESS, "SCMP_ACT_KILL_PROCESS (Linux 4.14)"},
		{unix.SECCOMP_RET_LOG, "SCMP_ACT_LOG (Linux 4.14)"},
		{unix.SECCOMP_RET_USER_NOTIF, "SCMP_ACT_NOTIFY (Linux 5.0)"},
	}
	for _, n := range need {
		used := false
		for _, ins := range prog {
			if ins.Code == opRet && ins.K&unix.SECCOMP_RET_ACTION_FULL == n.ret {
				used = true
				break
			}
		}
		if !used {
			continue
		}
		k := n.ret
		_, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&k)))
		if errno != 0 { // EOPNOTSUPP, or EINVAL before Linux 4.14
			return fmt.Errorf("seccomp: the kernel does not support %s", n.name)
		}
	}
	return nil
}
