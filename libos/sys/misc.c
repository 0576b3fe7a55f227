/* Identity, limits, scheduling and other small syscalls. */
#include <asm/errno.h>
#include <asm/prctl.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/utsname.h>
#include "config.h"
#include "fdrecord.h"
#include "host/host.h"
#include "process.h"
#include "syscall.h"

SYS(getuid) { return proc.uid; }
SYS(geteuid) { return proc.uid; }
SYS(getgid) { return proc.gid; }
SYS(getegid) { return proc.gid; }
static bool is_self(long pid) { return pid == 0 || pid == proc.pid; }

SYS(getgroups)
{
	if (c->a[0] == 0)
		return 1;
	((uint32_t *)c->a[1])[0] = proc.gid;
	return 1;
}

static long set_id(long id, uint32_t cur)
{
	return (uint32_t)id == (uint32_t)-1 || (uint32_t)id == cur ? 0 : -EPERM;
}

SYS(setuid) { return set_id(c->a[0], proc.uid); }
SYS(setgid) { return set_id(c->a[0], proc.gid); }
SYS(setreuid) { return set_id(c->a[0], proc.uid) ?: set_id(c->a[1], proc.uid); }
SYS(setregid) { return set_id(c->a[0], proc.gid) ?: set_id(c->a[1], proc.gid); }
SYS(setresuid) { return set_id(c->a[0], proc.uid) ?: set_id(c->a[1], proc.uid) ?: set_id(c->a[2], proc.uid); }
SYS(setresgid) { return set_id(c->a[0], proc.gid) ?: set_id(c->a[1], proc.gid) ?: set_id(c->a[2], proc.gid); }

SYS(getresuid)
{
	*(uint32_t *)c->a[0] = *(uint32_t *)c->a[1] = *(uint32_t *)c->a[2] = proc.uid;
	return 0;
}

SYS(getresgid)
{
	*(uint32_t *)c->a[0] = *(uint32_t *)c->a[1] = *(uint32_t *)c->a[2] = proc.gid;
	return 0;
}

SYS(uname)
{
	struct new_utsname *u = (void *)c->a[0];
	long r = host(__NR_uname, u);
	if (r == 0)
		strlcpy(u->nodename, "graphene", sizeof(u->nodename));
	return r;
}

SYS(sysinfo) { return host(__NR_sysinfo, c->a[0]); }
SYS(getrandom) { return host(__NR_getrandom, c->a[0], c->a[1], c->a[2]); }
SYS(getrusage) { return host(__NR_getrusage, c->a[0], c->a[1]); }
SYS(times) { return host(__NR_times, c->a[0]); }
SYS(sched_yield) { return host(__NR_sched_yield); }
SYS(getcpu) { return host(__NR_getcpu, c->a[0], c->a[1], c->a[2]); }
SYS(sched_getaffinity) { return is_self(c->a[0]) ? host(__NR_sched_getaffinity, 0, c->a[1], c->a[2]) : -ESRCH; }
SYS(sched_setaffinity) { return is_self(c->a[0]) ? host(__NR_sched_setaffinity, 0, c->a[1], c->a[2]) : -ESRCH; }
SYS(sched_getparam) { return is_self(c->a[0]) ? host(__NR_sched_getparam, 0, c->a[1]) : -ESRCH; }
SYS(sched_getscheduler) { return is_self(c->a[0]) ? host(__NR_sched_getscheduler, 0) : -ESRCH; }
SYS(sched_get_priority_max) { return host(__NR_sched_get_priority_max, c->a[0]); }
SYS(sched_get_priority_min) { return host(__NR_sched_get_priority_min, c->a[0]); }
SYS(getpriority) { return host(__NR_getpriority, c->a[0], 0); }
SYS(setpriority) { return host(__NR_setpriority, c->a[0], 0, c->a[2]); }
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

SYS(prlimit64)
{
	int res = (int)c->a[1];
	const struct rlimit64 *new = (const void *)c->a[2];
	struct rlimit64 *old = (void *)c->a[3];
	if (!is_self(c->a[0]))
		return -ESRCH;
	if (res == RLIMIT_NOFILE) {
		uint64_t soft, hard;
		fd_limits(&soft, &hard);
		if (new && (new->rlim_cur > new->rlim_max || new->rlim_max > hard))
			return -EPERM;
		if (old) {
			old->rlim_cur = soft;
			old->rlim_max = hard;
		}
		return new ? fd_set_limits(new->rlim_cur, new->rlim_max) : 0;
	}
	if (res == RLIMIT_STACK && !new && old) {
		long r = host(__NR_prlimit64, 0, res, NULL, old);
		if (r == 0)
			old->rlim_cur = config.stack_size;
		return r;
	}
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

SYS(prctl)
{
	switch (c->a[0]) {
	case PR_SET_NAME:
		strlcpy(c->t->comm, (const char *)c->a[1], sizeof(c->t->comm));
		return 0;
	case PR_GET_NAME:
		strlcpy((char *)c->a[1], c->t->comm, sizeof(c->t->comm));
		return 0;
	case PR_GET_DUMPABLE:
		return 1;
	case PR_SET_DUMPABLE:
	case PR_SET_PDEATHSIG:
		return 0;
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
