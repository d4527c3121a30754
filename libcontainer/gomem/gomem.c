// The mmap wrapper and the malloc set-up of package gomem: see gomem.go.
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);

// The Go runtime grows its heap in chunks of 4 MB (512 of its 8 kB pages)
// or more. Nothing else in hutch maps anonymous memory at a fixed address
// in such sizes: libc's arenas and thread stacks are not fixed.
#define HEAP_CHUNK (4UL << 20)

// The pool: one 2 MB-aligned region for the runtime's small mappings. The
// runtime's persistent allocator asks for 256 kB at a time.
#define POOL_SIZE (2UL << 20)
#define POOL_MAX_REQUEST (256UL << 10)

static char *pool;          // set once, by whichever thread maps it first
static int pool_failed;     // the 4 MB reservation was refused: never again
static uintptr_t pool_used; // bytes handed out; may run past POOL_SIZE

static char *pool_map(void)
{
	// Twice the size, so that an aligned 2 MB lies inside; the rest goes.
	char *r = __real_mmap(NULL, 2 * POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	char *a = (char *)(((uintptr_t)r + POOL_SIZE - 1) & ~(POOL_SIZE - 1));
	if (a > r)
		munmap(r, (size_t)(a - r));
	if (a + POOL_SIZE < r + 2 * POOL_SIZE)
		munmap(a + POOL_SIZE, (size_t)(r + 2 * POOL_SIZE - (a + POOL_SIZE)));
	(void)madvise(a, POOL_SIZE, MADV_HUGEPAGE);
	return a;
}

// pool_get returns len fresh bytes of the pool, or NULL when the request is
// not small or the pool is used up (the caller then maps as usual). Fresh
// anonymous memory is zero, and no byte is handed out twice.
static void *pool_get(size_t len)
{
	if (len == 0 || len > POOL_MAX_REQUEST || len % 4096 != 0)
		return NULL;
	char *p = __atomic_load_n(&pool, __ATOMIC_ACQUIRE);
	if (p == NULL) {
		if (__atomic_load_n(&pool_failed, __ATOMIC_RELAXED))
			return NULL;
		char *mine = pool_map();
		if (mine == NULL) {
			__atomic_store_n(&pool_failed, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		char *none = NULL;
		if (__atomic_compare_exchange_n(&pool, &none, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			p = mine;
		} else { // another thread mapped one first
			munmap(mine, POOL_SIZE);
			p = none;
		}
	}
	uintptr_t off = __atomic_fetch_add(&pool_used, len, __ATOMIC_RELAXED);
	if (off + len > POOL_SIZE)
		return NULL;
	return p + off;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	int saved = errno;
	if (addr == NULL && fd == -1 && flags == (MAP_PRIVATE | MAP_ANONYMOUS) && prot == (PROT_READ | PROT_WRITE)) {
		void *q = pool_get(len);
		if (q != NULL) {
			errno = saved;
			return q;
		}
	}
	void *p = __real_mmap(addr, len, prot, flags, fd, off);
	if (p != MAP_FAILED && (flags & (MAP_FIXED | MAP_ANONYMOUS)) == (MAP_FIXED | MAP_ANONYMOUS) &&
	    (prot & PROT_WRITE) && len >= HEAP_CHUNK && len % HEAP_CHUNK == 0) {
		(void)madvise(p, len, MADV_HUGEPAGE);
		errno = saved;
	}
	return p;
}

// gomem_arenas counts glibc's malloc arenas (for the tests).
int gomem_arenas(void)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	if (f == NULL)
		return -1;
	malloc_info(0, f);
	fclose(f);
	int count = 0;
	for (char *s = buf; (s = strstr(s, "<heap nr=")) != NULL; s++)
		count++;
	free(buf);
	return count;
}

void gomem_pool_used(uintptr_t *start, uintptr_t *used)
{
	uintptr_t u = __atomic_load_n(&pool_used, __ATOMIC_RELAXED);
	*start = (uintptr_t)__atomic_load_n(&pool, __ATOMIC_ACQUIRE);
	*used = u < POOL_SIZE ? u : POOL_SIZE;
}

// populate_readonly maps every page of the executable's read-only segments
// (code, read-only data) in one madvise each, instead of a fault, with
// fault-around, wherever the command first touches them. Only the first
// object is the executable.
static int populate_readonly(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~4095UL;
		uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + 4095) & ~4095UL;
		(void)madvise((void *)start, end - start, MADV_POPULATE_READ); // advice: older kernels refuse it
	}
	return 1;
}

// One malloc arena, and the binary's read-only pages mapped. Runs before the
// Go runtime starts any thread (glibc runs constructors before main, which
// starts the runtime). Never in a container process: nsenter's constructor
// runs first and does not return there.
__attribute__((constructor)) static void gomem_setup(void)
{
	mallopt(M_ARENA_MAX, 1);
	dl_iterate_phdr(populate_readonly, NULL);
}
