/* Memory syscalls pass through to the host, except that the app may never
 * map over, unmap, remap or re-protect libos memory, and brk is emulated in
 * an area reserved at load time. */
#include <asm/errno.h>
#include <linux/mman.h>
#include "appspace.h"
#include "arena.h"
#include "fastpath.h"
#include "fdtable.h"
#include "host/host.h"
#include "memlimit.h"
#include "process.h"
#include "syscall.h"
#include "sysv.h"

static bool bad_range(uintptr_t addr, size_t len)
{
	return range_is_libos(ALIGN_DOWN(addr, PAGE_SIZE), ALIGN_UP(len + (addr & (PAGE_SIZE - 1)), PAGE_SIZE));
}

SYS(mmap)
{
	uintptr_t addr = c->a[0];
	size_t len = c->a[1];
	int flags = (int)c->a[3];
	int fd = (int)c->a[4];
	if (!(flags & MAP_ANONYMOUS) && !fd_app_valid(fd))
		return -EBADF;
	if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && bad_range(addr, len))
		return -ENOMEM;
	long e = memlimit_check(addr, len, flags & MAP_FIXED,
	                        (c->a[2] & PROT_WRITE) && (flags & MAP_TYPE) == MAP_PRIVATE && !(flags & MAP_GROWSDOWN));
	if (e < 0)
		return e;
	appspace_changed();
	long r = host(__NR_mmap, addr, len, c->a[2], flags, fd, c->a[5]);
	if (!host_err(r) && (flags & MAP_FIXED)) {
		fastpath_forget(r, len, true);
		sysv_shm_unmapped(r, len);
	}
	/* A hint is only a hint: never hand out libos memory (cannot happen
	 * while it is mapped, but keep the invariant explicit). */
	if (!host_err(r) && bad_range(r, len)) {
		host_munmap((void *)r, len);
		return -ENOMEM;
	}
	return r;
}

SYS(munmap)
{
	if (bad_range(c->a[0], c->a[1]))
		return -EINVAL;
	appspace_changed();
	long r = host(__NR_munmap, c->a[0], c->a[1]);
	if (r == 0) {
		fastpath_forget(c->a[0], c->a[1], true);
		sysv_shm_unmapped(c->a[0], c->a[1]);
	}
	return r;
}

SYS(mprotect)
{
	if (bad_range(c->a[0], c->a[1]))
		return -ENOMEM;
	long r = sysv_shm_mprotect(c->a[0], c->a[1], (int)c->a[2], false);
	appspace_changed();
	if (r == 0)
		r = host(__NR_mprotect, c->a[0], c->a[1], c->a[2]);
	if (r == 0) {
		fastpath_forget(c->a[0], c->a[1], false);
		sysv_shm_mprotect(c->a[0], c->a[1], (int)c->a[2], true);
	}
	return r;
}

SYS(mremap)
{
	int flags = (int)c->a[3];
	if (bad_range(c->a[0], c->a[1]) ||
	    ((flags & MREMAP_FIXED) && bad_range(c->a[4], c->a[2])))
		return -EINVAL;
	long e = c->a[2] > c->a[1] ? memlimit_check(0, c->a[2] - c->a[1], false, false) : 0;
	if (e < 0)
		return e;
	appspace_changed();
	long r = host(__NR_mremap, c->a[0], c->a[1], c->a[2], flags, c->a[4]);
	if (!host_err(r))
		fastpath_forget(c->a[0], c->a[1], true);
	if (!host_err(r) && bad_range(r, c->a[2]))
		return -ENOMEM;
	return r;
}

SYS(madvise)
{
	if (bad_range(c->a[0], c->a[1]))
		return -EINVAL;
	return host(__NR_madvise, c->a[0], c->a[1], c->a[2]);
}

SYS(msync)
{
	return host(__NR_msync, c->a[0], c->a[1], c->a[2]);
}

SYS(mincore)
{
	return host(__NR_mincore, c->a[0], c->a[1], c->a[2]);
}

SYS(mlock)
{
	return host(__NR_mlock, c->a[0], c->a[1]);
}

SYS(munlock)
{
	return host(__NR_munlock, c->a[0], c->a[1]);
}

SYS(brk)
{
	uintptr_t want = c->a[0];
	/* the limits first: their check reads the brk area under proc.lock */
	uintptr_t start = __atomic_load_n(&proc.brk_start, __ATOMIC_RELAXED);
	uintptr_t end = ALIGN_UP(__atomic_load_n(&proc.brk_cur, __ATOMIC_RELAXED), PAGE_SIZE);
	if (ALIGN_UP(want, PAGE_SIZE) > end && want >= start &&
	    (!memlimit_brk_ok(start, want) || memlimit_check(0, ALIGN_UP(want, PAGE_SIZE) - end, false, false)))
		want = 0; /* refused: brk answers the current break */
	lock(&proc.lock);
	uintptr_t cur = proc.brk_cur;
	if (want >= proc.brk_start && want <= proc.brk_max) {
		uintptr_t old_end = ALIGN_UP(cur, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
		long r = 0;
		if (new_end != old_end)
			appspace_changed();
		if (new_end > old_end)
			r = (long)host_mmap((void *)old_end, new_end - old_end, PROT_READ | PROT_WRITE,
			                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		else if (new_end < old_end)
			r = (long)host_mmap((void *)new_end, old_end - new_end, PROT_NONE,
			                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
		if (!host_err(r))
			cur = proc.brk_cur = want;
	}
	unlock(&proc.lock);
	return (long)cur;
}
