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

/* The one translation of a sandbox pid for the scheduling and priority
 * calls, which act on one thread: the host pid to act on, which the seccomp
 * filter allows only as 0 (the calling thread). 0 and the caller's own tid
 * name it; another thread of the picoprocess, or another process, is
 * -ESRCH for now: that thread would have to make the call itself, and
 * sandbox pids of other processes come with nsd (sys/process.c), whose
 * picoprocess would have to make it. */
static long host_target(const struct sysctx *c, long pid)
{
	return pid == 0 || pid == c->t->tid ? 0 : -ESRCH;
}

/* A change of another process's scheduling: Linux's permission answers
 * (EPERM) where it would refuse; a permitted one is not reached (ESRCH). */
static long sched_change_target(const struct sysctx *c, long pid)
{
	return host_target(c, pid) == 0 ? 0 : (int)pid == pid ? cred_may_sched((int)pid) ?: -ESRCH : -ESRCH;
}

/* Limits are the process's: any of its threads names it. Another
 * process's: as above, with Linux's permission for limits. */
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
SYS(sched_getaffinity) { return host_target(c, c->a[0]) ?: host(__NR_sched_getaffinity, 0, c->a[1], c->a[2]); }
SYS(sched_setaffinity) { return sched_change_target(c, c->a[0]) ?: host(__NR_sched_setaffinity, 0, c->a[1], c->a[2]); }
SYS(sched_getparam) { return host_target(c, c->a[0]) ?: host(__NR_sched_getparam, 0, c->a[1]); }
SYS(sched_getscheduler) { return host_target(c, c->a[0]) ?: host(__NR_sched_getscheduler, 0); }
SYS(sched_get_priority_max) { return host(__NR_sched_get_priority_max, c->a[0]); }
SYS(sched_get_priority_min) { return host(__NR_sched_get_priority_min, c->a[0]); }

/* getpriority/setpriority act on the caller only, whatever `which` says:
 * the host's process group and user hold processes outside the sandbox
 * (the launching shell, every process of the host uid). The caller's own
 * group and uid name the caller; their other members are not reached
 * until nsd lists the sandbox's groups. */
static long prio_target(const struct sysctx *c, long which, long who)
{
	switch (which) {
	case PRIO_PROCESS:
		return host_target(c, who);
	case PRIO_PGRP:
		return who == 0 || who == proc.pgid ? 0 : -ESRCH;
	case PRIO_USER:
		return who == 0 || (uint32_t)who == cred.ruid ? 0 : -ESRCH;
	default:
		return -EINVAL;
	}
}

SYS(getpriority) { return prio_target(c, c->a[0], c->a[1]) ?: host(__NR_getpriority, PRIO_PROCESS, 0); }
SYS(setpriority)
{
	long e = c->a[0] == PRIO_PROCESS ? sched_change_target(c, c->a[1]) : prio_target(c, c->a[0], c->a[1]);
	return e ?: host(__NR_setpriority, PRIO_PROCESS, 0, c->a[2]);
}
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
	return host(__NR_prlimit64, 0, res, new, old);
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
		return 1;
	case PR_SET_DUMPABLE:
		return (unsigned long)c->a[1] > 1 ? -EINVAL : 0;
	case PR_GET_NO_NEW_PRIVS:
		return 1;
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
