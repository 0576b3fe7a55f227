/* execve unmaps the old program as the gaps between what stays: the libos
 * image, the arena, the trampoline and the kernel's mappings. Where the
 * kernel's are is read from /proc/self/maps once, at the process's first
 * fork (or its execve, if it never forked), and inherited by the children:
 * reading the maps at each execve (the kernel formats a line per mapping,
 * ~65 us) and one munmap per mapping cost more than the exec of the new
 * program, and a start-up that neither forks nor execs never reads them.
 * They never move: the loader passes the vDSO's start-up address to every
 * program as AT_SYSINFO_EHDR too. */
#include "appspace.h"
#include "arena.h"
#include "fastpath.h"
#include "host/host.h"
#include "log.h"
#include "maps.h"
#include "rt.h"

struct span {
	uintptr_t lo, hi;
};

#define MAX_KERNEL_MAPS 8
/* Where the filter lets the libos unmap: below 2^48 (seccomp.c). */
#define USER_LIMIT (1UL << 48)
/* The end of a 4-level host's user space; beyond it munmap fails there. */
#define USER_END_4LEVEL ((1UL << 47) - PAGE_SIZE)

/* Bumped before each change the app makes to its mappings. */
static uint64_t generation;

static struct span kernel_maps[MAX_KERNEL_MAPS];
static unsigned nkernel_maps;
static bool kernel_maps_known;
static struct lock kernel_maps_lock = LOCK_INIT;

/* [vdso], [vvar], [vvar_vclock]...: the kernel's. */
static bool is_kernel_mapping(const char *name)
{
	return name[0] == '[' && strcmp(name, "[stack]") && strcmp(name, "[heap]");
}

/* Not waiting for another thread that is reading them: a fork meanwhile
 * leaves its child to read them at its execve. */
void appspace_prepare(void)
{
	if (__atomic_load_n(&kernel_maps_known, __ATOMIC_ACQUIRE) || !lock_try(&kernel_maps_lock))
		return;
	char *buf = kernel_maps_known ? NULL : maps_read();
	struct maps_line l;
	if (buf)
		nkernel_maps = 0; /* a fork may have copied a table half made */
	for (char *cur = buf; buf && maps_next(&cur, &l);) {
		if (l.hi <= l.lo || l.lo >= USER_LIMIT || !is_kernel_mapping(l.name))
			continue;
		if (nkernel_maps == MAX_KERNEL_MAPS)
			libos_fatal("more kernel mappings than known: %s", l.name);
		kernel_maps[nkernel_maps++] = (struct span){ l.lo, l.hi };
	}
	if (buf)
		__atomic_store_n(&kernel_maps_known, true, __ATOMIC_RELEASE);
	free(buf);
	unlock(&kernel_maps_lock);
}

void appspace_changed(void)
{
	__atomic_add_fetch(&generation, 1, __ATOMIC_ACQ_REL);
}

uint64_t appspace_generation(void)
{
	return __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
}

static void unmap_between(uintptr_t lo, uintptr_t hi)
{
	if (hi > lo)
		host_munmap((void *)lo, hi - lo);
}

void appspace_unmap_all(void)
{
	/* The only thread now: a lock held by a thread of the parent at the
	 * fork (or by one execve ended) is nobody's. */
	kernel_maps_lock = (struct lock)LOCK_INIT;
	appspace_prepare();
	appspace_changed();
	if (!kernel_maps_known)
		libos_fatal("execve: cannot read the address space");
	struct span keep[MAX_KERNEL_MAPS + 3];
	unsigned n = 0;
	libos_image_bounds(&keep[n].lo, &keep[n].hi);
	n++;
	arena_bounds(&keep[n].lo, &keep[n].hi);
	n++;
	if (range_is_trampoline(0, PAGE_SIZE))
		keep[n++] = (struct span){ 0, PAGE_SIZE };
	for (unsigned i = 0; i < nkernel_maps; i++)
		keep[n++] = kernel_maps[i];
	for (unsigned i = 1; i < n; i++) /* by start */
		for (unsigned j = i; j > 0 && keep[j].lo < keep[j - 1].lo; j--) {
			struct span t = keep[j];
			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	uintptr_t lo = 0;
	for (unsigned i = 0; i < n; i++) {
		unmap_between(lo, MIN(keep[i].lo, USER_END_4LEVEL));
		lo = MAX(lo, keep[i].hi);
	}
	unmap_between(lo, USER_END_4LEVEL);
	/* a 5-level host's: EINVAL on a 4-level one */
	unmap_between(MAX(lo, USER_END_4LEVEL), USER_LIMIT);
}
