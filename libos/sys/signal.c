/* Signal syscalls: all app signal state is virtual (see signal.c). */
#include <asm/errno.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <linux/fcntl.h>
#include <linux/time_types.h>
#include "fdtable.h"
#include "arena.h"
#include "process.h"
#include "signal.h"
#include "syscall.h"

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_FLAG_BITS (1U << 31) /* SS_AUTODISARM */
#define MINSIGSTKSZ_APP 2048
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

struct kernel_sigaction {
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

SYS(rt_sigaction)
{
	int sig = (int)c->a[0];
	const struct kernel_sigaction *uact = (const void *)c->a[1];
	struct kernel_sigaction *old = (void *)c->a[2];
	if (c->a[3] != sizeof(uint64_t))
		return -EINVAL;
	if (sig < 1 || sig > NSIG_APP || (uact && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	/* App memory is read before the lock: a bad pointer faults to -EFAULT
	 * (entry.c), which must not leave the lock held. */
	struct kernel_sigaction act;
	if (uact)
		act = *uact;
	lock(&proc.lock);
	struct app_sigaction *s = &proc.sigactions[sig];
	struct kernel_sigaction prev = { s->handler, s->flags, s->restorer, s->mask };
	if (uact) {
		s->handler = act.handler;
		s->flags = act.flags;
		s->restorer = act.restorer;
		s->mask = act.mask & ~UNBLOCKABLE;
		/* Setting SIG_IGN discards what is pending, as on Linux. */
		if (s->handler == 1) {
			sigq_discard(&proc.sigq, sig);
			sigq_discard(&c->t->sigq, sig);
		}
		if (sig == SIGCHLD)
			sig_child_action_changed(s);
	}
	unlock(&proc.lock);
	if (old)
		*old = prev;
	return 0;
}

SYS(rt_sigprocmask)
{
	int how = (int)c->a[0];
	const uint64_t *set = (const void *)c->a[1];
	uint64_t *oldset = (void *)c->a[2];
	if (c->a[3] != sizeof(uint64_t))
		return -EINVAL;
	uint64_t old = c->t->sigmask;
	if (set) {
		switch (how) {
		case SIG_BLOCK: c->t->sigmask |= *set; break;
		case SIG_UNBLOCK: c->t->sigmask &= ~*set; break;
		case SIG_SETMASK: c->t->sigmask = *set; break;
		default: return -EINVAL;
		}
		c->t->sigmask &= ~UNBLOCKABLE;
	}
	if (oldset)
		*oldset = old;
	return 0;
}

/* The app's restorer ran `ret` from its frame's pretcode: %rsp is at uc. */
SYS(rt_sigreturn)
{
	struct sigcontext *r = &c->uc->uc_mcontext;
	struct ucontext *app = (struct ucontext *)r->rsp;
	if (range_is_libos((uintptr_t)app, sizeof(*app)))
		process_kill_self(SIGSEGV);
	struct sigcontext *s = &app->uc_mcontext;
	struct _fpstate *hostfp = r->fpstate;
	r->r8 = s->r8; r->r9 = s->r9; r->r10 = s->r10; r->r11 = s->r11;
	r->r12 = s->r12; r->r13 = s->r13; r->r14 = s->r14; r->r15 = s->r15;
	r->rdi = s->rdi; r->rsi = s->rsi; r->rbp = s->rbp; r->rbx = s->rbx;
	r->rdx = s->rdx; r->rax = s->rax; r->rcx = s->rcx; r->rsp = s->rsp;
	r->rip = s->rip;
	/* Only the flags user code may change (as the kernel's FIX_EFLAGS). */
	r->eflags = (r->eflags & ~0x50dd5UL) | (s->eflags & 0x50dd5UL);
	if (hostfp && s->fpstate) {
		const struct _fpx_sw_bytes *sw = &hostfp->sw_reserved;
		size_t n = sw->magic1 == FP_XSTATE_MAGIC1 ? sw->extended_size : sizeof(*hostfp);
		memcpy(hostfp, s->fpstate, n);
	}
	c->t->sigmask = app->uc_sigmask & ~UNBLOCKABLE;
	if (!(app->uc_stack.ss_flags & SS_DISABLE) && app->uc_stack.ss_size) {
		c->t->app_altstack = app->uc_stack;
		c->t->app_altstack.ss_flags &= ~SS_ONSTACK;
	}
	return (long)r->rax;
}

SYS(sigaltstack)
{
	const stack_t *ss = (const void *)c->a[0];
	stack_t *old = (void *)c->a[1];
	struct thread *t = c->t;
	uintptr_t sp = c->uc->uc_mcontext.rsp;
	bool on = t->app_altstack.ss_size && sp > (uintptr_t)t->app_altstack.ss_sp &&
	          sp <= (uintptr_t)t->app_altstack.ss_sp + t->app_altstack.ss_size;
	stack_t prev = t->app_altstack;
	if (!prev.ss_size)
		prev.ss_flags = SS_DISABLE;
	else if (on)
		prev.ss_flags |= SS_ONSTACK;
	if (ss) {
		if (on)
			return -EPERM;
		if (ss->ss_flags & ~(SS_DISABLE | SS_ONSTACK | SS_FLAG_BITS))
			return -EINVAL;
		if (ss->ss_flags & SS_DISABLE) {
			memset(&t->app_altstack, 0, sizeof(t->app_altstack));
		} else {
			if (ss->ss_size < MINSIGSTKSZ_APP)
				return -ENOMEM;
			t->app_altstack = *ss;
			t->app_altstack.ss_flags &= SS_FLAG_BITS;
		}
	}
	if (old)
		*old = prev;
	return 0;
}

SYS(rt_sigpending)
{
	uint64_t *set = (void *)c->a[0];
	if ((unsigned long)c->a[1] > sizeof(uint64_t))
		return -EINVAL;
	*set = (sigq_bits(&c->t->sigq) | sigq_bits(&proc.sigq)) & c->t->sigmask;
	return 0;
}

static long suspend_until_signal(struct thread *t)
{
	while (!sig_pending_deliverable(t))
		sig_wait_interruptible(t, ~t->sigmask, NULL);
	return -EINTR;
}

SYS(rt_sigsuspend)
{
	if (c->a[1] != sizeof(uint64_t))
		return -EINVAL;
	sig_set_wait_mask(c->t, *(const uint64_t *)c->a[0]);
	return suspend_until_signal(c->t);
}

SYS(pause)
{
	return suspend_until_signal(c->t);
}

SYS(rt_sigtimedwait)
{
	uint64_t set = *(const uint64_t *)c->a[0] & ~UNBLOCKABLE;
	siginfo_t *uinfo = (void *)c->a[1];
	const struct __kernel_timespec *ts = (const void *)c->a[2];
	if (c->a[3] != sizeof(uint64_t))
		return -EINVAL;
	for (;;) {
		siginfo_t info;
		int sig = sig_dequeue(c->t, set, &info);
		if (sig) {
			if (uinfo)
				*uinfo = info;
			return sig;
		}
		if (sig_pending_deliverable(c->t))
			return -EINTR;
		long r = sig_wait_interruptible(c->t, set | ~c->t->sigmask, ts);
		if (r == 0)
			return -EAGAIN;
		if (r < 0 && r != -EINTR)
			return r;
	}
}

struct group_kill {
	int pgid; /* 0: every process of the session */
	int sid, sig;
	int sent, refused;
};

/* The decimal int at *s, and *s past it and one separator. */
static bool next_int(char **s, int *v)
{
	char *p = *s;
	bool neg = *p == '-';
	p += neg;
	if (*p < '0' || *p > '9')
		return false;
	long x = 0;
	while (*p >= '0' && *p <= '9' && x < 1L << 32)
		x = x * 10 + (*p++ - '0');
	*v = (int)(neg ? -x : x);
	*s = *p ? p + 1 : p;
	return true;
}

/* One host process of /proc: signalled when it is in the group. */
static int kill_member(uint64_t pid, void *arg)
{
	struct group_kill *g = arg;
	char path[48], buf[512];
	snprintf(path, sizeof(path), "/proc/%lu/stat", (unsigned long)pid);
	long fd = host(__NR_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	long n = host(__NR_read, fd, buf, sizeof(buf) - 1);
	host_close((int)fd);
	buf[n > 0 ? n : 0] = 0;
	/* "pid (comm) S ppid pgrp session ..." */
	char *p = strrchr(buf, ')');
	int ppid, pgrp, session;
	if (!p || strlen(p) < 4)
		return 0;
	p += 4;
	if (!next_int(&p, &ppid) || !next_int(&p, &pgrp) || !next_int(&p, &session))
		return 0;
	if ((g->pgid ? pgrp != g->pgid : session != g->sid || pid == (uint64_t)proc.host_pid))
		return 0;
	long r = pid == (uint64_t)proc.host_pid && g->sig ? sig_send(g->sig, NULL, NULL)
	                                                  : host(__NR_kill, (int)pid, g->sig);
	if (r == 0)
		g->sent++;
	else if (r == -EPERM)
		g->refused++;
	return 0;
}

/* kill(0), kill(-pgid), kill(-1): the libos's seccomp filter refuses group
 * kills at its site (the host's groups and "everyone" reach outside the
 * sandbox), so the members are found in the host's /proc and signalled one
 * by one, each still under Landlock's signal scope. Until nsd keeps the
 * sandbox's groups (sys/process.c), "everyone" is this host session. */
static long kill_group(int pgid, int sig)
{
	struct group_kill g = { .pgid = pgid, .sid = proc.sid, .sig = sig };
	long r = host_foreach_numbered("/proc", kill_member, &g);
	if (r < 0)
		return r;
	return g.sent ? 0 : g.refused ? -EPERM : -ESRCH;
}

static long send_to_process(int pid, int sig)
{
	if (sig < 0 || sig > NSIG_APP)
		return -EINVAL;
	if (pid == proc.pid)
		return sig ? sig_send(sig, NULL, NULL) : 0;
	if (pid == 0)
		return kill_group(proc.pgid, sig);
	if (pid == -1)
		return kill_group(0, sig);
	if (pid < 0)
		return pid == -__INT_MAX__ - 1 ? -ESRCH : kill_group(-pid, sig);
	/* Other picoprocesses: sandbox pids are host pids for now, and
	 * Landlock's signal scope keeps this inside the sandbox. */
	return host(__NR_kill, pid, sig);
}

SYS(kill)
{
	return send_to_process((int)c->a[0], (int)c->a[1]);
}

static long send_to_thread(int tgid, int tid, int sig)
{
	if (tid <= 0 || sig < 0 || sig > NSIG_APP)
		return -EINVAL;
	if (tgid != -1 && tgid != proc.pid)
		return host(__NR_tgkill, tgid, tid, sig);
	struct thread *t = thread_by_tid(tid);
	if (!t)
		return tgid == -1 ? host(__NR_tkill, tid, sig) : -ESRCH;
	if (!sig)
		return 0;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_TKILL;
	si.si_pid = proc.pid;
	si.si_uid = proc.uid;
	return sig_send(sig, t, &si);
}

SYS(tkill)
{
	return send_to_thread(-1, (int)c->a[0], (int)c->a[1]);
}

SYS(tgkill)
{
	if ((int)c->a[0] <= 0)
		return -EINVAL; /* and -1 would mean tkill to send_to_thread */
	return send_to_thread((int)c->a[0], (int)c->a[1], (int)c->a[2]);
}

static long queue_info(int tgid, int tid, int sig, const siginfo_t *uinfo)
{
	siginfo_t si = *uinfo;
	/* Like Linux: a process may not forge kernel-made info for others. */
	if (si.si_code >= 0 || si.si_code == SI_TKILL)
		return -EPERM;
	si.si_signo = sig;
	if (tid) {
		if (tgid != proc.pid)
			return -ESRCH;
		struct thread *t = thread_by_tid(tid);
		return t ? sig_send(sig, t, &si) : -ESRCH;
	}
	if (tgid != proc.pid)
		return -ESRCH;
	return sig_send(sig, NULL, &si);
}

SYS(rt_sigqueueinfo)
{
	return queue_info((int)c->a[0], 0, (int)c->a[1], (const void *)c->a[2]);
}

SYS(rt_tgsigqueueinfo)
{
	return queue_info((int)c->a[0], (int)c->a[1], (int)c->a[2], (const void *)c->a[3]);
}
