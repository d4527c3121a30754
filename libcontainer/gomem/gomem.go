// Package gomem sets up how the Go runtime of a hutch command gets its
// memory. Linking it is all it takes: the hutch binary imports it for its
// side effect. It never acts in a container process: no Go runtime starts
// there, and the C process executor maps no memory through mmap(3).
//
// Why: a hutch command lives for a few milliseconds, and most of the memory
// its Go runtime touches in that time is fresh: one page fault per page.
// On a VM with shadow paging (this project's CI and bench machines) a
// fault costs about 10 us, so these faults were about a third of a
// command's CPU; one 2 MB huge page takes one fault. On bare metal a fault
// costs about a microsecond and the gain is small. The price is resident
// memory: a create's peak RSS is about 14.6 MB, from about 11 (bt medians),
// for the life of the command.
//
// How: hutch links cgo (the nsenter constructor), so the Go runtime maps
// memory through libc's mmap (x_cgo_mmap). The linker wraps that symbol
// (--wrap=mmap, below), and the wrapper in gomem.c
//   - advises MADV_HUGEPAGE on the mappings the runtime makes for its heap:
//     read-write anonymous memory at a fixed address inside its
//     reservation, in multiples of 4 MB (about 150 faults of a create,
//     most of them in the runtime's own start);
//   - serves the runtime's small off-heap mappings (its persistent
//     allocator's 256 kB chunks: span structures, span sets, profiling
//     buckets) from one 2 MB region advised for a huge page, while it
//     lasts (about 50 faults). The runtime never frees those; memory it
//     did unmap would only leave a hole, never be handed out twice.
//
// and a constructor
//   - limits glibc's malloc to one arena: otherwise every thread the runtime
//     starts, which calls malloc through cgo, maps a 64 MB arena of its own
//     and faults in its header;
//   - maps all of the binary's code and read-only data
//     (MADV_POPULATE_READ, one call a segment) where the
//     command would have taken a fault for every 64 kB it first touched:
//     `hutch --version` took 169 faults and 93 with it; bt, 60 interleaved
//     runs, `run` CPU 21.7 to 20.3 ms, and 50 lifecycles, CPU 39.7 to
//     37.4 ms. The pages are the page cache's, shared by every hutch
//     process: what grows is RSS as counted (about 1.5 MB for a create),
//     not memory used, but for the page tables (16 kB).
//
// Measured with bench's bt, 60 interleaved lifecycles, medians: the two
// last steps took create from 20.3 to 19.3 ms (CPU 20.1 to 18.5) and a
// whole create, start and delete from 44.7 to 42.1 ms; the heap advice
// before them took --version from 9.4 to 6.6 ms and create from 18.1 to
// 15.9 ms. All of it is advice: where transparent huge pages are off, or no
// free 2 MB block is at hand, the kernel uses small pages.
package gomem

/*
#cgo LDFLAGS: -Wl,--wrap=mmap
#include <stdint.h>
extern void gomem_pool_used(uintptr_t *start, uintptr_t *used);
extern int gomem_arenas(void);
*/
import "C"

// poolUsed reports where the pool of small runtime mappings is and how
// much of it has been handed out (for the tests).
func poolUsed() (start, used uintptr) {
	var s, u C.uintptr_t
	C.gomem_pool_used(&s, &u)
	return uintptr(s), uintptr(u)
}

// arenas counts glibc's malloc arenas (for the tests).
func arenas() int { return int(C.gomem_arenas()) }
