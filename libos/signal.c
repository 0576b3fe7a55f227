/* Signals are owned by the libos.
 *
 * Every catchable host signal has a libos handler running on the thread's
 * libos stack (the host sigaltstack). App handlers, masks and pending sets
 * live here. A signal is delivered to the app only at a safe point: at the
 * exit of an emulated syscall (the SIGSYS handler), or at once when the host
 * signal interrupted app code. Delivery rewrites the interrupted host
 * context so that, when the host handler returns, the app handler runs on an
 * app-visible frame laid out as the kernel would; the app's restorer then
 * traps rt_sigreturn back into the libos.
 *
 * Pending signals are kept in sigqueue.c, which host handlers may use at any
 * moment. */
#include <asm/errno.h>
#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include "arena.h"
#include "fastpath.h"
#include "host/host.h"
#include "identity.h"
#include "log.h"
#include "nsd.h"
#include "sysv.h"
#include "process.h"
#include "rpc.h"
#include "rt.h"
#include "signal.h"
#include "syscall.h"
#include "vfork.h"

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1U << 31)
#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#define X86_EFLAGS_TF 0x100
#define X86_EFLAGS_DF 0x400
/* Host signal used only to make another thread re-check its pending set. */
#define SIG_KICK 64
#define KICK_MAGIC 0x67726b /* "grk" in si_errno marks a kick */

#define SYNC_SIGNALS (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGFPE) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP))
/* Blocked while async host handlers run (they do not nest) and before the
 * last pending check of a sleep: every async signal, SIGSYS included, since
 * another process may send one (entry.c). The seccomp trap is forced
 * through a block, and the libos's own calls never trap. */
#define ASYNC_SIGNALS (~SYNC_SIGNALS)
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define DEFAULT_IGNORE (SIGBIT(SIGCHLD) | SIGBIT(SIGURG) | SIGBIT(SIGWINCH) | SIGBIT(SIGCONT))
#define DEFAULT_STOP (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static void install_host_handler(int sig, unsigned long extra_flags);

struct rt_sigframe {
	uintptr_t pretcode;
	struct ucontext uc;
	siginfo_t info;
};

void sig_set_wait_mask(struct thread *t, sigset64_t mask)
{
	t->saved_mask = t->sigmask;
	t->has_saved_mask = true;
	t->sigmask = mask & ~UNBLOCKABLE;
}

static bool is_kick(int sig, const siginfo_t *si)
{
	return sig == SIG_KICK && si->si_code == SI_QUEUE && si->si_errno == KICK_MAGIC;
}

/* One kick at a time per thread: kicks are queued (a real-time signal), and
 * a sender faster than the target's handler (one storming another with
 * pthread_kill) would otherwise queue them without bound, the target doing
 * nothing but take them. The target clears kick_sent before it checks what
 * the kick is for, so a sender that finds it set is covered by that check. */
void sig_kick(struct thread *t)
{
	if (__atomic_exchange_n(&t->kick_sent, 1, __ATOMIC_SEQ_CST))
		return;
	siginfo_t k;
	memset(&k, 0, sizeof(k));
	k.si_signo = SIG_KICK;
	k.si_code = SI_QUEUE;
	k.si_errno = KICK_MAGIC;
	/* Not sent (a thread whose host tid is not known yet, or gone): the
	 * next sender tries again. */
	if (host(__NR_rt_tgsigqueueinfo, proc.host_pid, t->host_tid, SIG_KICK, &k) < 0)
		__atomic_store_n(&t->kick_sent, 0, __ATOMIC_SEQ_CST);
}

struct pick {
	int sig;
	struct thread *found;
};

/* Linux's wants_signal: a thread takes a process-directed signal when it
 * does not block it, or when it waits for it in sigtimedwait (whose set the
 * kernel unblocks for the wait). */
static bool takes_signal(const struct thread *t, int sig)
{
	return !(t->sigmask & ~__atomic_load_n(&t->sigwait_set, __ATOMIC_ACQUIRE) & SIGBIT(sig));
}

static void pick_taker(struct thread *t, void *arg)
{
	struct pick *p = arg;
	if (!p->found && takes_signal(t, p->sig))
		p->found = t;
}

bool sig_action_ignores(const struct app_sigaction *act, int sig)
{
	return act->handler == 1 /* SIG_IGN */ || (act->handler == 0 && (DEFAULT_IGNORE & SIGBIT(sig)));
}

struct any_open {
	int sig;
	bool open;
};

static void check_unblocked(struct thread *t, void *arg)
{
	struct any_open *a = arg;
	a->open |= !(t->sigmask & SIGBIT(a->sig));
}

bool sig_blocked_everywhere(int sig, struct thread *target)
{
	struct any_open a = { sig, false };
	if (target)
		a.open = !(target->sigmask & SIGBIT(sig));
	else
		thread_foreach(check_unblocked, &a);
	return !a.open;
}

int sig_send(int sig, struct thread *target, const siginfo_t *info)
{
	if (sig < 1 || sig > NSIG_APP)
		return -EINVAL;
	siginfo_t si;
	if (info) {
		si = *info;
	} else {
		memset(&si, 0, sizeof(si));
		si.si_signo = sig;
		si.si_code = SI_USER;
		si.si_pid = proc.pid;
		si.si_uid = cred.ruid;
	}
	/* Linux never ignores a blocked signal: it stays pending (sigpending,
	 * sigwait, signalfd see it) and is dropped only if delivered while
	 * ignored. Blocked everywhere, it goes to a signalfd that wants it. */
	bool blocked = sig_blocked_everywhere(sig, target);
	if (blocked) {
		/* A signalfd cannot ask nsd for an unknown child (dequeue()):
		 * it shows it as from outside, never the host pid. */
		siginfo_t fd_si = si;
		fd_si.si_pid = si.si_pid < 0 ? 0 : si.si_pid;
		if (sigfd_take(sig, &fd_si))
			return 0;
	}
	if (!blocked && sig_action_ignores(&proc.sigactions[sig], sig))
		return 0;
	int r = sigq_add(target ? &target->sigq : &proc.sigq, sig, &si);
	if (r < 0)
		return r;
	if (!target) {
		struct pick p = { sig, NULL };
		if (!takes_signal(current(), sig))
			thread_foreach(pick_taker, &p);
		target = p.found;
	}
	if (target && target != current())
		sig_kick(target);
	return 0;
}

/* Takes the lowest pending unblocked signal, thread-directed first. */
static int dequeue(struct thread *t, uint64_t allowed, siginfo_t *info)
{
	int sig = sigq_take(&t->sigq, allowed, info);
	if (!sig)
		sig = sigq_take(&proc.sigq, allowed, info);
	/* A child's status whose host pid the map did not know (an orphan
	 * adopted by init or a subreaper, host_info_to_sandbox): nsd knows
	 * it. Asked here, where no libos lock of this thread is held. */
	if (sig && info->si_pid < 0) {
		info->si_pid = pid_from_host_lookup(-info->si_pid);
		info->si_uid = cred_real_uid(info->si_pid);
	}
	return sig;
}

int sig_dequeue(struct thread *t, uint64_t set, siginfo_t *info)
{
	return dequeue(t, set, info);
}

/* Ends the process the way the signal's default action does, so the parent
 * (a shell) sees "killed by signal N". */
__attribute__((noreturn)) void process_kill_self(int sig)
{
	struct kernel_sigaction dfl = { 0 };
	uint64_t set = SIGBIT(sig);
	sysv_exit();
	vfork_release();
	nsd_exit(sig);
	host(__NR_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	host(__NR_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, sizeof(set));
	host(__NR_tgkill, proc.host_pid, host_gettid(), sig);
	host_exit_group(128 + sig);
}

size_t sig_fpstate_size(const struct _fpstate *fp)
{
	const struct _fpx_sw_bytes *sw = &fp->sw_reserved;
	if (sw->magic1 == FP_XSTATE_MAGIC1)
		return sw->extended_size;
	return sizeof(struct _fpstate);
}

static bool on_app_altstack(struct thread *t, uintptr_t sp)
{
	return t->app_altstack.ss_size && sp > (uintptr_t)t->app_altstack.ss_sp &&
	       sp <= (uintptr_t)t->app_altstack.ss_sp + t->app_altstack.ss_size;
}

/* Builds the app's signal frame and points the interrupted context at the
 * app handler. Returns false when the frame cannot be written (the process
 * then dies with SIGSEGV, as on Linux). */
static bool setup_frame(struct thread *t, struct ucontext *uc, int sig, const siginfo_t *info,
                        const struct app_sigaction *act)
{
	struct sigcontext *r = &uc->uc_mcontext;
	uintptr_t sp = r->rsp;
	bool onstack = on_app_altstack(t, sp);
	if ((act->flags & SA_ONSTACK) && t->app_altstack.ss_size && !onstack &&
	    !(t->app_altstack.ss_flags & SS_DISABLE)) {
		sp = (uintptr_t)t->app_altstack.ss_sp + t->app_altstack.ss_size;
	} else {
		sp -= 128; /* the red zone */
	}
	struct _fpstate *hostfp = (struct _fpstate *)r->fpstate;
	if (!hostfp) /* a fast-path context keeps the FPU state live until now */
		hostfp = fastpath_save_fpu(t, uc);
	size_t fpsize = hostfp ? sig_fpstate_size(hostfp) : 0;
	sp = ALIGN_DOWN(sp - fpsize, 64);
	uintptr_t fp = sp;
	sp = ALIGN_DOWN(sp - sizeof(struct rt_sigframe), 16) - 8;
	if (range_is_libos(sp, fp + fpsize - sp))
		return false;
	struct rt_sigframe *f = (struct rt_sigframe *)sp;
	if (fpsize)
		memcpy((void *)fp, hostfp, fpsize);
	f->pretcode = act->restorer;
	f->info = *info;
	f->uc.uc_flags = (fpsize ? UC_FP_XSTATE : 0) | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	f->uc.uc_link = NULL;
	f->uc.uc_stack = t->app_altstack;
	f->uc.uc_stack.ss_flags = t->app_altstack.ss_size ? (on_app_altstack(t, r->rsp) ? SS_ONSTACK : 0)
	                                                 : SS_DISABLE;
	f->uc.uc_mcontext = *r;
	f->uc.uc_mcontext.fpstate = fpsize ? (struct _fpstate *)fp : NULL;
	f->uc.uc_sigmask = t->has_saved_mask ? t->saved_mask : t->sigmask;
	t->has_saved_mask = false;
	if (t->app_altstack.ss_flags & SS_AUTODISARM)
		t->app_altstack.ss_size = 0;

	r->rip = act->handler;
	r->rsp = sp;
	r->rdi = sig;
	r->rsi = (uintptr_t)&f->info;
	r->rdx = (uintptr_t)&f->uc;
	r->rax = 0;
	r->eflags &= ~(X86_EFLAGS_DF | X86_EFLAGS_TF);
	t->sigmask |= act->mask | (act->flags & SA_NODEFER ? 0 : SIGBIT(sig));
	t->sigmask &= ~UNBLOCKABLE;
	sig_sync_tty_stops(t, uc);
	if (act->flags & SA_RESETHAND)
		proc.sigactions[sig].handler = 0;
	return true;
}

bool sig_guarded(struct thread *t, bool (*fn)(void *), void *arg)
{
	struct libos_jmp outer = t->fault_jmp;
	bool outer_armed = t->fault_armed;
	volatile bool ok = false;
	if (!libos_setjmp(&t->fault_jmp)) {
		t->fault_armed = true;
		ok = fn(arg);
	}
	t->fault_jmp = outer;
	t->fault_armed = outer_armed;
	return ok;
}

struct frame_args {
	struct thread *t;
	struct ucontext *uc;
	int sig;
	const siginfo_t *info;
	const struct app_sigaction *act;
};

static bool frame_fn(void *arg)
{
	struct frame_args *a = arg;
	return setup_frame(a->t, a->uc, a->sig, a->info, a->act);
}

/* setup_frame with its writes to app memory guarded: an alternate stack
 * that is unmapped or read-only (another thread may have changed it at any
 * moment) fails the frame as on Linux, instead of faulting in the libos. */
static bool write_frame(struct thread *t, struct ucontext *uc, int sig, const siginfo_t *info,
                        const struct app_sigaction *act)
{
	struct frame_args a = { t, uc, sig, info, act };
	return sig_guarded(t, frame_fn, &a);
}

/* Linux's force_sigsegv when a signal's frame cannot be written: a SIGSEGV
 * the app may still catch (on a stack that works), else death by SIGSEGV. */
static void deliver_frame(struct thread *t, struct ucontext *uc, int sig, const siginfo_t *info,
                          const struct app_sigaction *act)
{
	if (write_frame(t, uc, sig, info, act))
		return;
	const struct app_sigaction segv = proc.sigactions[SIGSEGV];
	if (sig != SIGSEGV && segv.handler > 1 && !(t->sigmask & SIGBIT(SIGSEGV))) {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGSEGV;
		si.si_code = SI_KERNEL;
		if (write_frame(t, uc, SIGSEGV, &si, &segv))
			return;
	}
	process_kill_self(SIGSEGV);
}

static void restart_syscall(struct ucontext *uc, long nr)
{
	uc->uc_mcontext.rax = nr;
	uc->uc_mcontext.rip -= 2;
}

static bool is_restart(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	       ret == -ERESTART_RESTARTBLOCK;
}

/* The kernel stops a background job that reads or changes its terminal
 * with SIGTTIN or SIGTTOU unless the thread blocks or ignores that signal
 * (then a read fails with EIO and a change goes through), and it reads the
 * host's mask and actions for that. So for these two the host mask carries
 * the app's mask (the rest of it stays empty), and the host action is
 * SIG_IGN while the app's is: both where the app's change, never on the
 * way through a syscall. The mask is set at once and in the context the
 * libos returns to (the fast path keeps the host mask as it is). */

void sig_sync_tty_stops(struct thread *t, struct ucontext *uc)
{
	uint64_t want = t->sigmask & TTY_STOPS;
	if (want == t->host_tty_stops)
		return;
	uint64_t on = want & ~t->host_tty_stops, off = t->host_tty_stops & ~want;
	if (on)
		host(__NR_rt_sigprocmask, SIG_BLOCK, &on, NULL, sizeof(on));
	if (off)
		host(__NR_rt_sigprocmask, SIG_UNBLOCK, &off, NULL, sizeof(off));
	uc->uc_sigmask = (uc->uc_sigmask & ~TTY_STOPS) | want;
	t->host_tty_stops = want;
}

void sig_tty_stop_ignored(int sig, bool ignored)
{
	/* Process-wide, as the app's action: every thread's host sees it. On
	 * the way back, SIG_IGN first drops what the host held (sent while
	 * ignored and blocked), which the libos never saw. */
	struct kernel_sigaction ign = { .handler = (void *)1 /* SIG_IGN */ };
	host(__NR_rt_sigaction, sig, &ign, NULL, sizeof(uint64_t));
	if (!ignored)
		install_host_handler(sig, 0);
}

/* A stop signal's default action: the host stops the process by that very
 * signal, so the parent's wait reports it (a shell says "Stopped (tty
 * output)" for SIGTTOU) and the host's rule applies that a member of an
 * orphaned group ignores SIGTSTP, SIGTTIN and SIGTTOU. The libos's handler
 * is back once the process continues. */
static void stop_self(int sig)
{
	struct kernel_sigaction dfl = { 0 };
	uint64_t set = SIGBIT(sig);
	if (sig != SIGSTOP)
		host(__NR_rt_sigaction, sig, &dfl, NULL, sizeof(uint64_t));
	host(__NR_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, sizeof(set));
	host(__NR_tgkill, proc.host_pid, host_gettid(), sig);
	if (sig != SIGSTOP)
		install_host_handler(sig, 0);
}

void sig_deliver(struct thread *t, struct ucontext *uc, long nr, long ret)
{
	siginfo_t info;
	for (;;) {
		int sig = dequeue(t, ~t->sigmask, &info);
		if (!sig)
			break;
		struct app_sigaction act = proc.sigactions[sig];
		if (act.handler == 1)
			continue;
		if (act.handler == 0) {
			if (DEFAULT_IGNORE & SIGBIT(sig))
				continue;
			if (DEFAULT_STOP & SIGBIT(sig)) {
				stop_self(sig);
				continue;
			}
			process_kill_self(sig);
		}
		if (nr >= 0 && is_restart(ret)) {
			if (ret == -ERESTARTNOINTR || (ret == -ERESTARTSYS && (act.flags & SA_RESTART)))
				restart_syscall(uc, nr);
			else
				uc->uc_mcontext.rax = -EINTR;
		}
		deliver_frame(t, uc, sig, &info, &act);
		return;
	}
	if (nr >= 0 && is_restart(ret))
		restart_syscall(uc, nr);
	if (t->has_saved_mask) {
		t->sigmask = t->saved_mask;
		t->has_saved_mask = false;
		sig_sync_tty_stops(t, uc);
	}
}

/* A synchronous fault in app code: delivered at once; blocked or ignored
 * faults kill the process, as on Linux. */
void sig_deliver_fault(struct thread *t, struct ucontext *uc, int sig, const siginfo_t *info)
{
	struct app_sigaction act = proc.sigactions[sig];
	if (act.handler <= 1 || (t->sigmask & SIGBIT(sig)))
		process_kill_self(sig);
	deliver_frame(t, uc, sig, info, &act);
}

/* host/syscall.S */
extern void sigsys_entry(int, siginfo_t *, void *), fault_entry(int, siginfo_t *, void *);
void host_signal_handler(int sig, siginfo_t *si, void *ucv);

long sig_blocking_call6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	struct thread *t = current();
	__atomic_store_n(&t->wake, 0, __ATOMIC_RELEASE);
	if (sig_pending_deliverable(t))
		return -EINTR;
	return host_syscall6_wakeable(nr, a1, a2, a3, a4, a5, a6);
}

/* Interrupted between the wake check and the syscall instruction of a
 * wakeable call: the check has passed, so skip the call here instead. */
static void skip_unstarted_blocking_call(struct ucontext *uc)
{
	struct sigcontext *r = &uc->uc_mcontext;
	if (r->r11 == 1 && r->rip >= (uintptr_t)host_wake_check && r->rip <= (uintptr_t)host_syscall_site) {
		r->rip = (uintptr_t)host_wake_eintr;
		r->rax = -EINTR;
	}
}

/* The kernel may stack several signal frames before any handler runs; a
 * handler that has not started yet has no context anyone may claim. */
static bool at_handler_entry(uintptr_t rip)
{
	return rip == (uintptr_t)sigsys_entry || rip == (uintptr_t)host_signal_handler ||
	       rip == (uintptr_t)fault_entry || rip == (uintptr_t)fastpath_entry;
}

bool sig_init_ignores(int sig)
{
	return proc.pid == 1 && proc.sigactions[sig].handler == 0;
}

/*
 * A host signal's info in sandbox terms; false to drop it.
 *
 * SI_GRAPHENE is set by the sending libos (sys/signal.c). It is trusted
 * only for what the sender could have written anyway: any process that can
 * send us a host signal can pick si_pid and si_uid with rt_sigqueueinfo, on
 * Linux too. What the marker adds is the original si_code (SI_USER or
 * SI_TKILL, which Linux does not let a sender forge) and the target thread.
 * Only processes in this launch's Landlock domain (the sandbox's libos
 * instances) can signal us at all, or host root outside the sandbox; a
 * forged marker can therefore make a signal look like kill(2) from some
 * sandbox pid, never give it more effect: pid 1 ignores marked signals it
 * has no handler for, which is the least a signal can do.
 * Unmarked signals come from the kernel (terminal, timers, SIGCHLD) or
 * from outside the sandbox (si_pid 0, as Linux shows senders outside a PID
 * namespace).
 */
/* Exit signals other than SIGCHLD that children of this process were made
 * with (clone's CSIGNAL): their kernel info is a child's status too. */
static uint64_t exit_signals;

void sig_note_exit_signal(int sig)
{
	if (sig >= 1 && sig <= NSIG_APP)
		__atomic_or_fetch(&exit_signals, SIGBIT(sig), __ATOMIC_RELAXED);
}

static bool host_info_to_sandbox(int sig, siginfo_t *in, struct thread **target)
{
	if (in->si_code == SI_GRAPHENE) {
		int tid = SIG_TARGET_TID(in);
		in->si_code = in->si_errno;
		in->si_errno = 0;
		SIG_TARGET_TID(in) = 0;
		*target = tid ? thread_by_tid(tid) : NULL;
		if (tid && !*target)
			return false;
		/* Blocked, it is not ignored yet (Linux's sig_ignored). */
		return !sig_init_ignores(sig) || sig_blocked_everywhere(sig, *target);
	}
	bool exited = in->si_code >= CLD_EXITED && in->si_code <= CLD_DUMPED;
	bool child_status = sig == SIGCHLD ? in->si_code > 0
	                                   : exited && (__atomic_load_n(&exit_signals, __ATOMIC_RELAXED) & SIGBIT(sig));
	if (child_status) {
		int pid = pid_from_host(in->si_pid);
		/* Unknown: marked for dequeue() to ask nsd (no nsd call here). */
		in->si_pid = pid ? pid : -in->si_pid;
		in->si_uid = cred_real_uid(pid);
		/* The host reaped it already (SIG_IGN or SA_NOCLDWAIT; only for
		 * SIGCHLD as the exit signal). */
		const struct app_sigaction *act = &proc.sigactions[SIGCHLD];
		if (sig == SIGCHLD && (act->handler == 1 || (act->flags & SA_NOCLDWAIT)) && in->si_pid > 0 && exited)
			nsd_reaped_by_host(in->si_pid);
	} else if (in->si_code == SI_USER && sig == prctl_pdeathsig() && in->si_pid == proc.host_ppid) {
		/* PR_SET_PDEATHSIG: the kernel sends it as from the parent. */
		in->si_pid = proc.ppid;
		in->si_uid = cred_real_uid(proc.ppid);
	} else if (in->si_code <= 0) {
		in->si_pid = 0;
		in->si_uid = 0;
	}
	return true;
}

uint32_t sig_continues;

void host_signal_handler(int sig, siginfo_t *si, void *ucv)
{
	struct ucontext *uc = ucv;
	struct thread *t = current();
	bool kick = is_kick(sig, si);
	if (kick)
		__atomic_store_n(&t->kick_sent, 0, __ATOMIC_SEQ_CST);
	if (t->must_exit) /* another thread is in execve */
		for (;;)
			host(__NR_exit, 0);
	thread_serve_call(t);
	if (rpc_is_wakeup(sig, si)) { /* a peer on the RPC stream: not the app's */
		rpc_wakeup();
		return;
	}
	if (sig == SIGCONT)
		__atomic_add_fetch(&sig_continues, 1, __ATOMIC_RELEASE);
	bool in_libos = addr_in_libos_image(uc->uc_mcontext.rip);
	/* Raised by the CPU (not sent), in app code: perhaps a rewritten syscall's. */
	if (sig == SIGSEGV && si->si_code > 0 && !in_libos && fastpath_fault(t, uc))
		return;

	if ((SYNC_SIGNALS & SIGBIT(sig)) && si->si_code > 0 && si->si_code != SI_KERNEL) {
		if (in_libos && t->fault_armed && (sig == SIGSEGV || sig == SIGBUS)) {
			/* Inside another host handler (or a section that blocks
			 * the async signals), resuming the dispatcher would leave
			 * them blocked for good, the thread deaf to every later
			 * signal: a libos bug, reported rather than hung on. */
			if (uc->uc_sigmask & ASYNC_SIGNALS & ~SIGBIT(SIGSYS))
				libos_fatal("fault at %p (address %p) in a host signal handler", (void *)uc->uc_mcontext.rip,
				            si->si_addr);
			/* A syscall handler touched a bad app pointer: resume the
			 * dispatcher, which returns -EFAULT. */
			t->fault_armed = false;
			struct sigcontext *r = &uc->uc_mcontext;
			r->rip = (uintptr_t)libos_longjmp;
			r->rdi = (uintptr_t)&t->fault_jmp;
			r->rsi = 1;
			r->rsp = ALIGN_DOWN(r->rsp - 256, 16) - 8;
			return;
		}
		if (in_libos)
			libos_fatal("signal %d at %p (address %p) in the libos", sig,
			            (void *)uc->uc_mcontext.rip, si->si_addr);
		t->exit_uc_claimable = false;
		sig_deliver_fault(t, uc, sig, si);
		return;
	}
	if (!kick) {
		siginfo_t in = *si;
		struct thread *target =
			si->si_code == SI_TKILL || (si->si_code == SI_TIMER && timer_targets_thread(si->si_tid))
				? t : NULL;
		if (host_info_to_sandbox(sig, &in, &target))
			sig_send(sig, target, &in);
	}
	__atomic_store_n(&t->wake, 1, __ATOMIC_RELEASE);
	skip_unstarted_blocking_call(uc);
	if (in_libos && fastpath_finish_exit(t, uc))
		in_libos = false;
	if (!in_libos) {
		t->exit_uc_claimable = false;
		sig_deliver(t, uc, -1, 0);
	} else if (!at_handler_entry(uc->uc_mcontext.rip) &&
	           __atomic_exchange_n(&t->exit_uc_claimable, false, __ATOMIC_ACQ_REL)) {
		/* The SIGSYS handler is past its last check: deliver into its frame. */
		sig_deliver(t, t->exit_uc, -1, 0);
	}
}

void sig_host_sigsys(siginfo_t *si, void *ucv)
{
	host_sigmask_block(ASYNC_SIGNALS); /* as install_host_handler's handlers run */
	host_signal_handler(SIGSYS, si, ucv);
}

/* The libos's host handler for sig; SA_NOCLDWAIT is the one app flag the
 * host must know (it decides whether children become zombies). */
static void install_host_handler(int sig, unsigned long extra_flags)
{
	bool sync = SYNC_SIGNALS & SIGBIT(sig);
	struct kernel_sigaction sa = {
		.handler = sync ? (void *)fault_entry : (void *)host_signal_handler,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER | extra_flags,
		.restorer = (void *)host_sigreturn,
		/* Handlers of async signals do not nest; faults stay deliverable. */
		.mask = sync ? 0 : ASYNC_SIGNALS,
	};
	host(__NR_rt_sigaction, sig, &sa, NULL, sizeof(uint64_t));
}

void signals_init(void)
{
	struct rlimit64 lim;
	if (host(__NR_prlimit64, 0, RLIMIT_SIGPENDING, NULL, &lim) == 0)
		sigq_set_limit(lim.rlim_cur);
	for (int sig = 1; sig <= NSIG_APP; sig++)
		if (sig != SIGKILL && sig != SIGSTOP && sig != SIGSYS)
			install_host_handler(sig, 0);
	struct kernel_sigaction sys = {
		.handler = (void *)sigsys_entry,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)host_sigreturn,
	};
	host(__NR_rt_sigaction, SIGSYS, &sys, NULL, sizeof(uint64_t));
}

void sig_child_action_changed(const struct app_sigaction *act)
{
	/* An app that ignores SIGCHLD (or asks SA_NOCLDWAIT) gets no zombies:
	 * only the host can reap them unasked, so it must know. With nsd the
	 * libos still wants the SIGCHLD (SA_NOCLDWAIT reaps and sends it) to
	 * tell nsd of each reap (host_info_to_sandbox). */
	install_host_handler(SIGCHLD, act->handler == 1 ? SA_NOCLDWAIT : act->flags & SA_NOCLDWAIT);
}

/* Sleeps until a host signal arrives, with no window in which a signal
 * recorded just before the sleep could be missed: host signals are blocked
 * from the last check until ppoll atomically unblocks them. */
long sig_wait_interruptible(struct thread *t, uint64_t wake_set, const struct __kernel_timespec *timeout)
{
	uint64_t old = host_sigmask_block(ASYNC_SIGNALS), none = 0;
	long r = -EINTR;
	if (!(sig_pending_of(t) & wake_set))
		r = host(__NR_ppoll, NULL, 0, timeout, &none, sizeof(none));
	host_sigmask_restore(old);
	return r;
}
