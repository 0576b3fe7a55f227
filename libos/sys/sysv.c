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
#include <linux/uio.h>
#include "arena.h"
#include "fdrecord.h"
#include "identity.h"
#include "host/host.h"
#include "log.h"
#include "nsd.h"
#include "process.h"
#include "signal.h"
#include "syscall.h"
#include "sysv.h"
#include "sysv_layout.h"
#include "thread.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#endif

/* The memfd: header and process slots, the three kinds' slots (mapped by
 * the libos), then one window of SHM_SEG_MAX per shm slot (mapped only by
 * shmat into the app) and one of MSQ_WIN per queue (mapped by the libos as
 * far as it is in use), sparse until touched. The liveness lock of process
 * slot i is the byte at LIVE_OFF + i, past the end of the data. */
struct sysv_header {
	uint32_t magic;
	uint32_t pad;
	struct sysv_layout layout;
	struct sysv_limits lim;
	/* Bit i: process slot i is claimed (set once it is live, cleared
	 * while it is cleaned, before it is free). A reap looks only at these
	 * slots: the state words of all 512, a slot ~9 KiB apart, were a page
	 * each to touch at every wait (~12 us per fork+exit+wait, and 512
	 * faults at the first wait of every process). */
	uint64_t claimed[SYSV_PROCS / 64];
};
_Static_assert(offsetof(struct sysv_header, layout) == SYSV_LAYOUT_OFF, "nsd reads the layout there");
_Static_assert(sizeof(struct sysv_header) <= SYSV_TAG_OFF, "nsd writes its tag there");
#define HDR_SIZE 4096
#define PROCS_OFF HDR_SIZE
extern const size_t sysv_msq_size, sysv_sem_size, sysv_shm_size;
extern const uint32_t sysv_msq_qnum_off, sysv_msq_cbytes_off;

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

bool sysv_available(void) { return base != NULL; }
int sysv_memfd(void) { return memfd; }
uint64_t sysv_shm_offset(int slot) { return shm_base + (uint64_t)slot * SHM_SEG_MAX; }
uint64_t sysv_msq_offset(int slot) { return sysv_shm_offset(SHM_SLOTS) + (uint64_t)slot * MSQ_WIN; }
static uint64_t live_off(int i) { return sysv_msq_offset(MSQ_SLOTS) + (uint64_t)i; }
struct sysv_proc *sysv_proc_at(int i) { return (struct sysv_proc *)(base + PROCS_OFF) + i; }

/* Maps the SysV memory of fd; false if it is not (the creator sized it to
 * live_off(0) and wrote the magic). */
static bool map_memfd(int fd)
{
	struct stat st;
	void *p = arena_alloc_high(map_len);
	if (!p || host(__NR_fstat, fd, &st) < 0 || (uint64_t)st.st_size != live_off(0))
		return false;
	void *m = host_mmap(p, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	if (host_err((long)m))
		return false;
	memfd = fd;
	base = m;
	sysv_lim = &((struct sysv_header *)m)->lim;
	return true;
}

/* The offer is not awaited here: start-up flushes it before the app runs
 * (nsd takes the fd from us meanwhile, nsd/sysv.c). */
static long memfd_request(bool offer, int fd, int *passed)
{
	Nsd__Frame *rep = NULL;
	Nsd__SysvMemfd m = NSD__SYSV_MEMFD__INIT;
	m.offer = offer;
	m.fd = fd;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_SYSV_MEMFD, &m);
	if (!passed) {
		nsd_send(&f);
		return 0;
	}
	int r = nsd_call_fd(&f, &rep, passed);
	if (r == 0)
		nsd_free(rep);
	return r;
}

/* The first process of a launch joined to a running sandbox maps the
 * sandbox's memory, which nsd keeps from its pid 1 (nsd/sysv.c). */
static void join_memfd(void)
{
	int fd = -1;
	if (memfd_request(false, -1, &fd) < 0 || fd < 0) {
		if (fd >= 0)
			host_close(fd);
		log_debug("sysv: no SysV memory from nsd: no SysV IPC");
		return;
	}
	fd = fd_make_private(fd);
	if (fd >= 0 && !map_memfd(fd)) {
		host_close(fd);
		fd = -1;
	}
	if (fd < 0 || ((struct sysv_header *)base)->magic != SYSV_MAGIC) {
		log_error("sysv: nsd's SysV memory is not the sandbox's: no SysV IPC");
		base = NULL;
		sysv_lim = NULL;
	}
}

void sysv_init(void)
{
	kind_off[0] = align_up(PROCS_OFF + SYSV_PROCS * sizeof(struct sysv_proc), PAGE_SIZE);
	kind_off[1] = align_up(kind_off[0] + MSQ_SLOTS * sysv_msq_size, PAGE_SIZE);
	kind_off[2] = align_up(kind_off[1] + SEM_SLOTS * sysv_sem_size, PAGE_SIZE);
	map_len = align_up(kind_off[2] + SHM_SLOTS * sysv_shm_size, PAGE_SIZE);
	shm_base = align_up(map_len, 1ULL << 30);
	if (proc.pid != 1) {
		join_memfd();
		return;
	}
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
	if (fd < 0 || host(__NR_ftruncate, fd, live_off(0)) < 0 || !map_memfd((int)fd)) {
		if (fd >= 0)
			host_close(fd);
		log_error("sysv: no shared memory");
		return;
	}
	struct sysv_header *h = (struct sysv_header *)base;
	h->magic = SYSV_MAGIC;
	/* Linux's defaults (ipc/util.h, include/uapi/linux/{msg,sem,shm}.h) */
	h->lim = (struct sysv_limits){ 8192, 16384, 32000, 32000, 1024000000, 500, 32000,
		                       0xffffffffffffffffULL - (1ULL << 24), 0xffffffffffffffffULL - (1ULL << 24),
		                       4096 };
	h->layout = (struct sysv_layout){ kind_off[0], (uint32_t)sysv_msq_size, MSQ_SLOTS,
		                          offsetof(struct sysv_obj, id), offsetof(struct sysv_obj, live),
		                          sysv_msq_qnum_off, sysv_msq_cbytes_off };
	/* for launches joined to this sandbox later (their SysV calls fail
	 * with ENOSYS if nsd could not take it) */
	memfd_request(true, (int)fd, NULL);
}

/* ---- time ------------------------------------------------------------------ */

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/*
 * The seconds of the realtime clock as Linux stamps the objects
 * (ktime_get_real_seconds: the second of the last tick, what
 * CLOCK_REALTIME_COARSE and time() say) without a host call per
 * operation: the second last read is reused while the TSC says that it
 * cannot have ended yet. The TSC rate is measured between two reads at
 * least 10 ms apart (from the TSC after the first to the TSC before the
 * second) and taken 1/8 low, and a tick (the coarse clock's
 * resolution) is taken off the rest of the second, so the cached second
 * ends early, never late; a TSC that went back or a thread that raced the
 * refresh reads the clock again. Approximation: a step of the clock
 * (settimeofday) shows up at the end of the second.
 */
static struct {
	struct lock lock;
	uint64_t tsc, until; /* the second is sec while rdtsc() - tsc < until */
	int64_t sec;
	uint64_t cal_tsc, cal_ns, per_ms; /* TSC ticks per ms (low), 0 until measured */
	uint64_t tick_ms;                 /* the coarse clock's resolution, rounded up */
} clk = { .lock = LOCK_INIT };

int64_t sysv_now(void)
{
	uint64_t t = rdtsc();
	if (lock_try(&clk.lock)) {
		bool hit = clk.until && t - clk.tsc < clk.until;
		int64_t sec = clk.sec;
		unlock(&clk.lock);
		if (hit)
			return sec;
	}
	struct __kernel_timespec ts, mono;
	host(__NR_clock_gettime, CLOCK_REALTIME_COARSE, &ts);
	if (!lock_try(&clk.lock))
		return ts.tv_sec;
	if (!clk.per_ms) {
		/* the TSC before this read (t) and after the first one
		 * (cal_tsc): a rate that is low, whatever preempted us */
		host(__NR_clock_gettime, CLOCK_MONOTONIC, &mono);
		uint64_t ns = (uint64_t)mono.tv_sec * 1000000000ULL + (uint64_t)mono.tv_nsec;
		if (!clk.cal_ns || t < clk.cal_tsc) {
			clk.cal_tsc = rdtsc();
			clk.cal_ns = ns;
		} else if (ns - clk.cal_ns >= 10000000 &&
		           host(__NR_clock_getres, CLOCK_REALTIME_COARSE, &mono) == 0 && mono.tv_sec == 0) {
			clk.tick_ms = (uint64_t)mono.tv_nsec / 1000000 + 1;
			clk.per_ms = (t - clk.cal_tsc) / ((ns - clk.cal_ns) / 1000000) / 8 * 7;
		}
	}
	uint64_t left_ms = (uint64_t)(1000000000L - ts.tv_nsec) / 1000000;
	clk.tsc = t;
	clk.sec = ts.tv_sec;
	clk.until = left_ms > clk.tick_ms ? clk.per_ms * (left_ms - clk.tick_ms) : 0;
	unlock(&clk.lock);
	return ts.tv_sec;
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

static uint64_t *claimed_word(int i) { return &((struct sysv_header *)base)->claimed[i / 64]; }

/* With the slot CLEANING (ours alone): its bit goes before it is free, so
 * that the bit of the next process to claim it is not cleared. */
static void clean_slot(struct sysv_proc *p, int i)
{
	sysv_sem_undo(p);
	sysv_shm_detach_all(p, i);
	__atomic_and_fetch(claimed_word(i), ~(1ULL << (i % 64)), __ATOMIC_ACQ_REL);
	__atomic_store_n(&p->state, SLOT_FREE, __ATOMIC_RELEASE);
}

void sysv_reap_dead(void)
{
	if (!base)
		return;
	for (int w = 0; w < SYSV_PROCS / 64; w++) {
		uint64_t bits = __atomic_load_n(&((struct sysv_header *)base)->claimed[w], __ATOMIC_ACQUIRE);
		for (; bits; bits &= bits - 1) {
			int i = w * 64 + __builtin_ctzll(bits);
			struct sysv_proc *p = sysv_proc_at(i);
			uint32_t live = SLOT_LIVE;
			if (slot_dead(i) &&
			    __atomic_compare_exchange_n(&p->state, &live, SLOT_CLEANING, false, __ATOMIC_ACQ_REL,
			                                __ATOMIC_RELAXED))
				clean_slot(p, i);
		}
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
			__atomic_or_fetch(claimed_word(i), 1ULL << (i % 64), __ATOMIC_ACQ_REL);
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
	/* Another thread may have held them. Written only then: each write
	 * costs the page a copy-on-write fault in every fork child. */
	if (claim_lock.state)
		claim_lock = (struct lock)LOCK_INIT;
	if (clk.lock.state)
		clk.lock = (struct lock)LOCK_INIT;
	if (!base || self_slot < 0)
		return;
	/* The parent's slot is not ours. One of our own now only for the
	 * attachments we inherit, else at our first call that needs one
	 * (sysv_self): most fork children make none, and a slot costs a lock
	 * and its release at exit. */
	self_slot = -1;
	sysv_shm_fork_child();
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

/*
 * Before sleeping, a waiter spins a while on the event word, yielding the
 * CPU at each turn: the peer of a ping-pong answers within microseconds,
 * sooner than a futex sleep and wake-up take, and its change then needs
 * no futex wake (a spinner is not counted in nwait). The yield lets a
 * peer on the same CPU run at once (and any other task that is ready:
 * harmless on a loaded machine); on another CPU it returns at once. The
 * spin adapts as glibc's adaptive mutexes do: it tries up to twice the
 * average spin (plus SPIN_MIN), at most SPIN_MAX TSC ticks (some 10 us),
 * and the average moves 1/8 toward what the spin took, or toward the bound
 * when it failed.
 */
#define SPIN_MIN 2000
#define SPIN_MAX 30000
static uint32_t spin_avg = SPIN_MAX / 4;

static bool spin_for_event(struct sysv_obj *o, uint32_t seen)
{
	int64_t avg = __atomic_load_n(&spin_avg, __ATOMIC_RELAXED);
	uint64_t bound = MIN(SPIN_MAX, 2 * avg + SPIN_MIN), t0 = rdtsc(), spent = 0;
	bool got = false;
	for (;;) {
		if (__atomic_load_n(&o->event, __ATOMIC_ACQUIRE) != seen) {
			got = true;
			break;
		}
		spent = rdtsc() - t0;
		if (spent >= bound)
			break;
		host(__NR_sched_yield);
	}
	avg += ((int64_t)MIN(spent, bound) - avg) / 8;
	__atomic_store_n(&spin_avg, (uint32_t)avg, __ATOMIC_RELAXED);
	return got;
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
	if (spin_for_event(o, seen))
		return 0;
	struct __kernel_timespec ts = { (long)(slice / 1000000000ULL), (long)(slice % 1000000000ULL) };
	/* Counted before the futex reads the word, and a waker bumps the word
	 * before it reads the count (both atomic read-modify-writes): either
	 * this sees the change or the waker sees the count. */
	__atomic_add_fetch(&o->nwait, 1, __ATOMIC_SEQ_CST);
	long r = host_blocking(__NR_futex, &o->event, FUTEX_WAIT, seen, &ts, NULL, 0);
	__atomic_sub_fetch(&o->nwait, 1, __ATOMIC_SEQ_CST);
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
	Nsd__Frame *rep = NULL;
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
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_SYSV_GET, &g);
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
	Nsd__Frame *rep = NULL;
	Nsd__SysvRemove rm = NSD__SYSV_REMOVE__INIT;
	rm.caller = (uint32_t)proc.pid;
	rm.id = (uint32_t)id;
	rm.kind = kind;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_SYSV_REMOVE, &rm);
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
 * namespace): the app's fd is a placeholder memfd (FD_SYSCTL) and each
 * write is parsed and applied here, or refused with EINVAL, as Linux's
 * proc_dointvec_minmax, proc_doulongvec_minmax and proc_ipc_sem_dointvec
 * do (each write as one at offset 0).
 */
static const char *const sysctl_names[] = { "msgmax", "msgmnb", "msgmni", "sem", "shmmax", "shmall", "shmmni" };

static int sysctl_index(const char *rel)
{
	if (!str_starts_with(rel, "sys/kernel/"))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(sysctl_names); i++)
		if (!strcmp(rel + 11, sysctl_names[i]))
			return (int)i;
	return -1;
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n'; }

/* Linux's proc_get_long: an optional '-', then a number in C's notation
 * (0x.. hex, 0.. octal), ended by a space, tab, newline or the end. */
static int get_long(const char **sp, const char *end, uint64_t *v, bool *neg)
{
	const char *s = *sp;
	*neg = s < end && *s == '-';
	s += *neg;
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	unsigned radix = 10;
	if (*s == '0') {
		radix = 8;
		if (s + 1 < end && (s[1] == 'x' || s[1] == 'X') && s + 2 < end &&
		    ((s[2] >= '0' && s[2] <= '9') || ((s[2] | 0x20) >= 'a' && (s[2] | 0x20) <= 'f')))
			radix = 16, s += 2;
	}
	uint64_t x = 0;
	for (; s < end; s++) {
		unsigned d = *s >= '0' && *s <= '9' ? (unsigned)(*s - '0') : ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f') ? (unsigned)((*s | 0x20) - 'a' + 10) : 99;
		if (d >= radix)
			break;
		if (__builtin_mul_overflow(x, radix, &x) || __builtin_add_overflow(x, d, &x))
			return -EINVAL;
	}
	if (s < end && !is_space(*s))
		return -EINVAL;
	*v = x;
	*sp = s;
	return 0;
}

/* Parses up to n values of text into v (ints if !ulong): the bytes taken
 * (values and the spaces after them; Linux's write returns that), or
 * -EINVAL at the first bad one (*parsed: those before it). */
static long parse_values(const char *text, const char *end, int64_t *v, int n, bool ulong, int *parsed)
{
	const char *s = text;
	for (*parsed = 0; *parsed < n; (*parsed)++) {
		while (s < end && is_space(*s))
			s++;
		if (s == end)
			break;
		uint64_t x;
		bool neg;
		if (get_long(&s, end, &x, &neg) < 0 || (ulong && neg) ||
		    (!ulong && x > (neg ? 0x80000000ULL : 0x7fffffffULL)))
			return -EINVAL;
		v[*parsed] = neg ? -(int64_t)x : (int64_t)x;
	}
	while (s < end && is_space(*s))
		s++;
	return *parsed ? s - text : -EINVAL; /* nothing but spaces */
}

/* The bytes of text taken, or -errno. */
static long sysctl_set(int which, const char *text, size_t len)
{
	struct sysv_limits *l = sysv_lim;
	const char *end = text + len;
	int64_t v[4];
	int n;
	if (!strcmp(sysctl_names[which], "sem")) {
		/* The values before a bad one are set; semmni is checked last
		 * and alone put back (ipc/ipc_sysctl.c). */
		long r = parse_values(text, end, v, 4, false, &n);
		int *f[4] = { &l->semmsl, &l->semmns, &l->semopm, &l->semmni }, semmni = l->semmni;
		for (int i = 0; i < n; i++)
			*f[i] = (int)v[i];
		if (l->semmni < 0 || l->semmni > 32768) {
			l->semmni = semmni;
			return -ERANGE;
		}
		return r;
	}
	bool ulong = which == 4 || which == 5; /* shmmax, shmall */
	long taken = parse_values(text, end, v, 1, ulong, &n);
	if (taken < 0)
		return taken;
	uint64_t x = (uint64_t)v[0];
	switch (which) {
	case 0: /* msgmax, msgmnb: 0..INT_MAX */
	case 1:
		if (v[0] < 0)
			return -EINVAL;
		*(which ? &l->msgmnb : &l->msgmax) = (int)x;
		break;
	case 2: /* msgmni, shmmni: 0..IPCMNI */
	case 6:
		if (v[0] < 0 || x > 32768)
			return -EINVAL;
		if (which == 2)
			l->msgmni = (int)x;
		else
			l->shmmni = x;
		break;
	default:
		*(which == 4 ? &l->shmmax : &l->shmall) = x;
	}
	return taken;
}

long sysv_sysctl_write(int fd, const struct iovec *uiov, long niov)
{
	char path[64], text[256];
	int which = -1;
	if (fd_info(fd, path, sizeof(path)) == FD_SYSCTL && str_starts_with(path, "/proc/"))
		which = sysctl_index(path + 6);
	if (which < 0 || !sysv_lim)
		return -EBADF;
	if (niov < 0 || niov > 1024)
		return -EINVAL;
	size_t total = 0, len = 0;
	for (long i = 0; i < niov; i++) {
		struct iovec v;
		if (sysv_copy(&v, &uiov[i], sizeof(v)) < 0)
			return -EFAULT;
		size_t take = MIN(v.iov_len, sizeof(text) - len);
		if (take && sysv_copy(text + len, v.iov_base, take) < 0)
			return -EFAULT;
		len += take;
		total += v.iov_len;
	}
	if (total == 0)
		return 0;
	return sysctl_set(which, text, len);
}

long sysv_sysctl_open_write(const char *rel)
{
	if (sysctl_index(rel) < 0)
		return 0;
	/* the files are root's, mode 0644 */
	if (!sysv_lim || (cred.fsuid != 0 && !capable(CAP_DAC_OVERRIDE)))
		return -EACCES;
	return host(__NR_memfd_create, "graphene-sysctl", 0);
}
