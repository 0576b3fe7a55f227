/* App signal state lives in the libos (see signal.c for the delivery model). */
#ifndef LIBOS_SIGNAL_H
#define LIBOS_SIGNAL_H

#include "ktypes.h"
#include "process.h"
#include "thread.h"
#include "host/host.h"

#define SIGBIT(sig) (1ULL << ((sig) - 1))

/* The app signals pending for t: its own and the process's. */
static inline uint64_t sig_pending_of(struct thread *t)
{
	return sigq_bits(&t->sigq) | sigq_bits(&proc.sigq);
}

/* True when t has an app signal it does not block. Inline: the fast path's
 * passthrough decision asks it before every read and write, where a call
 * costs more than the test (ARCHITECTURE.md, "Passthrough calls"). */
static inline bool sig_pending_deliverable(struct thread *t)
{
	return (sig_pending_of(t) & ~t->sigmask) != 0;
}
/* How many SIGCONTs the process has had (a stop ended), for the calls that
 * a stop interrupts (semop). */
extern uint32_t sig_continues;
/* For sigsuspend/ppoll/pselect6/epoll_pwait: block `mask` instead of the
 * current mask until the next signal delivery (or syscall exit) restores it. */
void sig_set_wait_mask(struct thread *t, sigset64_t mask);
/* Queues an app signal to thread t (tid != 0) or to the process, and wakes a
 * thread that can take it. info may be NULL (SI_USER from this process). */
int sig_send(int sig, struct thread *t, const siginfo_t *info);
/* At syscall exit (or on an async signal in app code): deliver one pending
 * signal by rewriting uc, and settle syscall restart. `ret` is the
 * syscall's result, or a RESTART code; nr < 0 when not in a syscall. */
void sig_deliver(struct thread *t, struct ucontext *uc, long nr, long ret);
/* A synchronous fault in app code (or its fast-path equivalent): delivered
 * at once; blocked or ignored, it kills the process. */
void sig_deliver_fault(struct thread *t, struct ucontext *uc, int sig, const siginfo_t *info);
/* fn(arg) with faults on app memory caught (false then), inside or outside
 * a syscall handler, whose own guard is kept. */
bool sig_guarded(struct thread *t, bool (*fn)(void *), void *arg);
void signals_init(void);
/* The kernel timer id's signal goes to one thread (sys/time.c). */
bool timer_targets_thread(int id);
/* The size of a signal frame's FPU state (xsave area and its magic). */
struct _fpstate;
size_t sig_fpstate_size(const struct _fpstate *fp);
/* A host SIGSYS that is not the seccomp trap (a kill or sigqueue from
 * another process): queued and delivered as an app signal, as any other
 * host signal is. Called from the SIGSYS handler. */
void sig_host_sigsys(siginfo_t *si, void *ucv);
struct app_sigaction;
/* True when act ignores sig: SIG_IGN, or SIG_DFL of a signal whose default
 * is to ignore it (Linux's sig_handler_ignored). */
bool sig_action_ignores(const struct app_sigaction *act, int sig);
/* A child was made with exit signal sig (clone's CSIGNAL): that signal's
 * kernel info names a child, in host pids. */
void sig_note_exit_signal(int sig);
/* rt_sigaction changed SIGCHLD's action: tell the host what it must know. */
void sig_child_action_changed(const struct app_sigaction *act);
/* Makes thread t run its host signal handler soon (and so leave a blocking
 * host call): for a signal queued to it, or to end it. */
void sig_kick(struct thread *t);
/* A host call that may block (read on a pipe, futex wait, poll, sleep...):
 * returns -EINTR at once if a signal is pending for the thread, and a
 * signal that arrives at any point before the host call starts skips it.
 * Without this, a signal landing between the check and the call would
 * wait until the call returned by itself. */
long sig_blocking_call6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
#define host_blocking(...) \
	HOST_CAT(HOST_CALL, HOST_NARGS(__VA_ARGS__))(sig_blocking_call6, __VA_ARGS__)
#define TTY_STOPS (SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
/* SIGTTIN and SIGTTOU blocked by the app are blocked on the host too, for
 * the kernel's terminal checks: called wherever t's app mask changes (uc:
 * the context the libos returns to). */
void sig_sync_tty_stops(struct thread *t, struct ucontext *uc);
/* The app's action for SIGTTIN or SIGTTOU starts or stops ignoring it. */
void sig_tty_stop_ignored(int sig, bool ignored);
/* True when sig to thread t (or to the process, t NULL) is blocked by
 * every thread that could take it. */
bool sig_blocked_everywhere(int sig, struct thread *t);
/* signalfd.c: sig, blocked everywhere, went to a signalfd whose mask
 * holds it (false: none, or it is full). */
bool sigfd_take(int sig, const siginfo_t *info);
/* Dequeues a pending signal in `set` (blocked or not), for sigtimedwait. */
int sig_dequeue(struct thread *t, sigset64_t set, siginfo_t *info);
/* Sleeps until a signal in wake_set is pending or the timeout passes
 * (-EINTR / -ETIMEDOUT-like host result). */
struct __kernel_timespec;
long sig_wait_interruptible(struct thread *t, sigset64_t wake_set,
                            const struct __kernel_timespec *timeout);
__attribute__((noreturn)) void process_kill_self(int sig);

/* A signal from another picoprocess's libos travels as a host
 * rt_sigqueueinfo with this si_code; si_errno holds the app's si_code
 * (SI_USER, SI_TKILL, SI_QUEUE...) and SIG_TARGET_TID the sandbox tid of a
 * thread-directed one. si_pid/si_uid are the sender's sandbox ids. See
 * signal.c for what the receiver trusts it for. */
#define SI_GRAPHENE (-0x4752)
#define SIG_TARGET_TID(si) (((int *)(si))[8]) /* offset 32: kept by the kernel, unused by _rt */
/* A signal from another process of the sandbox is dropped: pid 1 has no
 * handler for it (Linux's rule for a PID namespace's init). Unlike Linux,
 * init's own kill/raise/abort still act on it, as they do for the same
 * program run outside a namespace: `graphene run` of a program that
 * aborts reports SIGABRT. */
bool sig_init_ignores(int sig);

#endif
