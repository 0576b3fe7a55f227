/* Virtual ids and capabilities with Linux's rules (kernel/sys.c,
 * kernel/capability.c, security/commoncap.c without securebits other than
 * KEEP_CAPS): the saved ids, the capability changes a uid change makes,
 * capget/capset, the bounding and ambient sets, and execve's
 * transformation. The host never sees any of it (identity.h).
 *
 * Kill permission, capget and /proc/PID/status need the ids of another
 * picoprocess: every process of a launch publishes its ids and capability
 * sets in one MAP_SHARED table in the arena (as sys/uts.c shares the host
 * name), which forked picoprocesses share and execve keeps. The app can
 * store into it like into any arena memory; what it decides is Linux
 * behaviour between the sandbox's own processes, never the boundary. */
#include <asm/errno.h>
#include <asm/signal.h>
#include <linux/capability.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include "arena.h"
#include "config.h"
#include "host/host.h"
#include "identity.h"
#include "nsd.h"
#include "process.h"
#include "syscall.h"

struct cred cred;

/* Linux's CAP_FS_MASK: what an fsuid change away from 0 takes from the
 * effective set (and back to 0 restores from the permitted set). */
#define CAP_FS_SET                                                                                   \
	((1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH) |           \
	 (1ull << CAP_FOWNER) | (1ull << CAP_FSETID) | (1ull << CAP_LINUX_IMMUTABLE) |                \
	 (1ull << CAP_MAC_OVERRIDE) | (1ull << CAP_MKNOD))

/* The sandbox's credential table: open addressing by pid; pid 0 is a free
 * slot, -1 a removed one. Each slot is written by one process at a time
 * (the parent before a fork, then the process itself), under a seqlock. */
#define CRED_SLOTS 4096
struct cred_slot {
	int32_t pid;
	uint32_t seq;
	struct cred_view v;
};
static struct cred_slot *table;

int cred_init(void)
{
	cred.ruid = cred.euid = cred.suid = cred.fsuid = config.uid;
	cred.rgid = cred.egid = cred.sgid = cred.fsgid = config.gid;
	/* no supplementary groups: the launcher's are cleared on the host */
	cred.cap_bset = CAP_ALL;
	/* root inside holds every capability, as a root shell does */
	cred.cap_prm = cred.cap_eff = config.uid == 0 ? CAP_ALL : 0;
	size_t len = (CRED_SLOTS * sizeof(struct cred_slot) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	void *p = arena_alloc_high(len);
	if (!p)
		return -ENOMEM;
	void *m = host_mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (host_err((long)m))
		return (int)(long)m;
	table = m;
	return 0;
}

/* The slot of pid, or with claim a new one for it (NULL: the table is
 * full, and kill permission falls back to "unknown": allowed). */
static struct cred_slot *slot_find(int pid, bool claim)
{
	for (int tries = 0; tries < 8; tries++) {
		struct cred_slot *free_slot = NULL;
		unsigned h = (unsigned)pid % CRED_SLOTS;
		for (unsigned i = 0; i < CRED_SLOTS; i++, h = (h + 1) % CRED_SLOTS) {
			int32_t p = __atomic_load_n(&table[h].pid, __ATOMIC_ACQUIRE);
			if (p == pid)
				return &table[h];
			if ((p == 0 || p == -1) && !free_slot)
				free_slot = &table[h];
			if (p == 0)
				break;
		}
		if (!claim || !free_slot)
			return NULL;
		int32_t old = __atomic_load_n(&free_slot->pid, __ATOMIC_RELAXED);
		if ((old == 0 || old == -1) &&
		    __atomic_compare_exchange_n(&free_slot->pid, &old, pid, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return free_slot;
		/* another process took it meanwhile: look again */
	}
	return NULL;
}

static void slot_write(int pid)
{
	struct cred_slot *s = slot_find(pid, true);
	if (!s)
		return;
	uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
	__atomic_store_n(&s->seq, q | 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	/* the eight ids are consecutive in struct cred */
	_Static_assert(offsetof(struct cred, fsgid) - offsetof(struct cred, ruid) == 7 * sizeof(uint32_t), "ids");
	memcpy(s->v.ids, &cred.ruid, sizeof(s->v.ids));
	s->v.cap_eff = cred.cap_eff;
	s->v.cap_prm = cred.cap_prm;
	s->v.cap_inh = cred.cap_inh;
	__atomic_store_n(&s->seq, (q | 1) + 1, __ATOMIC_RELEASE);
}

uint32_t cred_real_uid(int pid)
{
	struct cred_view v;
	return pid > 0 && cred_of(pid, &v) ? v.ids[0] : cred.ruid;
}

bool cred_of(int pid, struct cred_view *v)
{
	struct cred_slot *s = slot_find(pid, false);
	if (!s)
		return false;
	/* bounded: a writer killed mid-write (or an app's store) leaves the
	 * slot odd, and host signal handlers read it */
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t q = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		memcpy(v, &s->v, sizeof(*v));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (!(q & 1) && q == __atomic_load_n(&s->seq, __ATOMIC_RELAXED))
			return true;
	}
	return false;
}

void cred_publish(void)
{
	slot_write(proc.pid);
}

static void forget_last_call(void);

/* (no setxid broadcast runs across a fork: glibc serializes them) */
void cred_fork_prepare(int child_pid)
{
	forget_last_call();
	slot_write(child_pid);
}

void cred_forget(int pid)
{
	struct cred_slot *s = slot_find(pid, false);
	if (s)
		__atomic_store_n(&s->pid, -1, __ATOMIC_RELEASE);
}

void cred_fork_failed(int child_pid)
{
	cred_forget(child_pid);
}

bool capable(int cap)
{
	return cred.cap_eff >> cap & 1;
}

/* Linux's check_kill_permission: CAP_KILL, or the sender's real or
 * effective uid is the target's real or saved uid. A process this launch
 * did not fork (another launch joined to the sandbox) is not in the table:
 * allowed, as before there were ids. SIGCONT within a session is not
 * special-cased (the table has no sessions). */
int cred_may_signal(int pid, int sig)
{
	(void)sig;
	struct cred_view v;
	if (capable(CAP_KILL) || !cred_of(pid, &v))
		return 0;
	uint32_t ruid = v.ids[0], suid = v.ids[2];
	return cred.euid == ruid || cred.euid == suid || cred.ruid == ruid || cred.ruid == suid ? 0 : -EPERM;
}

/* Linux's permission for a call of another process on us (the caller's
 * ids and effective capabilities, as its stream request says them):
 * CRED_SCHED check_same_owner (sched_set*) and set_one_prio_perm
 * (setpriority): its effective uid is our real or effective one, or
 * CAP_SYS_NICE; CRED_IOPRIO set_task_ioprio: our real uid is its real or
 * effective one, or CAP_SYS_NICE; CRED_PRLIMIT check_prlimit_permission:
 * its real uid and gid are all of ours, or CAP_SYS_RESOURCE. */
int cred_caller_may(enum cred_perm what, uint32_t ruid, uint32_t euid, uint32_t rgid, uint64_t caps)
{
	switch (what) {
	case CRED_SCHED:
		return caps >> CAP_SYS_NICE & 1 || euid == cred.ruid || euid == cred.euid ? 0 : -EPERM;
	case CRED_IOPRIO:
		return caps >> CAP_SYS_NICE & 1 || cred.ruid == ruid || cred.ruid == euid ? 0 : -EPERM;
	case CRED_PRLIMIT:
		return caps >> CAP_SYS_RESOURCE & 1 ||
		               (ruid == cred.ruid && ruid == cred.euid && ruid == cred.suid && rgid == cred.rgid &&
		                rgid == cred.egid && rgid == cred.sgid)
		           ? 0
		           : -EPERM;
	}
	return -EPERM;
}

/* cap_emulate_setxuid: leaving root in every uid drops the permitted and
 * effective sets (unless PR_SET_KEEPCAPS) and the ambient set; the
 * effective uid leaving 0 drops the effective set, coming back to 0
 * restores it from the permitted set. */
static void fix_caps_after_setuid(uint32_t oruid, uint32_t oeuid, uint32_t osuid)
{
	if ((oruid == 0 || oeuid == 0 || osuid == 0) && cred.ruid != 0 && cred.euid != 0 && cred.suid != 0) {
		if (!cred.keepcaps)
			cred.cap_prm = cred.cap_eff = 0;
		cred.cap_amb = 0;
	}
	if (oeuid == 0 && cred.euid != 0)
		cred.cap_eff = 0;
	if (oeuid != 0 && cred.euid == 0)
		cred.cap_eff = cred.cap_prm;
}

static void fix_caps_after_setfsuid(uint32_t ofsuid)
{
	if (ofsuid == 0 && cred.fsuid != 0)
		cred.cap_eff &= ~CAP_FS_SET;
	if (ofsuid != 0 && cred.fsuid == 0)
		cred.cap_eff |= cred.cap_prm & CAP_FS_SET;
}

/* A uid or gid the caller may take without the capability: one of its
 * real, effective or saved ids (-1 is "no change"). */
#define NOCHANGE ((uint32_t)-1)
static bool may_take(uint32_t id, uint32_t r, uint32_t e, uint32_t s, int cap)
{
	return id == NOCHANGE || id == r || id == e || id == s || capable(cap);
}

/* The change itself, once checked: kernel/sys.c's assignments (the fs
 * id follows the effective one) and the capability fixup. */
static long apply(bool gid, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t *ids = gid ? &cred.rgid : &cred.ruid;
	uint32_t o[3] = { ids[0], ids[1], ids[2] };
	if (r != NOCHANGE)
		ids[0] = r;
	if (e != NOCHANGE)
		ids[1] = e;
	if (s != NOCHANGE)
		ids[2] = s;
	ids[3] = ids[1];
	if (!gid)
		fix_caps_after_setuid(o[0], o[1], o[2]);
	return 0;
}

static long set_res(bool gid, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t *ids = gid ? &cred.rgid : &cred.ruid;
	int cap = gid ? CAP_SETGID : CAP_SETUID;
	if (!may_take(r, ids[0], ids[1], ids[2], cap) || !may_take(e, ids[0], ids[1], ids[2], cap) ||
	    !may_take(s, ids[0], ids[1], ids[2], cap))
		return -EPERM;
	return apply(gid, r, e, s);
}

/* setuid: with the capability every id, else only the effective one, to
 * the real or saved id. */
static long set_id(bool gid, uint32_t id)
{
	uint32_t *ids = gid ? &cred.rgid : &cred.ruid;
	if (id == NOCHANGE)
		return -EINVAL;
	if (capable(gid ? CAP_SETGID : CAP_SETUID))
		return apply(gid, id, id, id);
	if (id != ids[0] && id != ids[2])
		return -EPERM;
	return apply(gid, NOCHANGE, id, NOCHANGE);
}

/* setreuid: the real id may become the effective one; the saved id
 * becomes the new effective one when the real id is set or the effective
 * id set to something other than the old real id. */
static long set_re(bool gid, uint32_t r, uint32_t e)
{
	uint32_t *ids = gid ? &cred.rgid : &cred.ruid;
	int cap = gid ? CAP_SETGID : CAP_SETUID;
	if (r != NOCHANGE && r != ids[0] && r != ids[1] && !capable(cap))
		return -EPERM;
	if (!may_take(e, ids[0], ids[1], ids[2], cap))
		return -EPERM;
	uint32_t s = NOCHANGE;
	if (r != NOCHANGE || (e != NOCHANGE && e != ids[0]))
		s = e != NOCHANGE ? e : ids[1];
	return apply(gid, r, e, s);
}

/* setfsuid: always answers the old id; changes it only to one of the
 * caller's ids or with the capability. */
static long set_fs(bool gid, uint32_t id)
{
	uint32_t *ids = gid ? &cred.rgid : &cred.ruid;
	uint32_t old = ids[3];
	if (id != NOCHANGE && (id == ids[0] || id == ids[1] || id == ids[2] || id == ids[3] ||
	                       capable(gid ? CAP_SETGID : CAP_SETUID))) {
		ids[3] = id;
		if (!gid)
			fix_caps_after_setfsuid(old);
		cred_publish();
	}
	return old;
}

SYS(getuid) { return cred.ruid; }
SYS(geteuid) { return cred.euid; }
SYS(getgid) { return cred.rgid; }
SYS(getegid) { return cred.egid; }
/* Linux keeps credentials per thread; glibc makes every thread repeat a
 * set*id or setgroups call (its setxid broadcast) so that they stay one.
 * Here they are the process's: a thread repeating the call another thread
 * just made, on the credentials that call left, gets that call's answer
 * and changes nothing, since its own (equal) credentials would have
 * changed the same way. Applying it again could differ: setuid(0) from a
 * saved uid 0 restores the effective uid only, but then the capabilities
 * are back and a second setuid(0) would set every uid. A thread that has
 * had its turn at the call already makes a new one. */
#define SETXID_THREADS 64
static struct {
	long nr, a[3], result;
	int ntids, tids[SETXID_THREADS]; /* the threads that had their turn */
	bool valid;
	struct cred after;
} last;

static bool had_turn(int tid)
{
	for (int i = 0; i < last.ntids; i++)
		if (last.tids[i] == tid)
			return true;
	return last.ntids == SETXID_THREADS;
}

/* A fork child's single thread, or the program after execve, starts anew. */
static void forget_last_call(void)
{
	/* Read first: cred_fork_prepare comes here at every fork, and a write
	 * would cost this page a copy-on-write fault each time. */
	if (last.valid)
		last.valid = false;
}

static long once_per_process(struct sysctx *c, long (*fn)(struct sysctx *c))
{
	lock(&proc.lock);
	long r;
	if (last.valid && last.nr == c->nr && !had_turn(c->t->tid) && !memcmp(last.a, c->a, sizeof(last.a)) &&
	    !memcmp(&last.after, &cred, sizeof(cred))) {
		r = last.result;
		last.tids[last.ntids++] = c->t->tid;
	} else {
		struct cred before;
		memcpy(&before, &cred, sizeof(cred));
		r = fn(c);
		if (memcmp(&before, &cred, sizeof(cred))) {
			last.nr = c->nr;
			memcpy(last.a, c->a, sizeof(last.a));
			last.result = r;
			last.tids[0] = c->t->tid;
			last.ntids = 1;
			last.valid = true;
			memcpy(&last.after, &cred, sizeof(cred));
			cred_publish();
		}
	}
	unlock(&proc.lock);
	return r;
}

static long do_setuid(struct sysctx *c) { return set_id(false, (uint32_t)c->a[0]); }
static long do_setgid(struct sysctx *c) { return set_id(true, (uint32_t)c->a[0]); }
static long do_setreuid(struct sysctx *c) { return set_re(false, (uint32_t)c->a[0], (uint32_t)c->a[1]); }
static long do_setregid(struct sysctx *c) { return set_re(true, (uint32_t)c->a[0], (uint32_t)c->a[1]); }
static long do_setresuid(struct sysctx *c) { return set_res(false, (uint32_t)c->a[0], (uint32_t)c->a[1], (uint32_t)c->a[2]); }
static long do_setresgid(struct sysctx *c) { return set_res(true, (uint32_t)c->a[0], (uint32_t)c->a[1], (uint32_t)c->a[2]); }
SYS(setuid) { return once_per_process(c, do_setuid); }
SYS(setgid) { return once_per_process(c, do_setgid); }
SYS(setreuid) { return once_per_process(c, do_setreuid); }
SYS(setregid) { return once_per_process(c, do_setregid); }
SYS(setresuid) { return once_per_process(c, do_setresuid); }
SYS(setresgid) { return once_per_process(c, do_setresgid); }
SYS(setfsuid) { return set_fs(false, (uint32_t)c->a[0]); }
SYS(setfsgid) { return set_fs(true, (uint32_t)c->a[0]); }

static long get_res(const uint32_t *ids, uint32_t *r, uint32_t *e, uint32_t *s)
{
	if (!r || !e || !s)
		return -EFAULT;
	*r = ids[0];
	*e = ids[1];
	*s = ids[2];
	return 0;
}

SYS(getresuid) { return get_res(&cred.ruid, SYSCALL_ARG(0, uint32_t *), SYSCALL_ARG(1, uint32_t *), SYSCALL_ARG(2, uint32_t *)); }
SYS(getresgid) { return get_res(&cred.rgid, SYSCALL_ARG(0, uint32_t *), SYSCALL_ARG(1, uint32_t *), SYSCALL_ARG(2, uint32_t *)); }

SYS(getgroups)
{
	int size = (int)c->a[0];
	uint32_t *list = SYSCALL_ARG(1, uint32_t *);
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return cred.ngroups;
	if (size < cred.ngroups)
		return -EINVAL;
	if (!list && cred.ngroups)
		return -EFAULT;
	memcpy(list, cred.groups, cred.ngroups * sizeof(*list));
	return cred.ngroups;
}

static long do_setgroups(struct sysctx *c)
{
	int size = (int)c->a[0];
	const uint32_t *list = SYSCALL_ARG(1, const uint32_t *);
	if (!capable(CAP_SETGID))
		return -EPERM;
	if (size < 0 || size > CRED_NGROUPS)
		return -EINVAL;
	if (size && !list)
		return -EFAULT;
	uint32_t g[CRED_NGROUPS];
	memcpy(g, list, size * sizeof(*g));
	/* sorted, as Linux keeps them (getgroups answers them so) */
	for (int i = 1; i < size; i++)
		for (int j = i; j > 0 && g[j - 1] > g[j]; j--) {
			uint32_t t = g[j];
			g[j] = g[j - 1];
			g[j - 1] = t;
		}
	memcpy(cred.groups, g, size * sizeof(*g));
	cred.ngroups = size;
	return 0;
}

SYS(setgroups) { return once_per_process(c, do_setgroups); }

/* capget/capset: versions 1 (32 bits) and 2/3 (64); a wrong version is
 * EINVAL with the preferred one written back (capget without data: 0). */
static int cap_words(struct __user_cap_header_struct *h)
{
	if (!h)
		return -EFAULT;
	if (h->version == _LINUX_CAPABILITY_VERSION_1)
		return 1;
	if (h->version == _LINUX_CAPABILITY_VERSION_2 || h->version == _LINUX_CAPABILITY_VERSION_3)
		return 2;
	h->version = _LINUX_CAPABILITY_VERSION_3;
	return -EINVAL;
}

SYS(capget)
{
	struct __user_cap_header_struct *h = SYSCALL_ARG(0, struct __user_cap_header_struct *);
	struct __user_cap_data_struct *d = SYSCALL_ARG(1, struct __user_cap_data_struct *);
	int n = cap_words(h);
	if (n < 0)
		return n == -EINVAL && !d ? 0 : n; /* a version probe */
	if (h->pid < 0)
		return -EINVAL;
	/* another process's sets: from the sandbox's table */
	struct cred_view v = { .cap_eff = cred.cap_eff, .cap_prm = cred.cap_prm, .cap_inh = cred.cap_inh };
	if (h->pid && h->pid != proc.pid && !thread_by_tid(h->pid) && !cred_of(h->pid, &v))
		return -ESRCH;
	if (!d)
		return 0;
	for (int i = 0; i < n; i++) {
		d[i].effective = (uint32_t)(v.cap_eff >> (32 * i));
		d[i].permitted = (uint32_t)(v.cap_prm >> (32 * i));
		d[i].inheritable = (uint32_t)(v.cap_inh >> (32 * i));
	}
	return 0;
}

SYS(capset)
{
	struct __user_cap_header_struct *h = SYSCALL_ARG(0, struct __user_cap_header_struct *);
	const struct __user_cap_data_struct *d = SYSCALL_ARG(1, const struct __user_cap_data_struct *);
	int n = cap_words(h);
	if (n < 0)
		return n;
	if (h->pid && h->pid != proc.pid && !thread_by_tid(h->pid))
		return -EPERM;
	if (!d)
		return -EFAULT;
	uint64_t eff = 0, prm = 0, inh = 0;
	for (int i = 0; i < n; i++) {
		eff |= (uint64_t)d[i].effective << (32 * i);
		prm |= (uint64_t)d[i].permitted << (32 * i);
		inh |= (uint64_t)d[i].inheritable << (32 * i);
	}
	eff &= CAP_ALL;
	prm &= CAP_ALL;
	inh &= CAP_ALL;
	/* cap_capset: a new inheritable bit needs CAP_SETPCAP or to be
	 * permitted, and within the bounding set; permitted only shrinks;
	 * effective within the new permitted */
	if (!capable(CAP_SETPCAP) && (inh & ~(cred.cap_inh | cred.cap_prm)))
		return -EPERM;
	if ((inh & ~(cred.cap_inh | cred.cap_bset)) || (prm & ~cred.cap_prm) || (eff & ~prm))
		return -EPERM;
	cred.cap_eff = eff;
	cred.cap_prm = prm;
	cred.cap_inh = inh;
	cred.cap_amb &= prm & inh;
	cred_publish();
	return 0;
}

/* The identity part of prctl; other options answer -ENOSYS to the caller
 * (sys/misc.c), which handles them. */
long cred_prctl(long op, unsigned long a1, unsigned long a2, unsigned long a3, unsigned long a4)
{
	switch (op) {
	case PR_GET_KEEPCAPS:
		return cred.keepcaps;
	case PR_SET_KEEPCAPS:
		if (a1 > 1)
			return -EINVAL;
		cred.keepcaps = a1;
		return 0;
	case PR_GET_SECUREBITS:
		return cred.keepcaps ? 1 << 4 /* SECBIT_KEEP_CAPS */ : 0;
	case PR_CAPBSET_READ:
		return a1 > CAP_LAST ? -EINVAL : (long)(cred.cap_bset >> a1 & 1);
	case PR_CAPBSET_DROP:
		if (a1 > CAP_LAST)
			return -EINVAL;
		if (!capable(CAP_SETPCAP))
			return -EPERM;
		cred.cap_bset &= ~(1ull << a1);
		return 0;
	case PR_CAP_AMBIENT:
		if ((a1 == PR_CAP_AMBIENT_CLEAR_ALL) ? (a2 | a3 | a4) != 0 : (a3 | a4) != 0)
			return -EINVAL;
		if (a1 == PR_CAP_AMBIENT_CLEAR_ALL) {
			cred.cap_amb = 0;
			return 0;
		}
		if (a2 > CAP_LAST)
			return -EINVAL;
		if (a1 == PR_CAP_AMBIENT_IS_SET)
			return (long)(cred.cap_amb >> a2 & 1);
		if (a1 == PR_CAP_AMBIENT_LOWER) {
			cred.cap_amb &= ~(1ull << a2);
			return 0;
		}
		if (a1 != PR_CAP_AMBIENT_RAISE)
			return -EINVAL;
		if (!(cred.cap_prm & cred.cap_inh & (1ull << a2)))
			return -EPERM;
		cred.cap_amb |= 1ull << a2;
		return 0;
	default:
		return -ENOSYS;
	}
}

/* cap_bprm_creds_from_file for a file without capabilities and with no
 * set-id effect (the mounts are nosuid, the libos strips set-id bits:
 * tools/confine.c): root (real or effective) gets the bounding and
 * inheritable sets as permitted, effective too if its effective uid is 0;
 * anyone else keeps only the ambient set (permitted and effective). The
 * saved and fs ids become the effective ones; KEEP_CAPS is cleared. */
void cred_exec(void)
{
	uint64_t prm = 0;
	bool eff = false;
	/* commoncap's secureexec: the effective ids are not the real ones, or
	 * a non-root real uid gains capabilities beyond the ambient set */
	bool setid = cred.euid != cred.ruid || cred.egid != cred.rgid;
	if (cred.euid == 0 || cred.ruid == 0)
		prm = cred.cap_bset | cred.cap_inh;
	if (cred.euid == 0)
		eff = true;
	cred.cap_prm = prm | cred.cap_amb;
	cred.cap_eff = eff ? cred.cap_prm : cred.cap_amb;
	cred.secure_exec = setid || (cred.ruid != 0 && (eff || (cred.cap_prm & ~cred.cap_amb)));
	cred.suid = cred.fsuid = cred.euid;
	cred.sgid = cred.fsgid = cred.egid;
	cred.keepcaps = false;
	forget_last_call();
	cred_publish();
}
