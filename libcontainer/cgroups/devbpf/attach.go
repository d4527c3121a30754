package devbpf

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bpf(2) commands and types used here (linux/bpf.h).
const (
	cmdProgLoad      = 5
	cmdProgAttach    = 8
	cmdProgDetach    = 9
	cmdProgGetFdByID = 13
	cmdProgQuery     = 16

	progTypeCgroupDevice = 15
	attachCgroupDevice   = 6
	flagAllowMulti       = 2
)

func bpf(cmd int, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

type progLoadAttr struct {
	progType    uint32
	insnCnt     uint32
	insns       uint64
	license     uint64
	logLevel    uint32
	logSize     uint32
	logBuf      uint64
	kernVersion uint32
	progFlags   uint32
	progName    [16]byte
	ifindex     uint32
	attachType  uint32
}

// load hands the program to the verifier and returns its fd; the
// verifier's log is part of the error.
func load(code []byte) (int, error) {
	license := []byte("Apache\x00")
	logBuf := make([]byte, 64<<10)
	attr := progLoadAttr{
		progType:   progTypeCgroupDevice,
		insnCnt:    uint32(len(code) / 8),
		insns:      uint64(uintptr(unsafe.Pointer(&code[0]))),
		license:    uint64(uintptr(unsafe.Pointer(&license[0]))),
		logLevel:   1,
		logSize:    uint32(len(logBuf)),
		logBuf:     uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
		attachType: attachCgroupDevice,
	}
	copy(attr.progName[:], "hutch_devices")
	fd, err := bpf(cmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	if err != nil {
		if n := cstrLen(logBuf); n > 0 {
			return -1, fmt.Errorf("load device program: %w (verifier: %s)", err, logBuf[:n])
		}
		return -1, fmt.Errorf("load device program: %w", err)
	}
	return int(fd), nil
}

func cstrLen(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return len(b)
}

type attachAttr struct {
	targetFd     uint32
	attachBpfFd  uint32
	attachType   uint32
	attachFlags  uint32
	replaceBpfFd uint32
}

type queryAttr struct {
	targetFd    uint32
	attachType  uint32
	queryFlags  uint32
	attachFlags uint32
	progIDs     uint64
	progCnt     uint32
	_           uint32
}

type getFdAttr struct {
	id        uint32
	nextID    uint32
	openFlags uint32
}

// attached lists the ids of the device programs attached to this cgroup
// directly (not inherited from parents).
func attached(dirFd int) ([]uint32, error) {
	ids := make([]uint32, 64)
	attr := queryAttr{
		targetFd:   uint32(dirFd),
		attachType: attachCgroupDevice,
		progIDs:    uint64(uintptr(unsafe.Pointer(&ids[0]))),
		progCnt:    uint32(len(ids)),
	}
	_, err := bpf(cmdProgQuery, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(ids)
	if err != nil {
		return nil, fmt.Errorf("query device programs: %w", err)
	}
	return ids[:attr.progCnt], nil
}

// Apply replaces the device programs of the cgroup directory dir with one
// made from rules. The new program is attached before the old ones are
// detached: in between both apply, and the stricter result wins, so
// there is no moment without a filter.
func Apply(dir string, rules []Rule) error {
	code, err := Generate(rules)
	if err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	dirFd := int(d.Fd())
	old, err := attached(dirFd)
	if err != nil {
		return err
	}
	prog, err := load(code)
	if err != nil {
		return err
	}
	defer unix.Close(prog)
	attr := attachAttr{targetFd: uint32(dirFd), attachBpfFd: uint32(prog), attachType: attachCgroupDevice, attachFlags: flagAllowMulti}
	if _, err := bpf(cmdProgAttach, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return fmt.Errorf("attach device program to %s: %w", dir, err)
	}
	for _, id := range old {
		if err := detach(dirFd, id); err != nil {
			return fmt.Errorf("detach old device program from %s: %w", dir, err)
		}
	}
	return nil
}

func detach(dirFd int, id uint32) error {
	g := getFdAttr{id: id}
	fd, err := bpf(cmdProgGetFdByID, unsafe.Pointer(&g), unsafe.Sizeof(g))
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(int(fd))
	attr := attachAttr{targetFd: uint32(dirFd), attachBpfFd: uint32(fd), attachType: attachCgroupDevice}
	_, err = bpf(cmdProgDetach, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	return err
}
