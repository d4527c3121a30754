// The mmap wrapper of package hugeheap: see hugeheap.go.
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

// The Go runtime grows its heap in chunks of 4 MB (512 of its 8 kB pages)
// or more. Nothing else in hutch maps anonymous memory at a fixed address
// in such sizes: libc's arenas and thread stacks are not fixed.
#define HEAP_CHUNK (4UL << 20)

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	void *p = __real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & (MAP_FIXED | MAP_ANONYMOUS)) == (MAP_FIXED | MAP_ANONYMOUS) &&
	    (prot & PROT_WRITE) && len >= HEAP_CHUNK && len % HEAP_CHUNK == 0) {
		int saved = errno;
		(void)madvise(p, len, MADV_HUGEPAGE);
		errno = saved;
	}
	return p;
}
