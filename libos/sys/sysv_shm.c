/* System V shared memory. A segment is a window of the SysV memfd
 * (sysv.c), so shmat is one host mmap of the libos's own descriptor and a
 * fork shares it as any MAP_SHARED mapping. Attach counts are kept per
 * process slot, so a process that dies unheard is detached by whoever
 * cleans up after it; a removed segment's pages go back to the host when
 * its last attachment does. */
#include <asm/errno.h>
#include <linux/falloc.h>
#include <linux/mman.h>
#include <asm/shmbuf.h>
#include "arena.h"
#include "fastpath.h"
#include "host/host.h"
#include "nsd.h"
#include "process.h"
#include "syscall.h"
#include "sysv.h"

/* <linux/shm.h> needs a libc's unistd.h: its values, as the kernel's */
#define SHM_DEST 01000
#define SHM_LOCKED 02000
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_STAT 13
#define SHM_INFO 14
#define SHM_STAT_ANY 15
struct shm_info {
	int used_ids;
	unsigned long shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

struct shmseg {
	struct sysv_obj o;
	uint64_t size;
	int64_t atime, dtime;
	int32_t cpid, lpid;
	uint32_t nattch;
};

const size_t sysv_shm_size = sizeof(struct shmseg);
void *sysv_area(int kind, int i);

/* This process's attachments (private memory: a fork child inherits a
 * copy, as it inherits the mappings), one record per mapping: Linux counts
 * each vma (shm_open, shm_close), so an app munmap or mprotect that splits
 * an attachment's mapping makes two (never merged again, as shm vmas have a
 * close), and base names the shmat they came from, for shmdt. */
struct attachment {
	uintptr_t addr, base;
	size_t len;
	int slot;
	bool rdonly;
};
static struct attachment *atts;
static size_t natts, cap_atts;
static struct lock att_lock;

static struct shmseg *seg_at(int id) { return sysv_area(2, SYSV_IDX(id)); }

static long seg_lock(int id, struct shmseg **out)
{
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0 || SYSV_IDX(id) >= SHM_SLOTS)
		return -EINVAL;
	struct shmseg *s = seg_at(id);
	if (!sysv_obj_lock(&s->o, id))
		return -EINVAL;
	*out = s;
	return 0;
}

static uint64_t pages(uint64_t n) { return (n + PAGE_SIZE - 1) / PAGE_SIZE; }

static uint64_t rss_pages(int slot, uint64_t size);

/* Pages of the live segments (and of them resident, when rss). */
static uint64_t shm_tot(int *used, int *max_idx, uint64_t *rss)
{
	uint64_t tot = 0;
	*used = *max_idx = 0;
	for (int i = 0; i < SHM_SLOTS; i++) {
		struct shmseg *s = sysv_area(2, i);
		if (__atomic_load_n(&s->o.live, __ATOMIC_ACQUIRE)) {
			tot += pages(s->size);
			if (rss)
				*rss += rss_pages(i, s->size);
			++*used;
			*max_idx = i;
		}
	}
	return tot;
}

/* Resident pages of slot's window: the memfd's data extents there. */
static uint64_t rss_pages(int slot, uint64_t size)
{
	int64_t start = (int64_t)sysv_shm_offset(slot), end = start + (int64_t)(pages(size) * PAGE_SIZE);
	uint64_t n = 0;
	for (int64_t off = start; off < end;) {
		long data = host(__NR_lseek, sysv_memfd(), off, 3 /* SEEK_DATA */);
		if (data < 0 || data >= end)
			break;
		long hole = host(__NR_lseek, sysv_memfd(), data, 4 /* SEEK_HOLE */);
		if (hole < 0)
			break;
		n += (uint64_t)(MIN(hole, end) - data) / PAGE_SIZE;
		off = hole;
	}
	return n;
}

/* The segment (locked) goes: its pages back to the host. */
static void destroy(struct shmseg *s)
{
	int slot = SYSV_IDX(s->o.id);
	s->o.live = 0;
	host(__NR_fallocate, sysv_memfd(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
	     sysv_shm_offset(slot), pages(s->size) * PAGE_SIZE);
}

SYS(shmget)
{
	int key = (int)c->a[0], flg = (int)c->a[2];
	uint64_t size = c->a[1];
	if (!sysv_available())
		return -ENOSYS;
	bool bad_size = size < 1 || size > sysv_lim->shmmax || size > SHM_SEG_MAX;
	int used, max_idx;
	bool no_room = shm_tot(&used, &max_idx, NULL) + pages(size) > sysv_lim->shmall;
	Nsd__SysvObj n;
	bool created;
	if ((flg & IPC_CREAT) && (bad_size || no_room)) {
		/* only an existing segment can be named with this size */
		long r = key == IPC_PRIVATE ? -ENOENT
		                            : sysv_nsd_get(NSD__SYSV_KIND__SYSV_SHM, key, flg & ~IPC_CREAT, SHM_SLOTS, 0, 0, &n, &created);
		if (r == -ENOENT)
			return bad_size ? -EINVAL : -ENOSPC;
		if (r < 0)
			return r;
		if (flg & IPC_EXCL)
			return -EEXIST;
	}
	/* A removed segment still attached keeps its slot while nsd may hand
	 * its index out again: then take the next id. */
	for (int tries = 0; tries <= SHM_SLOTS; tries++) {
		long id = sysv_nsd_get(NSD__SYSV_KIND__SYSV_SHM, key, flg, SHM_SLOTS, sysv_lim->shmmni, size, &n,
		                       &created);
		if (id < 0)
			return id;
		struct shmseg *s = seg_at((int)id);
		sysv_lock(&s->o.lock);
		if (s->o.live && s->o.id != id && (s->o.perm.mode & SHM_DEST)) {
			sysv_obj_unlock(&s->o);
			sysv_nsd_remove(NSD__SYSV_KIND__SYSV_SHM, (int)id);
			continue;
		}
		if (!s->o.live || s->o.id != id) {
			sysv_obj_init(&s->o, &n);
			s->size = n.size;
			s->atime = s->dtime = 0;
			s->cpid = (int32_t)n.creator;
			s->lpid = 0;
			s->nattch = 0;
		}
		long r = 0;
		if (!created && size > s->size)
			r = -EINVAL;
		else if (!created)
			r = sysv_perm_check(&s->o.perm, flg);
		sysv_obj_unlock(&s->o);
		return r < 0 ? r : id;
	}
	return -ENOSPC;
}

static long att_push(struct attachment a) /* att_lock held */
{
	if (natts == cap_atts) {
		size_t cap = cap_atts ? 2 * cap_atts : 8;
		struct attachment *n = realloc(atts, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		atts = n;
		cap_atts = cap;
	}
	atts[natts++] = a;
	return 0;
}

static long att_add(struct attachment a)
{
	lock(&att_lock);
	long r = att_push(a);
	unlock(&att_lock);
	return r;
}

/* One attachment of slot fewer (s locked). */
static void detach_one(struct shmseg *s, struct sysv_proc *p, int slot)
{
	if (p->natt[slot])
		p->natt[slot]--;
	if (s->nattch)
		s->nattch--;
	s->dtime = sysv_now();
	s->lpid = proc.pid;
	if (!s->nattch && (s->o.perm.mode & SHM_DEST))
		destroy(s);
}

SYS(shmat)
{
	int id = (int)c->a[0], flg = (int)c->a[2];
	uintptr_t addr = c->a[1];
	if (!sysv_available())
		return -ENOSYS;
	if (addr) {
		if (flg & SHM_RND)
			addr &= ~(uintptr_t)(PAGE_SIZE - 1);
		else if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
	} else if (flg & SHM_REMAP) {
		return -EINVAL;
	}
	struct sysv_proc *p = sysv_self();
	if (!p)
		return -ENOMEM;
	int slot = SYSV_IDX(id), acc = 0444 | ((flg & SHM_RDONLY) ? 0 : 0222) | ((flg & SHM_EXEC) ? 0111 : 0);
	struct shmseg *s;
	long r = seg_lock(id, &s);
	if (r < 0)
		return r;
	r = sysv_perm_check(&s->o.perm, acc);
	size_t len = pages(s->size) * PAGE_SIZE;
	if (r == 0 && addr && range_is_libos(addr, len))
		r = -EINVAL;
	if (r == 0) {
		/* counted before the mapping exists, so a removal cannot free it */
		p->natt[slot]++;
		s->nattch++;
	}
	sysv_obj_unlock(&s->o);
	if (r < 0)
		return r;
	int prot = PROT_READ | ((flg & SHM_RDONLY) ? 0 : PROT_WRITE) | ((flg & SHM_EXEC) ? PROT_EXEC : 0);
	int mflags = MAP_SHARED | (addr ? ((flg & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE) : 0);
	long m = host(__NR_mmap, addr, len, prot, mflags, sysv_memfd(), sysv_shm_offset(slot));
	if (host_err(m) || (!addr && range_is_libos((uintptr_t)m, len))) {
		if (!host_err(m))
			host_munmap((void *)m, len);
		r = m == -EEXIST ? -EINVAL : host_err(m) ? m : -ENOMEM;
	} else {
		if (mflags & MAP_FIXED) { /* SHM_REMAP: what was there is unmapped */
			fastpath_forget((uintptr_t)m, len, true);
			sysv_shm_unmapped((uintptr_t)m, len);
		}
		r = att_add((struct attachment){ (uintptr_t)m, (uintptr_t)m, len, slot, flg & SHM_RDONLY });
		if (r < 0)
			host_munmap((void *)m, len);
	}
	sysv_lock(&s->o.lock);
	if (r < 0) {
		detach_one(s, p, slot);
	} else {
		s->atime = sysv_now();
		s->lpid = proc.pid;
	}
	sysv_obj_unlock(&s->o);
	return r < 0 ? r : m;
}

/* A mapping of slot's segment came (d 1) or went (d -1). Taken under
 * att_lock: the segment's lock always comes after it. */
static void count_mapping(int slot, int d)
{
	struct sysv_proc *p = sysv_self();
	struct shmseg *s = sysv_area(2, slot);
	if (!p)
		return;
	sysv_lock(&s->o.lock);
	if (d > 0) {
		p->natt[slot]++;
		s->nattch++;
	} else {
		detach_one(s, p, slot);
	}
	sysv_obj_unlock(&s->o);
}

/* Splits the mapping that straddles at in two, as Linux splits a vma.
 * att_lock held. */
static void split_at(uintptr_t at)
{
	for (size_t i = 0; i < natts; i++) {
		struct attachment a = atts[i];
		if (at <= a.addr || at >= a.addr + a.len)
			continue;
		struct attachment tail = a;
		tail.addr = at;
		tail.len = a.addr + a.len - at;
		if (att_push(tail) == 0) { /* out of memory: one mapping still */
			atts[i].len = at - a.addr;
			count_mapping(a.slot, 1);
		}
		return;
	}
}

/* Drops the mappings within [addr, addr + len) (base: only those of the
 * attachment made there, for shmdt, which unmaps them too); how many.
 * att_lock held. */
static int drop_mappings(uintptr_t addr, size_t len, uintptr_t base)
{
	int n = 0;
	for (size_t i = 0; i < natts;) {
		struct attachment a = atts[i];
		if (base ? a.base == base : a.addr >= addr && a.addr + a.len <= addr + len) {
			if (base) {
				host_munmap((void *)a.addr, a.len);
				fastpath_forget(a.addr, a.len, true);
			}
			atts[i] = atts[--natts];
			count_mapping(a.slot, -1);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

void sysv_shm_unmapped(uintptr_t addr, size_t len)
{
	if (!__atomic_load_n(&natts, __ATOMIC_RELAXED))
		return;
	len = ALIGN_UP(len, PAGE_SIZE);
	lock(&att_lock);
	split_at(addr);
	split_at(addr + len);
	drop_mappings(addr, len, 0);
	unlock(&att_lock);
}

long sysv_shm_mprotect(uintptr_t addr, size_t len, int prot, bool done)
{
	if (!__atomic_load_n(&natts, __ATOMIC_RELAXED))
		return 0;
	len = ALIGN_UP(len, PAGE_SIZE);
	long r = 0;
	lock(&att_lock);
	if (done) {
		split_at(addr);
		split_at(addr + len);
	} else {
		/* a SHM_RDONLY attachment is a read-only open of the segment */
		for (size_t i = 0; i < natts; i++)
			if ((prot & PROT_WRITE) && atts[i].rdonly && atts[i].addr < addr + len &&
			    addr < atts[i].addr + atts[i].len)
				r = -EACCES;
	}
	unlock(&att_lock);
	return r;
}

SYS(shmdt)
{
	uintptr_t addr = c->a[0];
	if (!sysv_available())
		return -ENOSYS;
	if (addr & (PAGE_SIZE - 1) || !addr)
		return -EINVAL;
	/* every mapping left of the attachment made at addr, as Linux's */
	lock(&att_lock);
	int n = drop_mappings(0, 0, addr);
	unlock(&att_lock);
	return n ? 0 : -EINVAL;
}

static void fill_stat(struct sysv_obj *o, void *out)
{
	struct shmseg *s = (struct shmseg *)o;
	struct shmid64_ds *ds = out;
	memset(ds, 0, sizeof(*ds));
	ds->shm_perm = s->o.perm;
	ds->shm_segsz = s->size;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->o.ctime;
	ds->shm_cpid = s->cpid;
	ds->shm_lpid = s->lpid;
	ds->shm_nattch = s->nattch;
}

SYS(shmctl)
{
	int id = (int)c->a[0], cmd = (int)c->a[1];
	void *ubuf = (void *)c->a[2];
	if (!sysv_available())
		return -ENOSYS;
	if (id < 0 || cmd < 0)
		return -EINVAL;
	struct shmid64_ds ds;
	struct shmseg *s;
	int used, max_idx;
	long r;
	switch (cmd) {
	case IPC_INFO: {
		shm_tot(&used, &max_idx, NULL);
		struct shminfo64 si = { .shmmax = sysv_lim->shmmax, .shmmin = 1, .shmmni = sysv_lim->shmmni,
			                .shmseg = 4096, .shmall = sysv_lim->shmall };
		r = sysv_copy(ubuf, &si, sizeof(si));
		return r < 0 ? r : max_idx;
	}
	case SHM_INFO: {
		uint64_t rss = 0, tot = shm_tot(&used, &max_idx, &rss);
		struct shm_info si = { .used_ids = used, .shm_tot = tot, .shm_rss = rss };
		r = sysv_copy(ubuf, &si, sizeof(si));
		return r < 0 ? r : max_idx;
	}
	case SHM_STAT:
	case SHM_STAT_ANY:
		if (id >= SHM_SLOTS)
			return -EINVAL;
		return sysv_stat_index(sysv_area(2, id), cmd == SHM_STAT_ANY, fill_stat, &ds, sizeof(ds), ubuf);
	case IPC_SET:
		if (sysv_copy(&ds, ubuf, sizeof(ds)) < 0)
			return -EFAULT;
		break;
	case IPC_STAT: case IPC_RMID: case SHM_LOCK: case SHM_UNLOCK:
		break;
	default:
		return -EINVAL;
	}
	if ((r = seg_lock(id, &s)) < 0)
		return r;
	if (cmd == IPC_STAT)
		r = sysv_perm_check(&s->o.perm, 0444);
	else if (!sysv_is_owner(&s->o.perm))
		r = -EPERM;
	bool gone = false;
	if (r == 0) {
		switch (cmd) {
		case IPC_STAT: fill_stat(&s->o, &ds); break;
		case IPC_SET:
			sysv_perm_set(&s->o.perm, &ds.shm_perm);
			s->o.ctime = sysv_now();
			break;
		case SHM_LOCK: s->o.perm.mode |= SHM_LOCKED; break;
		case SHM_UNLOCK: s->o.perm.mode &= ~SHM_LOCKED; break;
		case IPC_RMID:
			/* as Linux: the key is free at once, the segment goes
			 * with its last attachment */
			gone = true;
			s->o.perm.mode |= SHM_DEST;
			s->o.perm.key = IPC_PRIVATE;
			if (!s->nattch)
				destroy(s);
			break;
		}
	}
	sysv_obj_unlock(&s->o);
	if (r == 0 && gone)
		sysv_nsd_remove(NSD__SYSV_KIND__SYSV_SHM, id);
	if (r == 0 && cmd == IPC_STAT)
		r = sysv_copy(ubuf, &ds, sizeof(ds));
	return r;
}

void sysv_shm_detach_all(struct sysv_proc *p, int slot)
{
	bool self = slot == sysv_self_slot();
	for (int i = 0; i < SHM_SLOTS; i++) {
		if (!p->natt[i])
			continue;
		struct shmseg *s = sysv_area(2, i);
		sysv_lock(&s->o.lock);
		s->nattch -= MIN(s->nattch, (uint32_t)p->natt[i] - 1);
		p->natt[i] = 1;
		detach_one(s, p, i);
		s->lpid = p->pid;
		sysv_obj_unlock(&s->o);
	}
	if (self)
		natts = 0;
}

void sysv_shm_fork_child(void)
{
	att_lock = (struct lock)LOCK_INIT;
	struct sysv_proc *p = natts ? sysv_self() : NULL;
	for (size_t i = 0; p && i < natts; i++) {
		struct shmseg *s = sysv_area(2, atts[i].slot);
		sysv_lock(&s->o.lock);
		p->natt[atts[i].slot]++;
		s->nattch++;
		sysv_obj_unlock(&s->o);
	}
}

void sysv_list_shm(sysv_line_fn fn, void *arg)
{
	char line[256];
	fn(arg, "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n");
	for (int i = 0; sysv_available() && i < SHM_SLOTS; i++) {
		struct shmseg *s = sysv_area(2, i);
		sysv_lock(&s->o.lock);
		bool live = s->o.live;
		if (live)
			snprintf(line, sizeof(line),
			         "%10d %10d  %4o %21lu %5u %5u  %5u %5u %5u %5u %5u %10ld %10ld %10ld %21lu %21lu\n",
			         s->o.perm.key, s->o.id, s->o.perm.mode, (unsigned long)s->size, s->cpid, s->lpid,
			         s->nattch, s->o.perm.uid, s->o.perm.gid, s->o.perm.cuid, s->o.perm.cgid,
			         (long)s->atime, (long)s->dtime, (long)s->o.ctime,
			         (unsigned long)(rss_pages(i, s->size) * PAGE_SIZE), 0UL);
		sysv_obj_unlock(&s->o);
		if (live)
			fn(arg, line);
	}
}
