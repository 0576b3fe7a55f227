/* The arena: one MAP_NORESERVE reservation that backs every libos allocation.
 * Untouched pages cost nothing; freed spans are returned to the host with
 * MADV_DONTNEED and kept on per-size free lists for reuse. */
#include "locks.h"
#include "arena.h"
#include "fastpath.h"
#include "rt.h"
#include "../host/host.h"
#include <linux/mman.h>

#define ARENA_SIZE (16UL << 30)
#define SPAN_CLASSES 64 /* spans of 1..63 pages get exact lists; larger share the last */

struct span {
	struct span *next;
	size_t pages;
};

extern const char __ehdr_start[];
extern const char _end[];

static uintptr_t arena_start __ro_after_init, arena_end __ro_after_init;
static uintptr_t arena_top __fork_hot;
/* The low end of the spans taken from the top (arena_alloc_high). */
static uintptr_t arena_high __fork_hot;
static struct span *free_spans[SPAN_CLASSES] __fork_hot;
struct lock arena_lock __fork_hot = LOCK_INIT;

void *host_mmap_random(size_t len, int prot, int flags)
{
	const uintptr_t lo = 1ULL << 40, hi = 1ULL << 46;
	for (int i = 0; i < 8; i++) {
		uint64_t r;
		if (host(__NR_getrandom, &r, sizeof(r), 0) != sizeof(r))
			break;
		uintptr_t at = lo + ALIGN_DOWN(r % (hi - lo - len), PAGE_SIZE);
		void *p = host_mmap((void *)at, len, prot, flags | MAP_FIXED_NOREPLACE, -1, 0);
		if (!host_err((long)p))
			return p;
	}
	return host_mmap(NULL, len, prot, flags, -1, 0);
}

int arena_init(void)
{
	void *p = host_mmap_random(ARENA_SIZE, PROT_READ | PROT_WRITE,
	                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	if (host_err((long)p))
		return (int)(long)p;
	arena_start = arena_top = (uintptr_t)p;
	arena_end = arena_high = arena_start + ARENA_SIZE;
	return 0;
}

static size_t span_class(size_t pages)
{
	return pages < SPAN_CLASSES ? pages : SPAN_CLASSES - 1;
}

void *arena_alloc_pages(size_t n)
{
	size_t pages = ALIGN_UP(n, PAGE_SIZE) / PAGE_SIZE;
	void *ret = NULL;
	bool reused = false;
	lock(&arena_lock);
	struct span **pp = &free_spans[span_class(pages)];
	for (; *pp; pp = &(*pp)->next) {
		if ((*pp)->pages == pages) {
			ret = *pp;
			*pp = (*pp)->next;
			reused = true;
			break;
		}
	}
	if (!ret && arena_top + pages * PAGE_SIZE <= arena_high) {
		ret = (void *)arena_top;
		arena_top += pages * PAGE_SIZE;
	}
	unlock(&arena_lock);
	/* A reused span kept its first page (it held the free-list link); the
	 * rest was given back to the host and reads as zero. */
	if (reused)
		memset(ret, 0, PAGE_SIZE);
	return ret;
}

void *arena_alloc_high(size_t n)
{
	size_t len = ALIGN_UP(n, PAGE_SIZE);
	void *ret = NULL;
	lock(&arena_lock);
	if (arena_high - arena_top >= len) {
		arena_high -= len;
		ret = (void *)arena_high;
	}
	unlock(&arena_lock);
	return ret;
}

/* Linux 6.13's guard markers; older kernels refuse them (EINVAL). */
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103

void arena_guard(void *page, bool on)
{
	/* A marker in the page table, not a PROT_NONE mapping: the arena stays
	 * one mapping, and every mapping is a cost of each fork and exit. */
	if (host(__NR_madvise, page, PAGE_SIZE, on ? MADV_GUARD_INSTALL : MADV_GUARD_REMOVE) == 0)
		return;
	host(__NR_mprotect, page, PAGE_SIZE, on ? PROT_NONE : PROT_READ | PROT_WRITE);
}

void arena_free_pages(void *p, size_t n)
{
	size_t pages = ALIGN_UP(n, PAGE_SIZE) / PAGE_SIZE;
	if (pages > 1)
		host(__NR_madvise, (char *)p + PAGE_SIZE, (pages - 1) * PAGE_SIZE, MADV_DONTNEED);
	struct span *s = p;
	s->pages = pages;
	lock(&arena_lock);
	s->next = free_spans[span_class(pages)];
	free_spans[span_class(pages)] = s;
	unlock(&arena_lock);
}

bool addr_in_libos_image(uintptr_t addr)
{
	return addr >= (uintptr_t)__ehdr_start && addr < (uintptr_t)_end;
}

static bool overlaps(uintptr_t a, size_t len, uintptr_t s, uintptr_t e)
{
	return a < e && a + len > s;
}

void libos_image_bounds(uintptr_t *start, uintptr_t *end)
{
	*start = ALIGN_DOWN((uintptr_t)__ehdr_start, PAGE_SIZE);
	*end = ALIGN_UP((uintptr_t)_end, PAGE_SIZE);
}

void arena_bounds(uintptr_t *start, uintptr_t *end)
{
	*start = arena_start;
	*end = arena_end;
}

bool range_is_libos(uintptr_t addr, size_t len)
{
	if (addr + len < addr)
		return true;
	uintptr_t s, e;
	libos_image_bounds(&s, &e);
	return overlaps(addr, len, s, e) || overlaps(addr, len, arena_start, arena_end) ||
	       range_is_trampoline(addr, len);
}
