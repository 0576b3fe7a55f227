/* vfork over a copy-on-write fork.
 *
 * Linux's vfork child runs in its parent's memory, and the parent's calling
 * thread sleeps until the child execs or ends. A child sharing the libos's
 * memory could not run a libos of its own (the process state lives in
 * globals the parent needs unchanged, and execve unmaps the app's memory),
 * so the child is a copy, and what it wrote is carried back: the parent
 * waits on a pipe, and the child, when it execs (past the point of no
 * return) or ends, sends each page of the parent's writable private
 * mappings that it wrote, then closes the pipe. A page the child wrote is
 * one it no longer shares with the parent, which the host's pagemap shows
 * as "exclusively mapped" (bit 56) in the child. A page the parent wrote
 * after the fork is exclusive in the child too, with the old content: the
 * parent's calling thread does not run meanwhile, but its other threads
 * do, so a parent with other threads takes back only the mapping of the
 * calling thread's stack (which glibc's thread TLS shares), which they do
 * not write: what a posix_spawn or vfork child writes there (the exec
 * error, the caller's locals) is seen, its other writes are not. */
#include <asm/errno.h>
#include <linux/fcntl.h>
#include "appspace.h"
#include "arena.h"
#include "fdtable.h"
#include "host/host.h"
#include "maps.h"
#include "rt.h"
#include "thread.h"
#include "vfork.h"

#define PM_PRESENT (1ULL << 63)
#define PM_EXCLUSIVE (1ULL << 56)
#define KEEP_BELOW_SP 256

struct range {
	uintptr_t lo, hi;
};

struct vfork_link {
	int rd, wr;
	struct range *ranges; /* NULL: CLONE_VFORK without CLONE_VM */
	size_t n;
};

/* In a vfork child: the link to the parent that waits for it. */
static struct vfork_link *mine;

static void link_free(struct vfork_link *l)
{
	free(l->ranges);
	free(l);
}

/* The last ranges of all of it, read while the app's mappings were at
 * generation known_gen (appspace.h): a shell's vforks mostly find them
 * unchanged, where reading /proc/self/maps cost ~50 us each. The kernel
 * changes them alone only by growing a MAP_GROWSDOWN stack, which the
 * stack pointer would be below. */
static struct range *known;
static size_t nknown;
static uint64_t known_gen;

static bool from_known(struct vfork_link *l, uintptr_t app_sp)
{
	bool sp_in = false;
	for (size_t i = 0; known && i < nknown; i++)
		sp_in |= app_sp > known[i].lo && app_sp <= known[i].hi;
	if (!sp_in || known_gen != appspace_generation() || !(l->ranges = malloc(nknown * sizeof(*known))))
		return false;
	memcpy(l->ranges, known, nknown * sizeof(*known));
	l->n = nknown;
	return true;
}

static void keep_known(const struct vfork_link *l, uint64_t gen)
{
	struct range *r = malloc(l->n * sizeof(*r));
	if (!r)
		return;
	memcpy(r, l->ranges, l->n * sizeof(*r));
	free(known);
	known = r;
	nknown = l->n;
	known_gen = gen;
}

/* The app's writable private memory the parent takes back: all of it, or
 * (only_sp: other threads may change the mappings meanwhile, or grow their
 * stacks) the mapping that holds app_sp. */
static bool record_ranges(struct vfork_link *l, bool only_sp, uintptr_t app_sp)
{
	if (!only_sp && from_known(l, app_sp))
		return true;
	uint64_t gen = appspace_generation();
	char *buf = maps_read();
	if (!buf)
		return false;
	size_t cap = 0;
	struct maps_line m;
	for (char *cur = buf; maps_next(&cur, &m);) {
		bool special = m.name[0] == '[' && strcmp(m.name, "[heap]") && strcmp(m.name, "[stack]");
		if (m.perms[1] != 'w' || m.perms[3] != 'p' || special || range_is_libos(m.lo, m.hi - m.lo))
			continue;
		if (only_sp && (app_sp <= m.lo || app_sp > m.hi))
			continue;
		if (l->n == cap) {
			struct range *r = realloc(l->ranges, (cap = cap ? cap * 2 : 32) * sizeof(*r));
			if (!r)
				break;
			l->ranges = r;
		}
		l->ranges[l->n++] = (struct range){ m.lo, m.hi };
	}
	free(buf);
	if (!only_sp && l->ranges)
		keep_known(l, gen);
	return l->ranges || only_sp;
}

struct vfork_link *vfork_prepare(bool share_memory, uintptr_t app_sp, long *err)
{
	struct vfork_link *l = calloc(1, sizeof(*l));
	int p[2];
	long r = l ? host(__NR_pipe2, p, O_CLOEXEC) : -ENOMEM;
	if (r < 0) {
		free(l);
		*err = r;
		return NULL;
	}
	l->rd = fd_make_private(p[0]);
	l->wr = fd_make_private(p[1]);
	if (l->rd < 0 || l->wr < 0 || (share_memory && !record_ranges(l, thread_count() > 1, app_sp))) {
		*err = l->rd < 0 ? l->rd : l->wr < 0 ? l->wr : -ENOMEM;
		host_close(l->rd);
		host_close(l->wr);
		link_free(l);
		return NULL;
	}
	return l;
}

static bool read_all(int fd, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		long r = host_read(fd, (char *)buf + got, n - got);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			return false;
		got += r;
	}
	return true;
}

void vfork_parent_wait(struct vfork_link *l, uintptr_t app_sp)
{
	host_close(l->wr);
	_Static_assert(KEEP_BELOW_SP < PAGE_SIZE, "one page holds the kept bytes");
	uintptr_t keep = app_sp - KEEP_BELOW_SP;
	char page[PAGE_SIZE];
	for (uintptr_t addr; read_all(l->rd, &addr, sizeof(addr));) {
		/* Straight into place when no kept byte is on the page (the host
		 * writes it: a page made read-only meanwhile fails the read, not
		 * the libos); else through a copy. */
		bool direct = addr + PAGE_SIZE <= keep || addr >= app_sp;
		if (!read_all(l->rd, direct ? (void *)addr : page, PAGE_SIZE)) {
			if (!direct || !read_all(l->rd, page, PAGE_SIZE))
				break;
			continue;
		}
		if (direct)
			continue;
		for (uintptr_t a = addr; a < addr + PAGE_SIZE; a++)
			if (a < keep || a >= app_sp)
				*(char *)a = page[a - addr];
	}
	host_close(l->rd);
	link_free(l);
}

void vfork_child_start(struct vfork_link *l)
{
	host_close(l->rd);
	mine = l;
}

void vfork_forget(void)
{
	if (mine) {
		host_close(mine->wr);
		link_free(mine);
		mine = NULL;
	}
}

/* Sends the pages of r the child wrote. */
static bool send_range(int pagemap, int wr, const struct range *r)
{
	uint64_t ent[512];
	for (uintptr_t a = r->lo; a < r->hi;) {
		size_t n = (r->hi - a) / PAGE_SIZE;
		if (n > 512)
			n = 512;
		long got = host(__NR_pread64, pagemap, ent, n * sizeof(ent[0]), a / PAGE_SIZE * sizeof(ent[0]));
		if (got <= 0)
			return false;
		n = (size_t)got / sizeof(ent[0]);
		for (size_t i = 0; i < n; i++, a += PAGE_SIZE) {
			if ((ent[i] & (PM_PRESENT | PM_EXCLUSIVE)) != (PM_PRESENT | PM_EXCLUSIVE))
				continue;
			struct iovec {
				const void *base;
				size_t len;
			} iov[2] = { { &a, sizeof(a) }, { (const void *)a, PAGE_SIZE } };
			if (host(__NR_writev, wr, iov, 2) != (long)(sizeof(a) + PAGE_SIZE))
				return false;
		}
	}
	return true;
}

void vfork_release(void)
{
	struct vfork_link *l = mine;
	if (!l)
		return;
	mine = NULL;
	if (l->n) {
		long pm = host(__NR_openat, AT_FDCWD, "/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		for (size_t i = 0; pm >= 0 && i < l->n && send_range((int)pm, l->wr, &l->ranges[i]); i++)
			;
		if (pm >= 0)
			host_close((int)pm);
	}
	/* Not freed: this may run from a host signal handler (death by a
	 * signal), which must not take the allocator's lock; the process is
	 * ending or replacing its program. */
	host_close(l->wr);
}
