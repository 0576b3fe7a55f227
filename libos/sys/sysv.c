/* System V IPC, the shared part: the memory every picoprocess of the
 * sandbox maps, process slots (liveness, SEM_UNDO, shm attach counts),
 * locks that survive a dead holder, waits, permissions and the names at
 * nsd. The objects are in sysv_msg.c, sysv_sem.c and sysv_shm.c. */
#include <asm/errno.h>
#include <asm/fcntl.h>
#include <linux/falloc.h>
#include <linux/futex.h>
#include <linux/memfd.h>
#include <linux/mman.h>
#include <linux/time.h>
#include "arena.h"
#include "fdtable.h"
#include "identity.h"
#include "host/host.h"
#include "log.h"
#include "nsd.h"
#include "process.h"
#include "signal.h"
#include "syscall.h"
#include "sysv.h"
#include "thread.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#endif

/* The memfd: header and process slots, the three kinds' slots (mapped by
 * the libos), then one window of SHM_SEG_MAX per shm slot (mapped only by
 * shmat into the app), sparse until touched. The liveness lock of process
 * slot i is the byte at LIVE_OFF + i, past the end of the data. */
struct sysv_header {
	uint32_t magic;
	struct sysv_limits lim;
};
#define HDR_SIZE 4096
#define PROCS_OFF HDR_SIZE
extern const size_t sysv_msq_size, sysv_sem_size, sysv_shm_size;

struct sysv_limits *sysv_lim;
static uint8_t *base;
static int memfd = -1;
static size_t map_len;
static int self_slot = -1;
static struct lock claim_lock = LOCK_INIT; /* one slot per process, whichever thread asks first */
static bool exiting;
static uint64_t shm_base;

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

void *sysv_area(int kind, int i); /* used by the kinds: their slot i */
static size_t kind_off[3];

void *sysv_area(int kind, int i)
{
	size_t sz = kind == 0 ? sysv_msq_size : kind == 1 ? sysv_sem_size : sysv_shm_size;
	return base + kind_off[kind] + (size_t)i * sz;
}

static int npending;
void sysv_sysctl_drain(void);
static void sysctl_forget_pending(void);

bool sysv_available(void)
{
	if (npending) /* limits written since the last call */
		sysv_sysctl_drain();
	return base != NULL;
}
int sysv_memfd(void) { return memfd; }
uint64_t sysv_shm_offset(int slot) { return shm_base + (uint64_t)slot * SHM_SEG_MAX; }
static uint64_t live_off(int i) { return shm_base + (uint64_t)SHM_SLOTS * SHM_SEG_MAX + (uint64_t)i; }
struct sysv_proc *sysv_proc_at(int i) { return (struct sysv_proc *)(base + PROCS_OFF) + i; }

void sysv_init(void)
{
	/* Only a sandbox's first picoprocess: a launch joined to a running
	 * sandbox would have memory of its own under nsd's shared names. */
	if (!nsd_active || proc.pid != 1)
		return;
	kind_off[0] = align_up(PROCS_OFF + SYSV_PROCS * sizeof(struct sysv_proc), PAGE_SIZE);
	kind_off[1] = align_up(kind_off[0] + MSQ_SLOTS * sysv_msq_size, PAGE_SIZE);
	kind_off[2] = align_up(kind_off[1] + SEM_SLOTS * sysv_sem_size, PAGE_SIZE);
	map_len = align_up(kind_off[2] + SHM_SLOTS * sysv_shm_size, PAGE_SIZE);
	shm_base = align_up(map_len, 1ULL << 30);
	/* The memfd is sized for every window at once (sparse); a file size
	 * limit below that would make ftruncate raise SIGXFSZ. */
	struct rlimit64 { uint64_t cur, max; } fsize;
	if (host(__NR_prlimit64, 0, 1 /* RLIMIT_FSIZE */, NULL, &fsize) == 0 && fsize.cur < live_off(SYSV_PROCS)) {
		log_error("sysv: RLIMIT_FSIZE is below the %llu bytes the SysV memory needs: no SysV IPC",
		          (unsigned long long)live_off(SYSV_PROCS));
		return;
	}
	long fd = host(__NR_memfd_create, "graphene-sysv", MFD_CLOEXEC);
	if (fd < 0)
		return;
	fd = fd_make_private((int)fd);
	void *p = fd < 0 ? NULL : arena_alloc_pages(map_len);
	if (!p || host(__NR_ftruncate, fd, live_off(0)) < 0) {
		if (fd >= 0)
			host_close(fd);
		log_error("sysv: no shared memory");
		return;
	}
	void *m = host_mmap(p, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, (int)fd, 0);
	if (host_err((long)m)) {
		host_close(fd);
		return;
	}
	memfd = (int)fd;
	base = m;
	struct sysv_header *h = m;
	h->magic = 0x53595356;
	/* Linux's defaults (ipc/util.h, include/uapi/linux/{msg,sem,shm}.h) */
	h->lim = (struct sysv_limits){ 8192, 16384, 32000, 32000, 1024000000, 500, 32000,
		                       0xffffffffffffffffULL - (1ULL << 24), 0xffffffffffffffffULL - (1ULL << 24),
		                       4096 };
	sysv_lim = &h->lim;
}

/* ---- process slots --------------------------------------------------------- */

enum { SLOT_FREE, SLOT_CLAIMING, SLOT_LIVE, SLOT_CLEANING };

static long lock_byte(int cmd, short type, int i, struct flock *out)
{
	struct flock fl = { .l_type = type, .l_whence = 0 /* SEEK_SET */, .l_start = (long)live_off(i), .l_len = 1 };
	long r = host(__NR_fcntl, memfd, cmd, &fl);
	if (out)
		*out = fl;
	return r;
}

/* A slot whose process is gone: its POSIX lock, which the kernel drops
 * when the process dies (before it is even a zombie), is free. */
static bool slot_dead(int i)
{
	struct sysv_proc *p = sysv_proc_at(i);
	uint32_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
	if (st != SLOT_LIVE || i == self_slot)
		return false;
	struct flock fl;
	return lock_byte(F_GETLK, F_WRLCK, i, &fl) == 0 && fl.l_type == F_UNLCK;
}

static void clean_slot(struct sysv_proc *p, int i)
{
	sysv_sem_undo(p);
	sysv_shm_detach_all(p, i);
	__atomic_store_n(&p->state, SLOT_FREE, __ATOMIC_RELEASE);
}

void sysv_reap_dead(void)
{
	if (!base)
		return;
	for (int i = 0; i < SYSV_PROCS; i++) {
		struct sysv_proc *p = sysv_proc_at(i);
		uint32_t live = SLOT_LIVE;
		if (slot_dead(i) &&
		    __atomic_compare_exchange_n(&p->state, &live, SLOT_CLEANING, false, __ATOMIC_ACQ_REL,
		                                __ATOMIC_RELAXED))
			clean_slot(p, i);
	}
}

static int claim_slot(void)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < SYSV_PROCS; i++) {
			struct sysv_proc *p = sysv_proc_at(i);
			uint32_t free = SLOT_FREE;
			if (!__atomic_compare_exchange_n(&p->state, &free, SLOT_CLAIMING, false,
			                                 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				continue;
			if (lock_byte(F_SETLK, F_WRLCK, i, NULL) < 0) {
				__atomic_store_n(&p->state, SLOT_FREE, __ATOMIC_RELEASE);
				return -ENOSPC;
			}
			p->gen = (p->gen + 1) & 0x3fffff;
			p->host_pid = proc.host_pid;
			p->pid = proc.pid;
			memset(p->undo, 0, sizeof(p->undo));
			memset(p->natt, 0, sizeof(p->natt));
			self_slot = i;
			__atomic_store_n(&p->state, SLOT_LIVE, __ATOMIC_RELEASE);
			return i;
		}
		sysv_reap_dead();
	}
	return -ENOSPC;
}

int sysv_self_slot(void)
{
	int i = __atomic_load_n(&self_slot, __ATOMIC_ACQUIRE);
	if (i >= 0 || exiting)
		return i;
	lock(&claim_lock);
	i = self_slot >= 0 ? self_slot : claim_slot();
	unlock(&claim_lock);
	return i;
}

struct sysv_proc *sysv_self(void)
{
	int i = sysv_self_slot();
	return i < 0 ? NULL : sysv_proc_at(i);
}

void sysv_fork_child(void)
{
	sysctl_forget_pending();
	claim_lock = (struct lock)LOCK_INIT; /* another thread may have held it */
	if (!base || self_slot < 0)
		return;
	self_slot = -1;
	struct sysv_proc *p = sysv_self();
	if (p)
		sysv_shm_fork_child(p);
}

void sysv_exec(void)
{
	if (base && self_slot >= 0)
		sysv_shm_detach_all(sysv_proc_at(self_slot), self_slot);
}

void sysv_exit(void)
{
	if (!base || self_slot < 0)
		return;
	struct sysv_proc *p = sysv_proc_at(self_slot);
	exiting = true;
	__atomic_store_n(&p->state, SLOT_CLEANING, __ATOMIC_RELEASE);
	clean_slot(p, self_slot);
}

/* ---- locks and waits -------------------------------------------------------- */

static uint32_t my_tag(void)
{
	int i = sysv_self_slot();
	if (i < 0) /* no slot left: the lock still works, but a death is not noticed */
		return 0x80000000u | (uint32_t)proc.host_pid;
	return (uint32_t)(i + 1) | sysv_proc_at(i)->gen << 10;
}

static bool holder_dead(uint32_t tag)
{
	if (tag & 0x80000000u)
		return false;
	int i = (int)(tag & 1023) - 1;
	if (i < 0 || i >= SYSV_PROCS)
		return true;
	struct sysv_proc *p = sysv_proc_at(i);
	uint32_t st = __atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
	return (p->gen != tag >> 10 || st == SLOT_FREE || slot_dead(i));
}

void sysv_lock(struct sysv_lock *l)
{
	uint32_t tag = my_tag();
	for (;;) {
		uint32_t v = 0;
		if (__atomic_compare_exchange_n(&l->word, &v, tag, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		/* Our own tag while the process ends: it died in the middle of
		 * an operation (a crash handled by sysv_exit); the data is as
		 * that operation left it. (Otherwise another thread holds it.) */
		if (v == tag && exiting)
			return;
		__atomic_add_fetch(&l->waiters, 1, __ATOMIC_ACQ_REL);
		struct __kernel_timespec ts = { 0, 200 * 1000 * 1000 };
		long r = host(__NR_futex, &l->word, FUTEX_WAIT, v, &ts, NULL, 0);
		__atomic_sub_fetch(&l->waiters, 1, __ATOMIC_ACQ_REL);
		if (r == -ETIMEDOUT && holder_dead(v))
			__atomic_compare_exchange_n(&l->word, &v, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
}

void sysv_unlock(struct sysv_lock *l)
{
	__atomic_store_n(&l->word, 0, __ATOMIC_RELEASE);
	if (__atomic_load_n(&l->waiters, __ATOMIC_ACQUIRE))
		host(__NR_futex, &l->word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void sysv_changed(struct sysv_obj *o)
{
	__atomic_add_fetch(&o->event, 1, __ATOMIC_RELEASE);
	o->wake = 1;
}

/* The waiters are woken after the lock is free: woken under it, each
 * would first sleep again on the lock. A waiter counted in nwait after
 * the unlock has read the new event already. */
void sysv_obj_unlock(struct sysv_obj *o)
{
	uint32_t wake = o->wake;
	o->wake = 0;
	sysv_unlock(&o->lock);
	if (wake && __atomic_load_n(&o->nwait, __ATOMIC_ACQUIRE))
		host(__NR_futex, &o->event, FUTEX_WAKE, 0x7fffffff, NULL, NULL, 0);
}

uint64_t sysv_mono_ns(void)
{
	struct __kernel_timespec ts;
	host(__NR_clock_gettime, CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int64_t sysv_now(void)
{
	struct __kernel_timespec ts;
	host(__NR_clock_gettime, CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* The wait is cut into slices so that a waiter also notices a process
 * that died by SIGKILL with SEM_UNDO records nobody applied yet (its
 * parent's wait applies them at once; this is for a parent that does not
 * wait). Correctness never depends on the slice, only the latency of that
 * case. */
#define WAIT_SLICE_NS (500ULL * 1000 * 1000)

long sysv_wait(struct sysv_obj *o, uint32_t seen, uint64_t deadline)
{
	uint64_t slice = WAIT_SLICE_NS;
	if (deadline) {
		uint64_t now = sysv_mono_ns();
		if (now >= deadline)
			return -EAGAIN;
		if (deadline - now < slice)
			slice = deadline - now;
	}
	struct __kernel_timespec ts = { (long)(slice / 1000000000ULL), (long)(slice % 1000000000ULL) };
	long r = host_blocking(__NR_futex, &o->event, FUTEX_WAIT, seen, &ts, NULL, 0);
	if (r == -EINTR)
		return -EINTR;
	if (r == -ETIMEDOUT)
		sysv_reap_dead();
	return 0;
}

/* ---- permissions and names ------------------------------------------------ */

/* Linux's in_group_p: the fs gid or a supplementary group. */
static bool in_group(uint32_t g)
{
	if (cred.fsgid == g)
		return true;
	for (int i = 0; i < cred.ngroups; i++)
		if (cred.groups[i] == g)
			return true;
	return false;
}

int sysv_perm_check(const struct ipc64_perm *p, int flag)
{
	int requested = (flag >> 6) | (flag >> 3) | flag, granted = (int)p->mode;
	if (cred.euid == p->cuid || cred.euid == p->uid)
		granted >>= 6;
	else if (in_group(p->cgid) || in_group(p->gid))
		granted >>= 3;
	return (requested & ~granted & 7) && !capable(CAP_IPC_OWNER) ? -EACCES : 0;
}

bool sysv_is_owner(const struct ipc64_perm *p)
{
	return cred.euid == p->uid || cred.euid == p->cuid || capable(CAP_SYS_ADMIN);
}

void sysv_perm_set(struct ipc64_perm *p, const struct ipc64_perm *in)
{
	p->uid = in->uid;
	p->gid = in->gid;
	p->mode = (p->mode & ~0777u) | (in->mode & 0777u);
}

long sysv_nsd_get(Nsd__SysvKind kind, int32_t key, int flags, uint32_t slots, uint64_t max_in_use,
                  uint64_t size, Nsd__SysvObj *obj, bool *created)
{
	Nsd__Frame f = NSD__FRAME__INIT, *rep = NULL;
	Nsd__SysvGet g = NSD__SYSV_GET__INIT;
	g.caller = (uint32_t)proc.pid;
	g.key = key;
	g.kind = kind;
	g.flags = flags & (IPC_CREAT | IPC_EXCL);
	g.mode = (uint32_t)flags & 0777;
	g.mni = slots;
	g.max_in_use = (uint32_t)MIN(max_in_use, slots);
	g.uid = cred.euid;
	g.gid = cred.egid;
	g.size = size;
	f.body_case = NSD__FRAME__BODY_SYSV_GET;
	f.sysv_get = &g;
	int r = nsd_call(&f, &rep);
	if (r < 0)
		return r;
	*obj = *rep->sysv_obj;
	obj->sandbox = obj->owner_stream = NULL;
	*created = rep->sysv_obj->created;
	nsd_free(rep);
	return obj->id;
}

void sysv_nsd_remove(Nsd__SysvKind kind, int32_t id)
{
	Nsd__Frame f = NSD__FRAME__INIT, *rep = NULL;
	Nsd__SysvRemove rm = NSD__SYSV_REMOVE__INIT;
	rm.caller = (uint32_t)proc.pid;
	rm.id = (uint32_t)id;
	rm.kind = kind;
	f.body_case = NSD__FRAME__BODY_SYSV_REMOVE;
	f.sysv_remove = &rm;
	if (nsd_call(&f, &rep) == 0)
		nsd_free(rep);
}

void sysv_obj_init(struct sysv_obj *o, const Nsd__SysvObj *n)
{
	o->id = (int32_t)n->id;
	o->perm = (struct ipc64_perm){ .key = (int)n->key, .uid = n->uid, .gid = n->gid, .cuid = n->uid,
		                       .cgid = n->gid, .mode = n->mode & 0777,
		                       .seq = (unsigned short)(n->id >> 15) };
	o->ctime = sysv_now();
	o->live = 1;
}

long sysv_stat_index(struct sysv_obj *o, bool any, sysv_fill_fn fill, void *ds, size_t size, void *ubuf)
{
	sysv_lock(&o->lock);
	long r = o->live ? 0 : -EINVAL;
	if (r == 0 && !any)
		r = sysv_perm_check(&o->perm, 0444);
	int32_t id = o->id;
	if (r == 0)
		fill(o, ds);
	sysv_obj_unlock(o);
	if (r == 0)
		r = sysv_copy(ubuf, ds, size);
	return r < 0 ? r : id;
}

struct sysv_obj *sysv_obj_lock(struct sysv_obj *o, int id)
{
	sysv_lock(&o->lock);
	if (o->live && o->id == id)
		return o;
	sysv_obj_unlock(o);
	return NULL;
}

long sysv_copy(void *dst, const void *src, size_t n)
{
	struct thread *t = current();
	struct libos_jmp saved = t->fault_jmp;
	bool armed = t->fault_armed;
	if (libos_setjmp(&t->fault_jmp)) {
		t->fault_jmp = saved;
		t->fault_armed = armed;
		return -EFAULT;
	}
	t->fault_armed = true;
	memcpy(dst, src, n);
	t->fault_jmp = saved;
	t->fault_armed = armed;
	return 0;
}

/* ---- /proc ---------------------------------------------------------------- */

bool sysv_proc_file(const char *rel, sysv_line_fn fn, void *arg)
{
	/* Without the shared memory (no nsd, a joined launch) the sandbox has
	 * no objects and Linux's defaults; never the host's. */
	static const struct sysv_limits dfl = { 8192, 16384, 32000, 32000, 1024000000, 500, 32000,
		                                0xffffffffffffffffULL - (1ULL << 24),
		                                0xffffffffffffffffULL - (1ULL << 24), 4096 };
	sysv_available(); /* applies limits written since */
	const struct sysv_limits *l = sysv_lim ? sysv_lim : &dfl;
	char line[96];
	if (!strcmp(rel, "sysvipc/msg"))
		sysv_list_msg(fn, arg);
	else if (!strcmp(rel, "sysvipc/sem"))
		sysv_list_sem(fn, arg);
	else if (!strcmp(rel, "sysvipc/shm"))
		sysv_list_shm(fn, arg);
	else if (!strcmp(rel, "sys/kernel/msgmax"))
		snprintf(line, sizeof(line), "%d\n", l->msgmax);
	else if (!strcmp(rel, "sys/kernel/msgmnb"))
		snprintf(line, sizeof(line), "%d\n", l->msgmnb);
	else if (!strcmp(rel, "sys/kernel/msgmni"))
		snprintf(line, sizeof(line), "%d\n", l->msgmni);
	else if (!strcmp(rel, "sys/kernel/sem"))
		snprintf(line, sizeof(line), "%d\t%d\t%d\t%d\n", l->semmsl, l->semmns, l->semopm, l->semmni);
	else if (!strcmp(rel, "sys/kernel/shmmax"))
		snprintf(line, sizeof(line), "%lu\n", (unsigned long)l->shmmax);
	else if (!strcmp(rel, "sys/kernel/shmall"))
		snprintf(line, sizeof(line), "%lu\n", (unsigned long)l->shmall);
	else if (!strcmp(rel, "sys/kernel/shmmni"))
		snprintf(line, sizeof(line), "%lu\n", (unsigned long)l->shmmni);
	else
		return false;
	if (str_starts_with(rel, "sys/"))
		fn(arg, line);
	return true;
}

/*
 * Writing a limit (as root inside, like a sysctl of the sandbox's own IPC
 * namespace). The app gets the write end of a pipe; the libos keeps the
 * read end and applies what was written once the app has closed its end
 * (EOF), at the next SysV call or read of a limit. A value out of range
 * (Linux's, or beyond the shared memory's capacity) is ignored: the write
 * itself cannot fail.
 */
#define SYSCTL_PENDING 8
static struct {
	int fd;
	char name[8];
	char buf[96];
	size_t len;
	bool overflow; /* more than any value: read on, apply nothing */
} pending[SYSCTL_PENDING];

static bool sysctl_name(const char *rel, const char **name)
{
	static const char *const names[] = { "msgmax", "msgmnb", "msgmni", "sem", "shmmax", "shmall", "shmmni" };
	if (!str_starts_with(rel, "sys/kernel/"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(rel + 11, names[i]))
			return *name = names[i], true;
	return false;
}

static bool parse_fields(const char *s, uint64_t *v, int n)
{
	for (int i = 0; i < n; i++) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		for (v[i] = 0; *s >= '0' && *s <= '9'; s++)
			v[i] = v[i] * 10 + (uint64_t)(*s - '0');
	}
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return *s == 0;
}

static void sysctl_apply(const char *name, const char *text)
{
	struct sysv_limits *l = sysv_lim;
	uint64_t v[4];
	bool sem = !strcmp(name, "sem");
	if (!parse_fields(text, v, sem ? 4 : 1))
		return;
	if (sem) {
		if (v[0] <= 32000 && v[1] <= 0x7fffffff && v[2] >= 1 && v[2] <= 1000 && v[3] <= 32768) {
			l->semmsl = (int)v[0];
			l->semmns = (int)v[1];
			l->semopm = (int)v[2];
			l->semmni = (int)v[3];
		}
	} else if (!strcmp(name, "msgmax") && v[0] <= MSG_MAX_MAX) {
		l->msgmax = (int)v[0];
	} else if (!strcmp(name, "msgmnb") && v[0] <= MSG_QBYTES_MAX) {
		l->msgmnb = (int)v[0];
	} else if (!strcmp(name, "msgmni") && v[0] <= 32768) {
		l->msgmni = (int)v[0];
	} else if (!strcmp(name, "shmmni") && v[0] <= 32768) {
		l->shmmni = v[0];
	} else if (!strcmp(name, "shmmax")) {
		l->shmmax = v[0];
	} else if (!strcmp(name, "shmall")) {
		l->shmall = v[0];
	}
}

void sysv_sysctl_drain(void)
{
	for (int i = 0; i < npending;) {
		char spill[64];
		size_t room = sizeof(pending[i].buf) - 1 - pending[i].len;
		long n = room ? host_read(pending[i].fd, pending[i].buf + pending[i].len, room)
		              : host_read(pending[i].fd, spill, sizeof(spill));
		if (n > 0) {
			if (room)
				pending[i].len += (size_t)n;
			else
				pending[i].overflow = true;
			continue;
		}
		if (n == -EAGAIN) {
			i++;
			continue;
		}
		/* EOF: the app closed its end */
		pending[i].buf[pending[i].len] = 0;
		if (n == 0 && !pending[i].overflow)
			sysctl_apply(pending[i].name, pending[i].buf);
		host_close(pending[i].fd);
		pending[i] = pending[--npending];
	}
}

void sysv_fd_closed(void)
{
	if (npending)
		sysv_sysctl_drain();
}

/* In a fork child: a limit written by the parent is the parent's to apply. */
static void sysctl_forget_pending(void)
{
	for (; npending > 0; npending--)
		host_close(pending[npending - 1].fd);
}

long sysv_sysctl_open_write(const char *rel)
{
	const char *name;
	if (!sysctl_name(rel, &name))
		return 0;
	/* the files are root's, mode 0644 */
	if (!sysv_lim || (cred.fsuid != 0 && !capable(CAP_DAC_OVERRIDE)))
		return -EACCES;
	sysv_sysctl_drain();
	if (npending == SYSCTL_PENDING)
		return -ENFILE;
	int fds[2];
	long r = host(__NR_pipe2, fds, O_NONBLOCK | O_CLOEXEC);
	if (r < 0)
		return r;
	int rd = fd_make_private(fds[0]);
	if (rd < 0) {
		host_close(fds[1]);
		return rd;
	}
	/* the app's end blocks as a file write would not */
	host(__NR_fcntl, fds[1], F_SETFL, 0);
	host(__NR_fcntl, fds[1], F_SETFD, 0);
	pending[npending].fd = rd;
	strlcpy(pending[npending].name, name, sizeof(pending[npending].name));
	pending[npending].len = 0;
	pending[npending].overflow = false;
	npending++;
	return fds[1];
}
