/* malloc for the libos: power-of-two size classes up to 2 KiB carved from
 * arena pages; larger blocks are whole arena spans. A 16-byte header keeps
 * the size so free() needs no lookup. */
#include "locks.h"
#include "arena.h"
#include "rt.h"

#define HDR 16
#define MIN_SHIFT 4
#define MAX_SMALL 2048
#define NCLASSES 8 /* 16 .. 2048 */
#define CHUNK (64 * 1024)

struct hdr {
	size_t size; /* usable size */
	size_t pad;
};

struct free_block {
	struct free_block *next;
};

static struct free_block *bins[NCLASSES] __fork_hot;
/* The unused tail of the current chunk: blocks are carved from it one at a
 * time, so a chunk's pages are touched only as they are used. All classes
 * share it: the blocks a fork's path takes and gives back (its messages)
 * then sit on one or two pages, not one page per class, and each such page
 * costs a copy-on-write fault on both sides of every fork. A tail too
 * short for the next block is left unused (< 2 KiB of 64). */
static char *carve __fork_hot, *carve_end __fork_hot;
struct lock alloc_lock __fork_hot = LOCK_INIT;

static int class_of(size_t n)
{
	int c = 0;
	size_t sz = 1UL << MIN_SHIFT;
	while (sz < n) {
		sz <<= 1;
		c++;
	}
	return c;
}

static void *alloc_small(int c)
{
	size_t block = (1UL << (c + MIN_SHIFT)) + HDR;
	struct hdr *h;
	lock(&alloc_lock);
	if (bins[c]) {
		h = (struct hdr *)bins[c];
		bins[c] = bins[c]->next;
	} else {
		if (!carve || carve + block > carve_end) {
			carve = arena_alloc_pages(CHUNK);
			carve_end = carve ? carve + CHUNK : NULL;
		}
		h = (struct hdr *)carve;
		if (h)
			carve += block;
	}
	unlock(&alloc_lock);
	if (!h)
		return NULL;
	h->size = 1UL << (c + MIN_SHIFT);
	return h + 1;
}

void *malloc(size_t n)
{
	if (n <= MAX_SMALL)
		return alloc_small(class_of(n ? n : 1));
	if (n > (1UL << 34))
		return NULL;
	struct hdr *h = arena_alloc_pages(n + HDR);
	if (!h)
		return NULL;
	h->size = ALIGN_UP(n + HDR, PAGE_SIZE) - HDR;
	return h + 1;
}

void free(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)p - 1;
	if (h->size > MAX_SMALL) {
		arena_free_pages(h, h->size + HDR);
		return;
	}
	int c = class_of(h->size);
	struct free_block *b = (struct free_block *)h;
	lock(&alloc_lock);
	b->next = bins[c];
	bins[c] = b;
	unlock(&alloc_lock);
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = malloc(n * size);
	/* Large blocks are fresh arena spans, already zero: touching them
	 * would only fault in pages nobody may use. */
	if (p && n * size <= MAX_SMALL)
		memset(p, 0, n * size);
	return p;
}

void *realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	struct hdr *h = (struct hdr *)p - 1;
	if (n <= h->size)
		return p;
	void *q = malloc(n);
	if (q) {
		memcpy(q, p, h->size);
		free(p);
	}
	return q;
}

char *strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = malloc(n);
	if (p)
		memcpy(p, s, n);
	return p;
}
