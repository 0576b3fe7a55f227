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
#include "process.h"
#include "syscall.h"
#include "thread.h"

/* Limits are the process's: any of its threads names it. Another
 * process's: Linux's permission answer for limits (EPERM where it would
 * refuse); a permitted one is not reached (ESRCH). */
static long process_target(long pid)
{
	if (pid == 0 || pid == proc.pid || ((int)pid == pid && thread_by_tid((int)pid)))
		return 0;
	return (int)pid == pid ? cred_may_prlimit((int)pid) ?: -ESRCH : -ESRCH;
}

SYS(sysinfo) { return host(__NR_sysinfo, c->a[0]); }
SYS(getrandom) { return host(__NR_getrandom, c->a[0], c->a[1], c->a[2]); }
SYS(getrusage) { return host(__NR_getrusage, c->a[0], c->a[1]); }
SYS(times) { return host(__NR_times, c->a[0]); }
SYS(sched_yield) { return host(__NR_sched_yield); }
SYS(getcpu) { return host(__NR_getcpu, c->a[0], c->a[1], c->a[2]); }
/* A thread's scheduling: any thread of the process, by its tid (the
 * process's pid names the main thread), made by that thread itself.
 * Another process's: a change gets Linux's permission answer (EPERM where
 * it would refuse); a permitted change, or a query, is not reached
 * (ESRCH). */
static long sched_call(int pid, bool change, long nr, long a1, long a2, long a3)
{
	if (pid < 0)
		return -EINVAL;
	long r = thread_call_on(pid, nr, 0, a1, a2, a3);
	return r == -ESRCH && change ? cred_may_sched(pid) ?: -ESRCH : r;
}

SYS(sched_getaffinity) { return sched_call(c->a[0], false, __NR_sched_getaffinity, c->a[1], c->a[2], 0); }
SYS(sched_setaffinity) { return sched_call(c->a[0], true, __NR_sched_setaffinity, c->a[1], c->a[2], 0); }
SYS(sched_getparam) { return sched_call(c->a[0], false, __NR_sched_getparam, c->a[1], 0, 0); }
SYS(sched_setparam) { return sched_call(c->a[0], true, __NR_sched_setparam, c->a[1], 0, 0); }
SYS(sched_getscheduler) { return sched_call(c->a[0], false, __NR_sched_getscheduler, 0, 0, 0); }
SYS(sched_setscheduler) { return sched_call(c->a[0], true, __NR_sched_setscheduler, c->a[1], c->a[2], 0); }
SYS(sched_getattr) { return sched_call(c->a[0], false, __NR_sched_getattr, c->a[1], c->a[2], c->a[3]); }
SYS(sched_setattr) { return sched_call(c->a[0], true, __NR_sched_setattr, c->a[1], c->a[2], 0); }
SYS(sched_rr_get_interval) { return sched_call(c->a[0], false, __NR_sched_rr_get_interval, c->a[1], 0, 0); }
SYS(sched_get_priority_max) { return host(__NR_sched_get_priority_max, c->a[0]); }
SYS(sched_get_priority_min) { return host(__NR_sched_get_priority_min, c->a[0]); }

/* getpriority/setpriority of a group or user act on the caller only: the
 * host's process group and user hold processes outside the sandbox (the
 * launching shell, every process of the host uid). The caller's own group
 * and uid name the caller; their other members are not reached until nsd
 * lists the sandbox's groups. */
static long prio_target(long which, long who)
{
	switch (which) {
	case PRIO_PGRP:
		return who == 0 || who == proc.pgid ? 0 : -ESRCH;
	case PRIO_USER:
		return who == 0 || (uint32_t)who == cred.ruid ? 0 : -ESRCH;
	default:
		return -EINVAL;
	}
}

/* A nice value is a thread's: PRIO_PROCESS names any thread of the process
 * by its tid, as scheduling does (a negative one: no such process). */
static long prio_call(const struct sysctx *c, long nr, long prio)
{
	if (c->a[0] == PRIO_PROCESS)
		return (int)c->a[1] < 0 ? -ESRCH
		                        : sched_call((int)c->a[1], nr == __NR_setpriority, nr, 0, prio, 0);
	return prio_target(c->a[0], c->a[1]) ?: host(nr, PRIO_PROCESS, 0, prio);
}

SYS(getpriority) { return prio_call(c, __NR_getpriority, 0); }
SYS(setpriority) { return prio_call(c, __NR_setpriority, c->a[2]); }

/* I/O priority, per thread as a nice value is, with the same targets;
 * the host's answer for self is (IOPRIO_WHO_PROCESS, 0). */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP 2
#define IOPRIO_WHO_USER 3

static long ioprio_call(const struct sysctx *c, long nr, long prio)
{
	int which = (int)c->a[0], who = (int)c->a[1];
	if (which == IOPRIO_WHO_PROCESS) {
		if (who < 0)
			return -ESRCH;
		long r = thread_call_on(who, nr, IOPRIO_WHO_PROCESS, 0, prio, 0);
		return r == -ESRCH && nr == __NR_ioprio_set ? cred_may_sched(who) ?: -ESRCH : r;
	}
	long e = which == IOPRIO_WHO_PGRP   ? prio_target(PRIO_PGRP, who)
	         : which == IOPRIO_WHO_USER ? prio_target(PRIO_USER, who)
	                                    : -EINVAL;
	return e ?: host(nr, IOPRIO_WHO_PROCESS, 0, prio);
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

SYS(prlimit64)
{
	int res = (int)c->a[1];
	const struct rlimit64 *new = (const void *)c->a[2];
	struct rlimit64 *old = (void *)c->a[3];
	long e = process_target(c->a[0]);
	if (e < 0)
		return e;
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

/* PR_SET_PDEATHSIG is recorded only: the host's own would need prctl at
 * the libos's site. Linux clears it in a fork child; keyed by the pid that
 * set it, it is gone in the child without the fork path knowing. */
static struct {
	int pid, sig;
} pdeathsig;

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
	case PR_SET_PDEATHSIG:
		if ((unsigned long)c->a[1] > NSIG_APP)
			return -EINVAL;
		pdeathsig.pid = proc.pid;
		pdeathsig.sig = (int)c->a[1];
		return 0;
	case PR_GET_PDEATHSIG:
		*(int *)c->a[1] = pdeathsig.pid == proc.pid ? pdeathsig.sig : 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER:
		*(int *)c->a[1] = 0;
		return 0;
	case PR_SET_NAME:
		strlcpy(c->t->comm, (const char *)c->a[1], sizeof(c->t->comm));
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
