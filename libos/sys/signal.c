/* Signal syscalls: all app signal state is virtual (see signal.c). */
#include <asm/errno.h>
#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <linux/fcntl.h>
#include <linux/time_types.h>
#include "fdrecord.h"
#include "arena.h"
#include "identity.h"
#include "nsd.h"
#include "process.h"
#include "rpc.h"
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

static void discard_in_thread(struct thread *t, void *sig)
{
	sigq_discard(&t->sigq, *(int *)sig);
}

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
		/* An action that ignores the signal discards what is pending, in
		 * every thread, as on Linux. */
		if (sig_action_ignores(s, sig)) {
			sigq_discard(&proc.sigq, sig);
			thread_foreach(discard_in_thread, &sig);
		}
		if (sig == SIGCHLD)
			sig_child_action_changed(s);
		if ((sig == SIGTTIN || sig == SIGTTOU) && (prev.handler == 1) != (s->handler == 1))
			sig_tty_stop_ignored(sig, s->handler == 1);
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
		sig_sync_tty_stops(c->t, c->uc);
	}
	if (oldset)
		*oldset = old;
	return 0;
}

/* Restores the registers, FPU state, mask and alternate stack from the
 * app's frame at %rsp. */
static bool restore_frame(void *arg)
{
	struct sysctx *c = arg;
	struct sigcontext *r = &c->uc->uc_mcontext;
	struct ucontext *app = (struct ucontext *)r->rsp;
	struct sigcontext *s = &app->uc_mcontext;
	struct _fpstate *hostfp = r->fpstate;
	r->r8 = s->r8; r->r9 = s->r9; r->r10 = s->r10; r->r11 = s->r11;
	r->r12 = s->r12; r->r13 = s->r13; r->r14 = s->r14; r->r15 = s->r15;
	r->rdi = s->rdi; r->rsi = s->rsi; r->rbp = s->rbp; r->rbx = s->rbx;
	r->rdx = s->rdx; r->rax = s->rax; r->rcx = s->rcx; r->rsp = s->rsp;
	r->rip = s->rip;
	/* Only the flags user code may change (as the kernel's FIX_EFLAGS). */
	r->eflags = (r->eflags & ~0x50dd5UL) | (s->eflags & 0x50dd5UL);
	if (hostfp && s->fpstate)
		memcpy(hostfp, s->fpstate, sig_fpstate_size(hostfp));
	c->t->sigmask = app->uc_sigmask & ~UNBLOCKABLE;
	if (!(app->uc_stack.ss_flags & SS_DISABLE) && app->uc_stack.ss_size) {
		c->t->app_altstack = app->uc_stack;
		c->t->app_altstack.ss_flags &= ~SS_ONSTACK;
	}
	return true;
}

/* The app's restorer ran `ret` from its frame's pretcode: %rsp is at uc. A
 * frame that cannot be read is Linux's badframe: SIGSEGV. */
SYS(rt_sigreturn)
{
	struct sigcontext *r = &c->uc->uc_mcontext;
	if (range_is_libos(r->rsp, sizeof(struct ucontext)))
		process_kill_self(SIGSEGV);
	if (!sig_guarded(c->t, restore_frame, c)) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGSEGV;
		si.si_code = SI_KERNEL;
		sig_deliver_fault(c->t, c->uc, SIGSEGV, &si);
	}
	sig_sync_tty_stops(c->t, c->uc);
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
	if (c->a[3] != sizeof(uint64_t))
		return -EINVAL;
	uint64_t set = *(const uint64_t *)c->a[0] & ~UNBLOCKABLE;
	siginfo_t *uinfo = (void *)c->a[1];
	const struct __kernel_timespec *ts = (const void *)c->a[2];
	/* Checked before anything is taken, as Linux does. */
	if (ts && (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
		return -EINVAL;
	/* Published before the first check: a sender that queues after it
	 * kicks this thread (signal.c's takes_signal). */
	__atomic_store_n(&c->t->sigwait_set, set, __ATOMIC_RELEASE);
	long r;
	for (;;) {
		siginfo_t info;
		int sig = sig_dequeue(c->t, set, &info);
		if (sig) {
			__atomic_store_n(&c->t->sigwait_set, 0, __ATOMIC_RELEASE);
			if (uinfo)
				*uinfo = info;
			return sig;
		}
		r = -EINTR;
		if (sig_pending_deliverable(c->t))
			break;
		r = sig_wait_interruptible(c->t, set | ~c->t->sigmask, ts);
		if (r == 0)
			r = -EAGAIN;
		if (r < 0 && r != -EINTR)
			break;
	}
	__atomic_store_n(&c->t->sigwait_set, 0, __ATOMIC_RELEASE);
	return r;
}

/* Another picoprocess, by its host pid: marked for its libos (signal.c
 * says what the marker is trusted for). uinfo: the app's own info
 * (rt_sigqueueinfo), else the kernel's for code with our sandbox ids. */
static long send_marked(int host_pid, int sig, int code, int tid, const siginfo_t *uinfo)
{
	siginfo_t si;
	if (uinfo) {
		si = *uinfo;
	} else {
		memset(&si, 0, sizeof(si));
		si.si_pid = proc.pid;
		si.si_uid = cred.ruid;
	}
	si.si_signo = sig;
	si.si_errno = code;
	si.si_code = SI_GRAPHENE;
	SIG_TARGET_TID(&si) = tid;
	return host(__NR_rt_sigqueueinfo, host_pid, sig, &si);
}

/* Linux's init cannot be killed or stopped from inside its namespace. */
static bool init_unkillable(int pid, int sig)
{
	return pid == 1 && (sig == SIGKILL || sig == SIGSTOP);
}

/* Through p's RPC stream: the host cannot carry it (another launch's
 * Landlock domain refuses our signals, another host has other pids). */
static long send_rpc(const Nsd__Proc *p, int sig, int code, int tid, const siginfo_t *uinfo)
{
	return init_unkillable((int)p->pid, sig) ? 0 : rpc_signal(p, sig, code, tid, uinfo);
}

static long send_rpc_pid(int pid, int sig, int code, int tid, const siginfo_t *uinfo)
{
	Nsd__Frame *rep = nsd_lookup(pid);
	if (!rep)
		return -ESRCH;
	long r = nsd_is_gone(rep->proc) ? -ESRCH : send_rpc(rep->proc, sig, code, tid, uinfo);
	nsd_free(rep);
	return r;
}

static long send_other(int pid, int sig, int code, int tid, const siginfo_t *uinfo);

/* kill(tid), rt_sigqueueinfo(tid) of another process's thread but its
 * main one: no process has the number, and the process that has the
 * thread gets a signal for the whole process, as on Linux. */
static long send_thread_process(int tid, int sig, int code, const siginfo_t *uinfo)
{
	Nsd__Frame *rep = rpc_thread_process(tid);
	if (!rep)
		return -ESRCH;
	int pid = (int)rep->proc->pid;
	nsd_free(rep);
	return send_other(pid, sig, code, 0, uinfo);
}

/* One other picoprocess by sandbox pid (tid: one of its threads, for
 * tgkill). A cached host pid that the host no longer knows is forgotten
 * and looked up once more. */
static long send_other(int pid, int sig, int code, int tid, const siginfo_t *uinfo)
{
	/* A tid of ours is no thread of another process (Linux's ESRCH). */
	if (tid && thread_by_tid(tid))
		return -ESRCH;
	for (int tries = 0; tries < 2; tries++) {
		int h = pid_to_host(pid);
		if (h == -EREMOTE)
			return send_rpc_pid(pid, sig, code, tid, uinfo);
		if (h == -ESRCH && !tid && !tries)
			return send_thread_process(pid, sig, code, uinfo);
		if (h < 0)
			return h;
		/* A thread other than its main one: only the process knows whether
		 * it has it, and a host signal cannot bring back its ESRCH (the
		 * receiver drops it), so it is asked through its stream, which
		 * checks the thread, then the credentials. */
		if (tid && tid != pid)
			return send_rpc_pid(pid, sig, code, tid, uinfo);
		long r = cred_may_signal(pid, sig);
		if (r)
			return r; /* refused by the credentials: not through the stream either */
		r = init_unkillable(pid, sig) ? 0 : sig ? send_marked(h, sig, code, tid, uinfo) : host(__NR_kill, h, 0);
		if (r == -EPERM)
			return send_rpc_pid(pid, sig, code, tid, uinfo);
		if (r != -ESRCH)
			return r;
		pid_map_forget(pid);
	}
	return -ESRCH;
}

/* kill(0), kill(-pgid), kill(-1): one send per member from nsd's list,
 * never a host group (or the host's -1), ourselves last. Linux succeeds if
 * any member got it. A member the host cannot reach gets it through its
 * RPC stream. */
static long send_to_members(int pgid, int sig)
{
	Nsd__Frame *rep = nsd_members(pgid, 0);
	if (!rep)
		return -ESRCH;
	long r = -ESRCH;
	bool self = false;
	for (size_t i = 0; i < rep->proc_list->n_procs; i++) {
		const Nsd__Proc *p = rep->proc_list->procs[i];
		int pid = (int)p->pid;
		if (!pgid && pid == 1)
			continue; /* kill(-1) spares init, and the caller below */
		if (pid == proc.pid) {
			self = pgid != 0;
			continue;
		}
		/* Refused by the credentials: not tried through the stream either. */
		long e = cred_may_signal(pid, sig);
		if (!e) {
			e = !nsd_is_local(p) ? -EPERM : init_unkillable(pid, sig) ? 0
			    : sig ? send_marked(p->host_pid, sig, SI_USER, 0, NULL) : host(__NR_kill, p->host_pid, 0);
			if (e == -EPERM)
				e = send_rpc(p, sig, SI_USER, 0, NULL);
		}
		if (e == 0 || r != 0)
			r = e;
	}
	nsd_free(rep);
	if (self) {
		r = 0;
		if (sig)
			sig_send(sig, NULL, NULL);
	}
	return r;
}

static long send_to_process(int pid, int sig)
{
	if (sig < 0 || sig > NSIG_APP)
		return -EINVAL;
	/* Any of our tids names our process, as on Linux. */
	if (pid == proc.pid || (pid > 0 && thread_by_tid(pid)))
		return sig ? sig_send(sig, NULL, NULL) : 0;
	if (pid > 0)
		return send_other(pid, sig, SI_USER, 0, NULL);
	if (pid == INT32_MIN)
		return -ESRCH;
	return send_to_members(pid == 0 ? proc.pgid : pid == -1 ? 0 : -pid, sig);
}

SYS(kill)
{
	return send_to_process((int)c->a[0], (int)c->a[1]);
}

struct tkill_req {
	int sig, tid;
};

/* Through p's stream, which refuses a tid not its own (ESRCH). Init's
 * thread is only asked whether it has the tid when it would not take sig. */
static long tkill_owner(const Nsd__Proc *p, void *arg)
{
	const struct tkill_req *q = arg;
	bool probe = init_unkillable((int)p->pid, q->sig);
	return rpc_signal(p, probe ? 0 : q->sig, SI_TKILL, q->tid, NULL);
}

static long send_to_thread(int tgid, int tid, int sig)
{
	if (tid <= 0 || sig < 0 || sig > NSIG_APP)
		return -EINVAL;
	if (tgid != -1 && tgid != proc.pid)
		return tgid <= 0 ? -EINVAL : send_other(tgid, sig, SI_TKILL, tid, NULL);
	struct thread *t = thread_by_tid(tid);
	if (!t) {
		if (tgid != -1)
			return -ESRCH;
		/* tkill of another process's thread: its main thread's tid is
		 * its pid, which nsd knows; another is found by asking. */
		long r = send_other(tid, sig, SI_TKILL, tid, NULL);
		if (r == -ESRCH) {
			struct tkill_req q = { sig, tid };
			r = rpc_on_thread_owner(tid, tkill_owner, &q);
		}
		return r;
	}
	if (!sig)
		return 0;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_TKILL;
	si.si_pid = proc.pid;
	si.si_uid = cred.ruid;
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

/* self_id: the pid (rt_sigqueueinfo) or tid (rt_tgsigqueueinfo) named,
 * which Linux compares with the caller's tid. */
static long queue_info(const struct sysctx *c, int tgid, int tid, int self_id, int sig,
                       const siginfo_t *uinfo)
{
	siginfo_t si = *uinfo;
	/* Like Linux: a process may not forge kernel-made info, nor a kill's or
	 * tgkill's, for anyone but its calling thread. */
	if ((si.si_code >= 0 || si.si_code == SI_TKILL) && self_id != c->t->tid)
		return -EPERM;
	if (sig < 0 || sig > NSIG_APP)
		return -EINVAL;
	si.si_signo = sig;
	/* rt_sigqueueinfo's pid may be any of our tids (a thread's names its
	 * process); rt_tgsigqueueinfo's tgid only our pid. */
	if (tgid != proc.pid && !(tgid > 0 && !tid && thread_by_tid(tgid))) {
		if (tgid <= 0)
			return -ESRCH;
		return send_other(tgid, sig, si.si_code, tid, &si);
	}
	if (tid) {
		struct thread *t = thread_by_tid(tid);
		return !t ? -ESRCH : sig ? sig_send(sig, t, &si) : 0;
	}
	return sig ? sig_send(sig, NULL, &si) : 0;
}

SYS(rt_sigqueueinfo)
{
	return queue_info(c, (int)c->a[0], 0, (int)c->a[0], (int)c->a[1], (const void *)c->a[2]);
}

SYS(rt_tgsigqueueinfo)
{
	/* only valid for one thread, as on Linux */
	if ((int)c->a[0] <= 0 || (int)c->a[1] <= 0)
		return -EINVAL;
	return queue_info(c, (int)c->a[0], (int)c->a[1], (int)c->a[1], (int)c->a[2],
	                  (const void *)c->a[3]);
}

/* ---- pidfds ---------------------------------------------------------------
 * A pidfd is the host's pidfd of the target's host process (or thread), an
 * app fd like any other: poll says readable when the process (the thread)
 * exits and waitid(P_PIDFD) is the host's on it, both as on Linux. What the
 * app gives and gets is in sandbox pids. */
#define PIDFD_NONBLOCK O_NONBLOCK
#define PIDFD_THREAD O_EXCL

/* Thread pidfds that we opened: the host's pidfd names only the host tid,
 * and which sandbox thread that is only its process knows (ours: until a
 * fork child has the pidfd). A few, overwritten in turn (under proc.lock,
 * which fork takes). */
static struct thread_pidfd {
	int host_tid, pid, tid;
} thread_pidfds[32];
static unsigned thread_pidfds_next;

struct host_tid_req {
	int tid, pid, host_tid;
};

/* Asks p for its threads' host tids (ProcRead "task-host": "TID HOST_TID"
 * lines) and finds q->tid there. */
static long host_tid_of(const Nsd__Proc *p, void *arg)
{
	struct host_tid_req *q = arg;
	char *text = NULL;
	size_t len = 0;
	int r = rpc_proc_read(p, "task-host", &text, &len);
	if (r < 0)
		return r == -EACCES || r == -EPERM ? -ESRCH : r;
	long v = -ESRCH;
	for (char *line = text; line && *line && v == -ESRCH;) {
		char *nl = strchr(line, '\n'), *sp = strchr(line, ' ');
		if (nl)
			*nl = 0;
		uint64_t tid, h;
		if (sp && (*sp = 0, parse_u64(line, &tid)) && parse_u64(sp + 1, &h) && (int)tid == q->tid) {
			q->pid = (int)p->pid;
			q->host_tid = (int)h;
			v = 0;
		}
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return v;
}

SYS(pidfd_open)
{
	int pid = (int)c->a[0];
	unsigned int flags = (unsigned int)c->a[1];
	if (pid <= 0 || (flags & ~(unsigned int)(PIDFD_NONBLOCK | PIDFD_THREAD)))
		return -EINVAL;
	bool thread = flags & PIDFD_THREAD;
	struct thread *t = thread_by_tid(pid);
	struct host_tid_req q = { pid, 0, 0 };
	int h;
	if (t && thread) {
		h = t->host_tid;
		q.pid = proc.pid; /* remembered too, for a fork child that inherits the pidfd */
	} else if (t && pid != proc.pid)
		h = -ENOENT; /* a thread but the leader, without PIDFD_THREAD (Linux 6.9) */
	else
		h = pid_to_host(pid); /* a process, or its main thread */
	/* Another process's thread but its main one: found by asking the
	 * process whose lease its tid is of; without PIDFD_THREAD, Linux's
	 * ENOENT (a thread but the leader). */
	if (h == -ESRCH && rpc_on_thread_owner(pid, host_tid_of, &q) == 0)
		h = thread ? q.host_tid : -ENOENT;
	if (h < 0)
		return h == -ENOENT ? h : -ESRCH; /* EREMOTE too: another host's process has no host pidfd here */
	long fd = fd_install(host(__NR_pidfd_open, h, flags), FD_OTHER, NULL, NULL);
	if (fd >= 0 && q.pid) {
		lock(&proc.lock);
		thread_pidfds[thread_pidfds_next++ % ARRAY_SIZE(thread_pidfds)] = (struct thread_pidfd){ h, q.pid, pid };
		unlock(&proc.lock);
	}
	return fd;
}

struct by_host_tid {
	int host_tid, tid;
};

static void match_host_tid(struct thread *t, void *arg)
{
	struct by_host_tid *b = arg;
	if (t->host_tid == b->host_tid)
		b->tid = t->tid;
}

/* The value of fdinfo text's line that starts with name, or NULL. */
static char *fdinfo_field(char *text, const char *name)
{
	char *line = text;
	while (line && !str_starts_with(line, name))
		line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
	return line ? line + strlen(name) : NULL;
}

/* The sandbox pid of the process app fd fd refers to, and in *tid the
 * thread of a PIDFD_THREAD pidfd (else 0): -EBADF when it is no pidfd,
 * -ESRCH once that process (thread) is gone. The host's fdinfo names it. */
static int pidfd_target(int fd, int *tid)
{
	char buf[512];
	*tid = 0;
	if (!fd_app_valid(fd))
		return -EBADF;
	long n = host_fd_readlink(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	if (strcmp(buf, "anon_inode:[pidfd]"))
		return -EBADF;
	snprintf(buf, sizeof(buf), "/proc/self/fdinfo/%d", fd);
	long f = host(__NR_openat, AT_FDCWD, buf, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return (int)f;
	n = host_read((int)f, buf, sizeof(buf) - 1);
	host_close((int)f);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	/* "flags:\t0NNN" (octal): PIDFD_THREAD's O_EXCL is kept there */
	const char *fl = fdinfo_field(buf, "flags:\t");
	uint64_t flags = 0;
	for (; fl && *fl >= '0' && *fl <= '7'; fl++)
		flags = flags * 8 + (uint64_t)(*fl - '0');
	char *line = fdinfo_field(buf, "Pid:\t");
	char *end = line ? strchr(line, '\n') : NULL;
	if (end)
		*end = 0;
	uint64_t h;
	if (!line || !parse_u64(line, &h)) /* -1: reaped (a thread: exited) */
		return -ESRCH;
	if (flags & PIDFD_THREAD) {
		struct by_host_tid b = { (int)h, 0 };
		thread_foreach(match_host_tid, &b);
		if (b.tid) {
			*tid = b.tid;
			return proc.pid;
		}
		int pid = 0;
		lock(&proc.lock);
		for (size_t i = 0; i < ARRAY_SIZE(thread_pidfds); i++)
			if (thread_pidfds[i].host_tid == (int)h) {
				pid = thread_pidfds[i].pid;
				*tid = thread_pidfds[i].tid;
			}
		unlock(&proc.lock);
		if (pid)
			return pid;
		/* else a process's main thread, or a thread pidfd made by another
		 * process (not known here: ESRCH, not a process to look for) */
	}
	int pid = (int)h == proc.host_pid ? proc.pid : pid_from_host((int)h);
	if (!pid && !(flags & PIDFD_THREAD))
		pid = pid_from_host_lookup((int)h);
	if (pid && (flags & PIDFD_THREAD))
		*tid = pid;
	return pid ? pid : -ESRCH;
}

/* Linux 6.9: PIDFD_SIGNAL_THREAD (the default of a thread pidfd),
 * PIDFD_SIGNAL_THREAD_GROUP (of a process pidfd), PIDFD_SIGNAL_PROCESS_GROUP
 * (the group the process leads; with a siginfo not built: EINVAL). */
#define PIDFD_SIGNAL_THREAD 1
#define PIDFD_SIGNAL_THREAD_GROUP 2
#define PIDFD_SIGNAL_PROCESS_GROUP 4

SYS(pidfd_send_signal)
{
	int sig = (int)c->a[1];
	const siginfo_t *uinfo = (const void *)c->a[2];
	unsigned long flags = c->a[3];
	if ((flags & ~(unsigned long)(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP)) ||
	    (flags & (flags - 1)))
		return -EINVAL;
	int tid;
	int pid = pidfd_target((int)c->a[0], &tid);
	if (pid < 0)
		return pid;
	if (flags == PIDFD_SIGNAL_PROCESS_GROUP) {
		if ((uinfo && sig) || sig < 0 || sig > NSIG_APP)
			return -EINVAL;
		/* a thread's pid leads no group (and pid 1's is no kill(-1)) */
		return tid && tid != pid ? -ESRCH : send_to_members(pid, sig);
	}
	/* A process pidfd's thread is its leader, the pid. */
	if (flags)
		tid = flags == PIDFD_SIGNAL_THREAD ? (tid ? tid : pid) : 0;
	if (uinfo && sig && uinfo->si_signo != sig)
		return -EINVAL;
	if (uinfo && sig)
		return queue_info(c, pid, tid, tid ? tid : pid, sig, uinfo);
	return tid ? send_to_thread(pid, tid, sig) : send_to_process(pid, sig);
}
