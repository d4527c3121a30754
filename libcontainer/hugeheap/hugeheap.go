// Package hugeheap backs the Go heap of a short hutch command with a huge
// page.
//
// A create, run or exec command lives for a few milliseconds and allocates
// about a megabyte after main starts, most of it in fresh pages: one page
// fault each. On a VM with shadow paging (this project's CI and bench
// machines) a fault costs about 13 us, so these faults were a tenth of the
// command's CPU. One MADV_COLLAPSE turns the 2 MB around the heap's current
// end into one huge page (it copies what is there, about 300 us here); the
// rest of the runtime's heap chunk is advised for huge pages in case the
// heap grows into it. On bare metal a fault costs about a microsecond and
// the collapse roughly what it saves. The price is resident memory: up to
// 2 MB more for the life of the command, never in a container process.
package hugeheap

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

const (
	hugePage = 2 << 20
	// The runtime maps its heap in chunks of this size, aligned to it
	// (pallocChunkBytes).
	heapChunk = 4 << 20
)

// probe is a heap object: its address says where the runtime is
// allocating now.
var probe *[64]byte

// Advise asks the kernel for huge pages under the heap. It is advice: where
// the kernel has no transparent huge pages, or no free 2 MB block, nothing
// changes.
func Advise() {
	probe = new([64]byte)
	at := uintptr(unsafe.Pointer(probe))
	if madvise(at&^(heapChunk-1), heapChunk, unix.MADV_HUGEPAGE) != nil {
		return
	}
	_ = madvise(at&^(hugePage-1), hugePage, unix.MADV_COLLAPSE)
}

// madvise takes an address, not a slice: the heap chunk is the runtime's
// memory, not a Go object.
func madvise(addr, n uintptr, advice int) error {
	if _, _, e := unix.Syscall(unix.SYS_MADVISE, addr, n, uintptr(advice)); e != 0 {
		return e
	}
	return nil
}
