/* Identity, limits, scheduling and other small syscalls. */
#include <asm/errno.h>
#include <asm/prctl.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include "fdrecord.h"
#include "host/host.h"
#include "identity.h"
#include "loader.h"
#include "memlimit.h"
#include "nsd.h"
#include "process.h"
#include "rpc.h"
#include "rpc_wire.h"
#include "syscall.h"
#include "thread.h"

SYS(sysinfo) { return host(__NR_sysinfo, c->a[0]); }
SYS(getrandom) { return host(__NR_getrandom, c->a[0], c->a[1], c->a[2]); }
SYS(getrusage) { return host(__NR_getrusage, c->a[0], c->a[1]); }
SYS(times) { return host(__NR_times, c->a[0]); }
SYS(sched_yield) { return host(__NR_sched_yield); }
SYS(getcpu) { return host(__NR_getcpu, c->a[0], c->a[1], c->a[2]); }
/* Scheduling, nice values and I/O priority are a thread's, limits the
 * process's. The site lets the libos make these calls about the calling
 * thread only (so no host process outside is ever reached): another
 * thread of ours makes the call itself (thread_call_on), another process
 * of the sandbox too, asked over its RPC stream (rpc_sched, served by
 * sched_serve), which checks Linux's permission against the caller's ids. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3

/* r's call made by our thread tid, r's buffers as the host's arguments. */
static long call_here(int tid, const struct sched_req *r)
{
	long a = r->arg, d = (long)r->data, o = (long)r->out, nr = r->nr;
	switch (nr) {
	case __NR_getpriority:
	case __NR_sched_getscheduler:
		return thread_call_on(tid, nr, 0, 0, 0, 0);
	case __NR_setpriority:
		return thread_call_on(tid, nr, 0, 0, a, 0);
	case __NR_sched_getaffinity:
		return thread_call_on(tid, nr, 0, (long)r->out_len, o, 0);
	case __NR_sched_setaffinity:
		return thread_call_on(tid, nr, 0, (long)r->data_len, d, 0);
	case __NR_sched_getparam:
	case __NR_sched_rr_get_interval:
		return thread_call_on(tid, nr, 0, o, 0, 0);
	case __NR_sched_setparam:
		return thread_call_on(tid, nr, 0, d, 0, 0);
	case __NR_sched_setscheduler:
		return thread_call_on(tid, nr, 0, a, d, 0);
	case __NR_sched_getattr:
		return thread_call_on(tid, nr, 0, o, (long)r->out_len, a);
	case __NR_sched_setattr:
		return thread_call_on(tid, nr, 0, d, a, 0);
	case __NR_ioprio_get:
		return thread_call_on(tid, nr, IOPRIO_WHO_PROCESS, 0, 0, 0);
	case __NR_ioprio_set:
		return thread_call_on(tid, nr, IOPRIO_WHO_PROCESS, 0, a, 0);
	default:
		return -EINVAL;
	}
}

static void add_tid(struct thread *t, void *arg)
{
	int *tids = arg;
	if (tids[0] < tids[1])
		tids[2 + tids[0]++] = t->tid;
}

/* Linux's fold of the answers of a group's or user's threads, acc
 * starting at ESRCH (none): getpriority the highest priority (20 - nice),
 * ioprio_get the lowest value (ioprio_best), both skipping errors;
 * setpriority the last refusal (EPERM, EACCES), else 0; ioprio_set stops
 * at the first refusal (*stop). ESRCH from one of them: not a member. */
static long prio_fold(int nr, long acc, long r, bool *stop)
{
	switch (nr) {
	case __NR_getpriority:
		return r > acc ? r : acc;
	case __NR_ioprio_get:
		return r < 0 ? acc : acc < 0 || r < acc ? r : acc;
	case __NR_ioprio_set:
		*stop = r < 0 && r != -ESRCH;
		return r == -ESRCH ? acc : r;
	default:
		return r == -ESRCH ? acc : r < 0 ? r : acc == -ESRCH ? 0 : acc;
	}
}

static long prio_all_threads(const struct sched_req *r)
{
	int n = thread_count() + 8; /* threads made meanwhile are not reached, as in Linux */
	int *tids = malloc(sizeof(int) * (size_t)(n + 2));
	if (!tids)
		return -ENOMEM;
	tids[0] = 0;
	tids[1] = n;
	thread_foreach(add_tid, tids);
	long acc = -ESRCH;
	bool stop = false;
	for (int i = 0; i < tids[0] && !stop; i++)
		acc = prio_fold(r->nr, acc, call_here(tids[2 + i], r), &stop);
	free(tids);
	return acc;
}

static long prlimit_self(int res, const struct rlimit64 *new, struct rlimit64 *old);

long sched_serve(const struct sched_req *r)
{
	bool change = r->nr == __NR_setpriority || r->nr == __NR_sched_setaffinity ||
	              r->nr == __NR_sched_setparam || r->nr == __NR_sched_setscheduler ||
	              r->nr == __NR_sched_setattr;
	enum cred_perm perm = r->nr == __NR_prlimit64 ? CRED_PRLIMIT : r->nr == __NR_ioprio_set ? CRED_IOPRIO : CRED_SCHED;
	long e = change || r->nr == __NR_prlimit64 || r->nr == __NR_ioprio_set
	             ? cred_caller_may(perm, r->ruid, r->euid, r->rgid, r->caps)
	             : 0;
	if (r->which == PRIO_PGRP || r->which == PRIO_USER) {
		/* a group's members are nsd's (the caller asked it): a parent's
		 * setpgid of us need not be in proc.pgid yet */
		bool member = r->which == PRIO_PGRP || (uint32_t)r->who == cred.ruid;
		bool prio = r->nr == __NR_getpriority || r->nr == __NR_setpriority || r->nr == __NR_ioprio_get ||
		            r->nr == __NR_ioprio_set;
		return !prio ? -EINVAL : !member ? -ESRCH : e ?: prio_all_threads(r);
	}
	/* Our pid or a tid of ours (never 0: that would name the helper), the
	 * target checked first, as a caller asking each process relies on. */
	if (r->who <= 0 || (r->who != proc.pid && !thread_by_tid(r->who)))
		return -ESRCH;
	if (e < 0)
		return e;
	if (r->nr == __NR_prlimit64) {
		struct rlimit64 new, old;
		if (r->data_len && r->data_len != sizeof(new))
			return -EINVAL;
		memcpy(&new, r->data, r->data_len);
		e = prlimit_self((int)r->arg, r->data_len ? &new : NULL, r->out_len ? &old : NULL);
		if (e == 0 && r->out_len)
			memcpy(r->out, &old, r->out_len < sizeof(old) ? r->out_len : sizeof(old));
		return e;
	}
	/* the host reads a sched_attr's own size: all of it must be here */
	if (r->nr == __NR_sched_setattr) {
		uint32_t size = 0;
		memcpy(&size, r->data, r->data_len < 4 ? r->data_len : 4);
		if (r->data_len < 48 || (size ?: 48) > r->data_len)
			return -E2BIG;
	}
	if ((r->nr == __NR_sched_setparam || r->nr == __NR_sched_setscheduler) && r->data_len < 4)
		return -EFAULT;
	return call_here(r->who, r);
}

static long sched_fn(const Nsd__Proc *p, void *r)
{
	return rpc_sched(p, r);
}

/* Another process of the sandbox, by sandbox pid, makes r on itself. A
 * number that is no process's may be a thread's (tids come from the pid
 * space): the process that has it answers. */
static long remote_call(int pid, struct sched_req *r)
{
	Nsd__Frame *rep = nsd_lookup(pid);
	if (!rep)
		return rpc_on_thread_owner(pid, sched_fn, r);
	long v = nsd_is_gone(rep->proc) ? -ESRCH : rpc_sched(rep->proc, r);
	nsd_free(rep);
	return v;
}

/* r about pid: a thread of ours (0: the caller) or another process.
 * Another's gets bounded copies of r's buffers (the stream's limit) and
 * writes back what the call wrote. */
static long sched_on(int pid, struct sched_req *r)
{
	if (pid < 0)
		return -EINVAL;
	r->who = pid;
	long v = call_here(pid, r);
	if (v != -ESRCH || pid == 0 || thread_by_tid(pid))
		return v;
	uint8_t in[RPC_SCHED_MAX], out[RPC_SCHED_MAX] = { 0 }; /* a short reply leaves no stack bytes */
	struct sched_req q = *r;
	q.data_len = r->data_len < sizeof(in) ? r->data_len : sizeof(in);
	q.out_len = r->out_len < sizeof(out) ? r->out_len : sizeof(out);
	memcpy(in, r->data, q.data_len);
	q.data = in;
	q.out = out;
	v = remote_call(pid, &q);
	size_t wrote = r->nr == __NR_sched_getaffinity ? (size_t)(v > 0 ? v : 0)
	               : r->nr == __NR_sched_getattr   ? *(uint32_t *)out
	                                               : q.out_len;
	if (v >= 0)
		memcpy(r->out, out, wrote < q.out_len ? wrote : q.out_len);
	return v;
}

#define SCHED(name, arg_, data_, data_len_, out_, out_len_)                                       \
	SYS(name)                                                                              \
	{                                                                                      \
		struct sched_req r = { .nr = __NR_##name, .arg = (arg_), .data = (const void *)(data_), \
			               .data_len = (data_len_), .out = (void *)(out_), .out_len = (out_len_) }; \
		return sched_on((int)c->a[0], &r);                                             \
	}

SCHED(sched_getaffinity, 0, 0, 0, c->a[2], (size_t)c->a[1])
SCHED(sched_setaffinity, 0, c->a[2], (size_t)c->a[1], 0, 0)
SCHED(sched_getparam, 0, 0, 0, c->a[1], sizeof(int) /* struct sched_param */)
SCHED(sched_setparam, 0, c->a[1], sizeof(int) /* struct sched_param */, 0, 0)
SCHED(sched_getscheduler, 0, 0, 0, 0, 0)
SCHED(sched_setscheduler, c->a[1], c->a[2], sizeof(int) /* struct sched_param */, 0, 0)
SCHED(sched_getattr, c->a[3], 0, 0, c->a[1], (size_t)(uint32_t)c->a[2])
SCHED(sched_rr_get_interval, 0, 0, 0, c->a[1], sizeof(struct __kernel_timespec))
SYS(sched_get_priority_max) { return host(__NR_sched_get_priority_max, c->a[0]); }
SYS(sched_get_priority_min) { return host(__NR_sched_get_priority_min, c->a[0]); }

/* A sched_attr is as long as its first field says (0: the first version's
 * 48 bytes); longer than the stream carries: E2BIG. */
SYS(sched_setattr)
{
	const uint32_t *attr = (const void *)c->a[1];
	if (!attr)
		return -EINVAL;
	uint32_t size = *attr ?: 48;
	if (size < 48 || size > RPC_SCHED_MAX)
		return -E2BIG;
	struct sched_req r = { .nr = __NR_sched_setattr, .arg = c->a[2], .data = attr, .data_len = size };
	return sched_on((int)c->a[0], &r);
}

/* PRIO_PGRP and PRIO_USER (of getpriority, setpriority and the ioprio
 * calls): every sandbox process of the group (nsd's members) or of the
 * real uid makes the call on all its threads, Linux's fold of their
 * answers (prio_fold). The host's group and uid are never named: they hold
 * processes outside the sandbox. Without nsd only the caller is known. */
static long prio_members(struct sched_req *r)
{
	if (r->who == 0)
		r->who = r->which == PRIO_PGRP ? proc.pgid : (int)cred.ruid;
	r->ruid = cred.ruid;
	r->euid = cred.euid;
	r->rgid = cred.rgid;
	r->caps = cred.cap_eff;
	Nsd__Frame *rep = r->which == PRIO_PGRP ? nsd_members(r->who, 0) : nsd_members(0, 0);
	if (!rep)
		return r->which == PRIO_USER || r->who == proc.pgid ? sched_serve(r) : -ESRCH;
	long acc = -ESRCH;
	bool stop = false;
	for (size_t i = 0; i < rep->proc_list->n_procs && !stop; i++) {
		const Nsd__Proc *p = rep->proc_list->procs[i];
		if ((int)p->pid == proc.pid)
			acc = prio_fold(r->nr, acc, sched_serve(r), &stop);
		else if (!nsd_is_gone(p) && strcmp(p->state, "zombie"))
			acc = prio_fold(r->nr, acc, rpc_sched(p, r), &stop);
	}
	nsd_free(rep);
	return acc;
}

/* A nice value is a thread's: PRIO_PROCESS names any thread by its tid (a
 * negative one: no such process). */
static long prio_call(const struct sysctx *c, long nr, long prio)
{
	struct sched_req r = { .nr = (int)nr, .which = (int)c->a[0], .who = (int)c->a[1], .arg = prio };
	if (c->a[0] == PRIO_PROCESS)
		return (int)c->a[1] < 0 ? -ESRCH : sched_on((int)c->a[1], &r);
	if (c->a[0] != PRIO_PGRP && c->a[0] != PRIO_USER)
		return -EINVAL;
	return (int)c->a[1] < 0 ? -ESRCH : prio_members(&r);
}

SYS(getpriority) { return prio_call(c, __NR_getpriority, 0); }
SYS(setpriority) { return prio_call(c, __NR_setpriority, c->a[2]); }

/* I/O priority, per thread as a nice value is, with the same targets
 * (on the stream as PRIO_PGRP/PRIO_USER). */
static long ioprio_call(const struct sysctx *c, long nr, long prio)
{
	int which = (int)c->a[0], who = (int)c->a[1];
	struct sched_req r = { .nr = (int)nr, .who = who, .arg = prio };
	if (which == IOPRIO_WHO_PROCESS)
		return who < 0 ? -ESRCH : sched_on(who, &r);
	if (which != IOPRIO_WHO_PGRP && which != IOPRIO_WHO_USER)
		return -EINVAL;
	r.which = which == IOPRIO_WHO_PGRP ? PRIO_PGRP : PRIO_USER;
	return who < 0 ? -ESRCH : prio_members(&r);
}

SYS(ioprio_get) { return ioprio_call(c, __NR_ioprio_get, 0); }
SYS(ioprio_set) { return ioprio_call(c, __NR_ioprio_set, c->a[2]); }
SYS(membarrier) { return host(__NR_membarrier, c->a[0], c->a[1], c->a[2]); }
/* rseq is per host thread and names no host resource: the kernel keeps it.
 * The libos remembers it to unregister it at thread exit (see sys_exit). */
SYS(rseq)
{
	long r = host(__NR_rseq, c->a[0], c->a[1], c->a[2], c->a[3]);
	if (r == 0) {
		bool unreg = c->a[2] & 1; /* RSEQ_FLAG_UNREGISTER */
		c->t->rseq = unreg ? NULL : (void *)c->a[0];
		c->t->rseq_len = (uint32_t)c->a[1];
		c->t->rseq_sig = (uint32_t)c->a[3];
	}
	return r;
}

/* Linux's checks of a new limit for an unprivileged process (the sandbox
 * cannot raise the host's hard limits). */
static int check_new_limit(const struct rlimit64 *new, uint64_t hard)
{
	if (new->rlim_cur > new->rlim_max)
		return -EINVAL;
	return new->rlim_max > hard ? -EPERM : 0;
}

static long prlimit_self(int res, const struct rlimit64 *new, struct rlimit64 *old)
{
	if (res == RLIMIT_NOFILE) {
		uint64_t soft, hard;
		fd_limits(&soft, &hard);
		int e = new ? check_new_limit(new, hard) : 0;
		if (e < 0)
			return e;
		if (old) {
			old->rlim_cur = soft;
			old->rlim_max = hard;
		}
		return new ? fd_set_limits(new->rlim_cur, new->rlim_max) : 0;
	}
	/* The loader's: it sizes the next execve's stack. The host's too, which
	 * bounds how far the current stack (MAP_GROWSDOWN) may grow, as Linux's
	 * limit does at once. */
	if (res == RLIMIT_STACK) {
		struct rlimit64 cur, want = new ? *new : (struct rlimit64){ 0 };
		stack_limit_get(&cur);
		int e = new ? check_new_limit(&want, cur.rlim_max) : 0;
		if (e == 0 && new)
			e = (int)host(__NR_prlimit64, 0, RLIMIT_STACK, &want, NULL);
		if (e < 0)
			return e;
		if (old)
			*old = cur;
		if (new)
			stack_limit_set(&want);
		return 0;
	}
	if (res == RLIMIT_AS || res == RLIMIT_DATA)
		return memlimit_rlimit(res, new, old);
	long r = host(__NR_prlimit64, 0, res, new, old);
	if (r == 0 && new && res == RLIMIT_SIGPENDING)
		sigq_set_limit(new->rlim_cur);
	return r;
}

/* Limits are the process's: any of its threads names it. Another
 * process's: made by it (sched_serve). */
SYS(prlimit64)
{
	long pid = c->a[0];
	const struct rlimit64 *new = (const void *)c->a[2];
	struct rlimit64 *old = (void *)c->a[3];
	if (pid == 0 || pid == proc.pid || ((int)pid == pid && thread_by_tid((int)pid)))
		return prlimit_self((int)c->a[1], new, old);
	if ((int)pid != pid || (int)pid < 0)
		return -ESRCH;
	struct rlimit64 n = new ? *new : (struct rlimit64){ 0 }, o;
	struct sched_req r = { .nr = __NR_prlimit64, .which = PRIO_PROCESS, .who = (int)pid, .arg = c->a[1],
		               .data = &n, .data_len = new ? sizeof(n) : 0, .out = &o,
		               .out_len = old ? sizeof(o) : 0 };
	long v = remote_call((int)pid, &r);
	if (v == 0 && old)
		*old = o;
	return v;
}

SYS(getrlimit)
{
	struct sysctx p = { .a = { 0, c->a[0], 0, c->a[1] }, .t = c->t, .uc = c->uc };
	return sys_prlimit64(&p);
}

SYS(setrlimit)
{
	struct sysctx p = { .a = { 0, c->a[0], c->a[1], 0 }, .t = c->t, .uc = c->uc };
	return sys_prlimit64(&p);
}

/* PR_SET_PDEATHSIG is the host's too (the site's filter lets prctl through
 * for it: it signals only the caller), so the signal comes when the host
 * parent, which is the sandbox parent, ends. Linux and the host clear it in
 * a fork child; keyed by the pid that set it, it is gone in the child
 * without the fork path knowing. */
static struct {
	int pid, sig;
} pdeathsig;

int prctl_pdeathsig(void)
{
	return pdeathsig.pid == proc.pid ? pdeathsig.sig : 0;
}

/* PR_SET_DUMPABLE is the app's: the host's would change who owns the
 * libos's own /proc/self. A fork child keeps it, execve makes it 1 again
 * (no set-id programs run here). */
static int dumpable = 1;

void prctl_after_exec(void)
{
	dumpable = 1;
}

SYS(prctl)
{
	long r = cred_prctl(c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
	if (r != -ENOSYS)
		return r;
	switch (c->a[0]) {
	case PR_SET_PDEATHSIG: {
		if ((unsigned long)c->a[1] > NSIG_APP)
			return -EINVAL;
		long r = host(__NR_prctl, PR_SET_PDEATHSIG, c->a[1], 0, 0, 0);
		if (r < 0)
			return r;
		pdeathsig.pid = proc.pid;
		pdeathsig.sig = (int)c->a[1];
		return 0;
	}
	case PR_GET_PDEATHSIG:
		*(int *)c->a[1] = prctl_pdeathsig();
		return 0;
	case PR_SET_CHILD_SUBREAPER:
		return subreaper_set(c->a[1] != 0);
	case PR_GET_CHILD_SUBREAPER:
		*(int *)c->a[1] = subreaper_get();
		return 0;
	case PR_SET_NAME:
		thread_set_comm((const char *)c->a[1]);
		return 0;
	case PR_GET_NAME:
		strlcpy((char *)c->a[1], c->t->comm, sizeof(c->t->comm));
		return 0;
	case PR_GET_DUMPABLE:
		return dumpable;
	case PR_SET_DUMPABLE:
		if ((unsigned long)c->a[1] > 1)
			return -EINVAL;
		dumpable = (int)c->a[1];
		return 0;
	/* The launcher set no_new_privs on the host: setting it again is what
	 * it already is. Linux wants the unused arguments 0. */
	case PR_SET_NO_NEW_PRIVS:
		return c->a[1] != 1 || c->a[2] || c->a[3] || c->a[4] ? -EINVAL : 0;
	case PR_GET_NO_NEW_PRIVS:
		return c->a[1] || c->a[2] || c->a[3] || c->a[4] ? -EINVAL : 1;
	case PR_GET_TID_ADDRESS:
		*(int **)c->a[1] = c->t->clear_child_tid;
		return 0;
	default:
		return -EINVAL;
	}
}

SYS(arch_prctl)
{
	switch (c->a[0]) {
	case ARCH_SET_FS:
	case ARCH_GET_FS:
		return host(__NR_arch_prctl, c->a[0], c->a[1]);
	case ARCH_SET_GS:
		return -EPERM; /* %gs belongs to the libos */
	case ARCH_GET_GS:
		*(unsigned long *)c->a[1] = 0;
		return 0;
	default:
		return -EINVAL;
	}
}
