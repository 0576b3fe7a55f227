/* All libos memory (heap, libos stacks) comes from one reserved range, the
 * arena, so "is this libos memory?" is two comparisons; together with the
 * libos image it is what the app may never unmap, remap or overwrite. */
#ifndef LIBOS_ARENA_H
#define LIBOS_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An anonymous mapping of len bytes at a random place in [1 TiB, 64 TiB):
 * away from the kernel's mmap area (the app's libraries and mappings, the
 * vDSO) and its PIE area, so that knowing those tells nothing about it.
 * The kernel's choice when no random place is free. */
void *host_mmap_random(size_t len, int prot, int flags);
int arena_init(void);
/* Page-granular allocation of n bytes (rounded up to pages), zeroed
 * without touching more than one page. */
void *arena_alloc_pages(size_t n);
void arena_free_pages(void *p, size_t n);
/* Like arena_alloc_pages, for a span the caller maps over (MAP_SHARED):
 * such spans are taken from the arena's top, so that they split the
 * arena's private mapping once, not once each, and leave the heap's and
 * stacks' pages together (fewer mappings and page tables for every fork
 * to copy and every exit to free). Freed with arena_free_pages once
 * anonymous again. */
void *arena_alloc_high(size_t n);
/* Makes the page at page (page-aligned, in the arena) fault on any access,
 * or (on false) ordinary memory again. */
void arena_guard(void *page, bool on);
/* True when [addr, addr+len) touches the libos image, the arena or the
 * fast path's trampoline. */
bool range_is_libos(uintptr_t addr, size_t len);
/* The arena: [*start, *end). */
void arena_bounds(uintptr_t *start, uintptr_t *end);
/* The libos image, page-aligned: [*start, *end). */
void libos_image_bounds(uintptr_t *start, uintptr_t *end);
/* True when addr lies in libos code (the app's context is never there). */
bool addr_in_libos_image(uintptr_t addr);

#endif
