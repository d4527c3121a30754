// Package hugeheap backs the Go heap of every hutch command with
// transparent huge pages from its first allocation. Linking it is all it
// takes: the hutch binary imports it for its side effect.
//
// Why: a hutch command lives for a few milliseconds, and the Go runtime and
// the command touch about 150 fresh heap pages in that time (a create: most
// of them before main runs, in the runtime's own start), one page fault
// each. On a VM with shadow paging (this project's CI and bench machines) a
// fault costs about 10 us, so these faults were a fifth of a command's CPU.
// One 2 MB huge page takes one fault. Measured with bench's bt, interleaved:
// `hutch --version` 9.4 ms to 6.6 ms, 322 to 147 faults; a create 20.2 ms
// to 16.1 ms. On bare metal a fault costs about a microsecond and the gain
// is small. The price is resident memory: a command's heap is one or two
// huge pages (create's peak RSS about 13 MB, from about 10), for the life
// of the command, never in a container process (no Go runtime starts
// there).
//
// How: hutch links cgo (the nsenter constructor), so the Go runtime maps
// memory through libc's mmap (x_cgo_mmap). The linker wraps that symbol
// (--wrap=mmap, below) and the wrapper in hugeheap.c advises MADV_HUGEPAGE
// on the mappings the runtime makes for its heap: read-write anonymous
// memory at a fixed address inside its reservation, in multiples of 4 MB.
// It is advice: where transparent huge pages are off, or no free 2 MB block
// is at hand, the kernel uses small pages as before.
package hugeheap

/*
#cgo LDFLAGS: -Wl,--wrap=mmap
*/
import "C"
