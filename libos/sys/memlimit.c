/* RLIMIT_AS and RLIMIT_DATA, kept by the libos: the host's cannot be used,
 * since they would count the libos's own 16 GiB arena reservation. The app's
 * mmap, mremap and brk are checked as Linux's may_expand_vm and brk check
 * them, against the app's own mappings (the host's /proc/self/maps without
 * libos memory and without the unused part of the brk reservation, which
 * Linux would not have mapped). They cost a maps read only while a limit is
 * finite. Process state: forked with the process, kept by execve.
 *
 * This is Linux compatibility, not a boundary: an app at the libos's site
 * maps what it likes. What holds a hostile app is the memory cgroup of
 * sys.max_memory (tools/memcg.c); without one, sys.max_memory becomes the
 * initial RLIMIT_AS here (blob key rlimit_as). */
#include <asm/errno.h>
#include <linux/mman.h>
#include <linux/resource.h>
#include "arena.h"
#include "config.h"
#include "host/host.h"
#include "identity.h"
#include "maps.h"
#include "memlimit.h"
#include "process.h"

static struct rlimit64 lim_as, lim_data;

void memlimit_init(void)
{
	host(__NR_prlimit64, 0, RLIMIT_AS, NULL, &lim_as);
	host(__NR_prlimit64, 0, RLIMIT_DATA, NULL, &lim_data);
	if (config.rlimit_as)
		lim_as.rlim_cur = lim_as.rlim_max = config.rlimit_as;
}

long memlimit_rlimit(int res, const struct rlimit64 *new, struct rlimit64 *old)
{
	struct rlimit64 *l = res == RLIMIT_AS ? &lim_as : &lim_data;
	if (new && new->rlim_cur > new->rlim_max)
		return -EINVAL;
	/* raising the hard limit takes CAP_SYS_RESOURCE, inside */
	if (new && new->rlim_max > l->rlim_max && !capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (old)
		*old = *l;
	if (new)
		*l = *new;
	return 0;
}

/* The app's address space and its private writable part, and how much of
 * [addr, addr + len) is mapped already (MAP_FIXED replaces it). */
static int usage(uintptr_t addr, size_t len, uint64_t *total, uint64_t *data, uint64_t *overlap)
{
	char *buf = maps_read(), *cur = buf;
	if (!buf)
		return -ENOMEM;
	lock(&proc.lock);
	uintptr_t brk_lo = ALIGN_UP(proc.brk_cur, PAGE_SIZE), brk_hi = proc.brk_max;
	unlock(&proc.lock);
	*total = *data = *overlap = 0;
	struct maps_line l;
	while (maps_next(&cur, &l)) {
		if (range_is_libos(l.lo, l.hi - l.lo) || !strcmp(l.name, "[vvar]") || !strcmp(l.name, "[vdso]"))
			continue;
		uintptr_t lo = l.lo, hi = l.hi;
		/* the reserved, not yet grown part of the brk area */
		if (lo >= brk_lo && hi <= brk_hi)
			continue;
		*total += hi - lo;
		if (l.perms[1] == 'w' && l.perms[3] == 'p')
			*data += hi - lo;
		uintptr_t a = MAX(lo, addr), b = MIN(hi, addr + len);
		if (a < b)
			*overlap += b - a;
	}
	free(buf);
	return 0;
}

static bool infinite(const struct rlimit64 *l)
{
	return l->rlim_cur == RLIM64_INFINITY;
}

int memlimit_check(uintptr_t addr, size_t len, bool fixed, bool data)
{
	if (infinite(&lim_as) && (!data || infinite(&lim_data)))
		return 0;
	uint64_t total, dvm, overlap;
	int e = usage(addr, len, &total, &dvm, &overlap);
	if (e < 0)
		return e;
	uint64_t add = ALIGN_UP(len, PAGE_SIZE) - (fixed ? overlap : 0);
	if (!infinite(&lim_as) && total + add > lim_as.rlim_cur)
		return -ENOMEM;
	if (data && !infinite(&lim_data) && dvm + add > lim_data.rlim_cur)
		return -ENOMEM;
	return 0;
}

bool memlimit_brk_ok(uintptr_t start, uintptr_t want)
{
	return infinite(&lim_data) || want - start <= lim_data.rlim_cur;
}
