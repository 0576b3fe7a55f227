/* execve unmaps the old program as the gaps between what stays: the libos
 * image, the arena, the trampoline and the kernel's mappings. The kernel's
 * are learnt once, from /proc/self/maps at start-up (a dozen lines then),
 * and inherited by fork: at each execve, reading the maps (the kernel
 * formats a line per mapping, ~65 us) and one munmap per mapping cost more
 * than the exec of the new program. They never move: the loader passes the
 * vDSO's start-up address to every program as AT_SYSINFO_EHDR too. */
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

static struct span kernel_maps[MAX_KERNEL_MAPS] __ro_after_init;
static unsigned nkernel_maps __ro_after_init;

/* [vdso], [vvar], [vvar_vclock]...: the kernel's. */
static bool is_kernel_mapping(const char *name)
{
	return name[0] == '[' && strcmp(name, "[stack]") && strcmp(name, "[heap]");
}

void appspace_init(void)
{
	char *buf = maps_read();
	if (!buf)
		libos_fatal("cannot read the address space");
	struct maps_line l;
	for (char *cur = buf; maps_next(&cur, &l);) {
		if (l.hi <= l.lo || l.lo >= USER_LIMIT || !is_kernel_mapping(l.name))
			continue;
		if (nkernel_maps == MAX_KERNEL_MAPS)
			libos_fatal("more kernel mappings than known: %s", l.name);
		kernel_maps[nkernel_maps++] = (struct span){ l.lo, l.hi };
	}
	free(buf);
}

static void unmap_between(uintptr_t lo, uintptr_t hi)
{
	if (hi > lo)
		host_munmap((void *)lo, hi - lo);
}

void appspace_unmap_all(void)
{
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
