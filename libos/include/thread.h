/* Per-thread libos state, reached through %gs (the app owns %fs). */
#ifndef LIBOS_THREAD_H
#define LIBOS_THREAD_H

#include "ktypes.h"
#include "sigqueue.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIBOS_STACK_SIZE (256 * 1024)

typedef uint64_t sigset64_t;

struct libos_jmp {
	uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};
int libos_setjmp(struct libos_jmp *j) __attribute__((returns_twice));
__attribute__((noreturn)) void libos_longjmp(struct libos_jmp *j, int val);

/* A host call about itself that one thread asks another to make (the
 * host takes scheduling calls only for the caller: see thread_call_on). */
struct thread_call {
	long nr, a[4];
	long ret;
	int done;
};

struct thread {
	struct thread *self; /* %gs:0 */
	/* %gs:8, read by host/syscall.S: set by a host signal handler, so a
	 * blocking host call about to start is skipped (see sig_blocking_call). */
	int wake;
	int tid;             /* sandbox tid */
	int host_tid;
	/* The host clears this word when the host thread is gone, so its
	 * libos stack can be reused (see thread_reap). */
	int host_alive;
	char *libos_stack;       /* the host sigaltstack; all emulation runs here */
	/* %gs:32 and %gs:40, used by host/fastpath.S: where the fast path
	 * returns to, and exit_uc_claimable (see exit_uc), cleared first thing. */
	uintptr_t fast_rip;
	bool exit_uc_claimable;
	uintptr_t fast_entry; /* %gs:48: where the page-0 trampoline jumps */
	sigset64_t sigmask;      /* the app's blocked signals */
	stack_t app_altstack;    /* the app's sigaltstack (virtual) */
	int *clear_child_tid;
	void *rseq; /* the app's registered rseq area, unregistered at exit */
	uint32_t rseq_len, rseq_sig;
	void *robust_list;
	size_t robust_len;
	/* Set by sigsuspend/ppoll/pselect/epoll_pwait: the mask to restore after
	 * the handler runs. */
	bool has_saved_mask;
	sigset64_t saved_mask;
	/* The set a sigtimedwait waits for (0 otherwise): signals a sender
	 * may route to this thread although it blocks them. */
	sigset64_t sigwait_set;
	/* The context of a call served in a host handler (the SIGSYS trap, or
	 * a rewritten call's own fault) after its last delivery check; a host
	 * signal that lands before the handler returns may claim it (once) and
	 * deliver into it, so no signal waits for the next syscall (the fast
	 * entry's context here is never claimable: see fastpath.c). */
	struct ucontext *exit_uc;
	char comm[16]; /* prctl(PR_SET_NAME) */
	/* Armed while a syscall handler runs: a fault in the libos then
	 * resumes here and the syscall returns -EFAULT (a bad app pointer). */
	struct libos_jmp fault_jmp;
	bool fault_armed;
	bool must_exit; /* execve in another thread: end at the next host signal */
	struct thread_call *call; /* posted by another thread, made at the next host signal */
	int kick_sent; /* a kick is on its way to this thread (sig_kick) */
	sigset64_t host_tty_stops; /* SIGTTIN/SIGTTOU blocked on the host (signal.c) */
	/* The app's SSE registers while the libos's protobuf-c code runs
	 * (fastpath_sse_enter): how deep, and the fxsave image. */
	int sse_depth;
	uint8_t sse_image[512 + 15];
	struct thread *next;
	/* Thread-directed app signals. Last: at 4.5 KiB it would put the
	 * fields above that every call writes on two pages, each a
	 * copy-on-write fault on both sides of a fork. */
	struct sigqueue sigq;
};

static inline struct thread *current(void)
{
	struct thread *t;
	__asm__("mov %%gs:0, %0" : "=r"(t));
	return t;
}

struct thread *thread_alloc(void);
/* Makes t the calling host thread's libos thread: %gs and sigaltstack. */
int thread_bind(struct thread *t);
void thread_add(struct thread *t);
void thread_remove(struct thread *t);
struct thread *thread_by_tid(int tid);
/* The calling thread's name (prctl(PR_SET_NAME), an execve's file name),
 * 15 bytes, also its host thread's: other processes read it from the host's
 * stat (fs/procfs.c), as the host's own tools do. */
void thread_set_comm(const char *name);
int thread_count(void);
/* Runs fn for each live thread under the thread-list lock. */
void thread_foreach(void (*fn)(struct thread *, void *), void *arg);
/* Makes the kernel forget the rseq area and robust list of the calling
 * thread t, which live in app memory about to go (thread exit, execve). */
void thread_detach_app_memory(struct thread *t);
/* In a fork child (threads_lock held): t is the only thread left. */
void thread_keep_only(struct thread *t);
/* For execve: ends every other thread and waits until the host has them
 * gone (Linux does the same before it replaces the program). */
void thread_end_others(struct thread *self);
/* host(nr, a0, a1, a2, a3) made by the thread whose sandbox tid is tid (0:
 * the caller): scheduling calls about another thread of the process,
 * which the host (and the site's filter) take only for the caller itself
 * (the arguments say "self"). The other thread makes it from its host
 * signal handler. -ESRCH when no such thread lives. */
long thread_call_on(int tid, long nr, long a0, long a1, long a2, long a3);
/* From a host signal handler: make the call another thread posted. */
void thread_serve_call(struct thread *t);
/* Frees the stacks of threads the host has finished. */
void thread_reap(void);

/* Restores a complete register state via the host's rt_sigreturn. The frame
 * must be writable; uc->uc_mcontext.fpstate NULL resets the FPU state. */
__attribute__((noreturn)) void host_jump_to_context(struct ucontext *uc);

#endif
