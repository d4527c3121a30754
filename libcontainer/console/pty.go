package console

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ptmxPath is resolved in the caller's mount namespace; inside a container it
// is a symlink to pts/ptmx so the pty belongs to the container's devpts.
const ptmxPath = "/dev/ptmx"

// OpenPty opens a new pty pair on /dev/ptmx. Both files are close-on-exec, so
// neither leaks into the container process except through SetupSlave's dup3.
func OpenPty() (master, slave *os.File, err error) {
	mfd, err := unix.Open(ptmxPath, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", ptmxPath, err)
	}
	master = os.NewFile(uintptr(mfd), ptmxPath)
	defer func() {
		if err != nil {
			master.Close()
		}
	}()

	// Slaves start locked; unlockpt clears TIOCSPTLCK.
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		return nil, nil, fmt.Errorf("unlockpt %s: %w", ptmxPath, err)
	}
	n, err := unix.IoctlGetUint32(mfd, unix.TIOCGPTN)
	if err != nil {
		return nil, nil, fmt.Errorf("ptsname %s: %w", ptmxPath, err)
	}
	name := "/dev/pts/" + strconv.FormatUint(uint64(n), 10)

	sfd, err := openPeer(mfd)
	if err != nil {
		// TIOCGPTPEER (Linux 4.13) is preferred: it cannot be redirected by a
		// process that swaps /dev/pts/N between our ptsname and open. Fall back
		// to the path only on kernels that do not know the ioctl.
		if !errors.Is(err, unix.ENOTTY) && !errors.Is(err, unix.EINVAL) {
			return nil, nil, fmt.Errorf("TIOCGPTPEER on %s: %w", ptmxPath, err)
		}
		sfd, err = openSlavePath(name, n)
		if err != nil {
			return nil, nil, err
		}
	}
	return master, os.NewFile(uintptr(sfd), name), nil
}

// openPeer opens the slave of the master fd without going through a path.
func openPeer(mfd int) (int, error) {
	fd, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(mfd), uintptr(unix.TIOCGPTPEER),
		uintptr(unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC))
	if errno != 0 {
		return -1, errno
	}
	return int(fd), nil
}

// openSlavePath opens /dev/pts/N and checks that it is really the pty slave
// number n, not something a racing process put there.
func openSlavePath(name string, n uint32) (int, error) {
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return -1, fmt.Errorf("open pty slave %s: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("fstat pty slave %s: %w", name, err)
	}
	// Unix98 pty slaves use majors 136-143; the minor space spans them.
	major, minor := unix.Major(st.Rdev), unix.Minor(st.Rdev)
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || major < 136 || major > 143 ||
		(major-136)*256+minor != n {
		unix.Close(fd)
		return -1, fmt.Errorf("pty slave %s: not pty %d (device %d:%d)", name, n, major, minor)
	}
	return fd, nil
}
