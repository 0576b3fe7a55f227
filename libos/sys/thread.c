/* Threads: clone with CLONE_THREAD becomes a host thread with its own libos
 * record and stack. clone without it is a fork (sys/process.c). */
#include <asm/errno.h>
#include <asm/signal.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include "fastpath.h"
#include "fdrecord.h"
#include "host/host.h"
#include "log.h"
#include "nsd.h"
#include "sysv.h"
#include "process.h"
#include "signal.h"
#include "sitepolicy.h"
#include "syscall.h"
#include "vfork.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)
/* Flags the libos implements itself rather than passing to the host. */
#define VIRTUAL_FLAGS (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)

struct thread_start {
	struct thread *t;
	struct ucontext uc;
	int *child_settid;
};

static void thread_start(void *arg)
{
	struct thread_start *s = arg;
	struct thread *t = s->t;
	if (thread_bind(t) < 0)
		libos_fatal("cannot bind a new thread");
	t->host_tid = (int)host_gettid();
	if (s->child_settid)
		*s->child_settid = t->tid;
	host_jump_to_context(&s->uc);
}

static long clone_thread(struct sysctx *c, unsigned long flags, uintptr_t stack, int *ptid,
                         int *ctid, unsigned long tls)
{
	if ((flags & THREAD_FLAGS) != THREAD_FLAGS || (flags & CLONE_VFORK))
		return -EINVAL;
	/* Linux's tids and pids are one space: a thread's sandbox tid comes
	 * from the lease like a child's pid. */
	int tid = nsd_take_pid();
	if (tid < 0)
		return tid;
	struct thread *nt = thread_alloc();
	if (!nt)
		return -ENOMEM;
	nt->tid = tid;
	nt->sigmask = c->t->sigmask;
	memcpy(nt->comm, c->t->comm, sizeof(nt->comm)); /* a new thread has its creator's name */
	nt->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : NULL;
	nt->host_alive = 1;

	/* The start record sits at the top of the new libos stack, the FPU
	 * state below it; the child runs below both until it jumps to the app. */
	char *top = nt->libos_stack + LIBOS_STACK_SIZE;
	struct thread_start *s = (struct thread_start *)ALIGN_DOWN((uintptr_t)top - sizeof(*s), 64);
	s->t = nt;
	s->child_settid = (flags & CLONE_CHILD_SETTID) ? ctid : NULL;
	s->uc = *c->uc;
	s->uc.uc_mcontext.rax = 0;
	if (stack)
		s->uc.uc_mcontext.rsp = stack;
	/* A new thread inherits the FPU state (x87 control word, MXCSR, the
	 * registers), as the kernel's fpu_clone copies it; a fast-path
	 * context saves the live state first. */
	struct _fpstate *fp = c->uc->uc_mcontext.fpstate;
	if (!fp)
		fp = fastpath_save_fpu(c->t, c->uc);
	char *below = (char *)s;
	if (fp) {
		size_t n = sig_fpstate_size(fp);
		below = (char *)ALIGN_DOWN((uintptr_t)s - n, 64);
		memcpy(below, fp, n);
	}
	s->uc.uc_mcontext.fpstate = fp ? (struct _fpstate *)below : NULL;
	s->uc.uc_flags = 0;
	/* Its host mask from the start (sig_sync_tty_stops). */
	nt->host_tty_stops = nt->sigmask & TTY_STOPS;
	s->uc.uc_sigmask = nt->host_tty_stops;

	/* No host signal may reach the child before it has its %gs. */
	uint64_t old = host_sigmask_block(~0ULL);
	thread_add(nt);
	unsigned long hflags = (flags & ~VIRTUAL_FLAGS) | CLONE_CHILD_CLEARTID;
	/* The host would write the host tid; glibc's thread reads it at once,
	 * so the sandbox tid is written before the thread exists. */
	if (flags & CLONE_PARENT_SETTID) {
		*ptid = tid;
		hflags &= ~CLONE_PARENT_SETTID;
	}
	long r = host_clone_thread(hflags, below - 64, ptid, &nt->host_alive, tls, thread_start, s);
	if (r > 0)
		nt->host_tid = (int)r;
	host_sigmask_restore(old);
	if (r < 0) {
		nt->host_alive = 0;
		thread_remove(nt);
		return r;
	}
	return nt->tid;
}

/* A fork with CLONE_PIDFD: the host forks without it, then the parent
 * opens the child's pidfd (the host's of its host process, as pidfd_open
 * does) into *where. */
static long fork_with_pidfd(struct sysctx *c, unsigned long flags, uintptr_t stack, int *ptid,
                            int *ctid, unsigned long tls, int *where)
{
	if (flags & CLONE_THREAD)
		return -EINVAL;
	long r = process_fork(c, flags & ~(unsigned long)CLONE_PIDFD, stack, ptid, ctid, tls);
	if (r <= 0)
		return r;
	int h = pid_to_host((int)r);
	long fd = h < 0 ? h : fd_install(host(__NR_pidfd_open, h, 0), FD_OTHER, NULL, NULL);
	*where = fd < 0 ? -1 : (int)fd;
	return r;
}

SYS(clone)
{
	/* the kernel reads the low half; its low byte is the exit signal */
	unsigned long flags = (uint32_t)c->a[0];
	long e = clone_flags_check(flags & ~(unsigned long)CSIGNAL);
	if (e < 0)
		return e;
	/* clone's CLONE_PIDFD stores the pidfd where CLONE_PARENT_SETTID would
	 * store the tid, so the two exclude each other. */
	if (flags & CLONE_PIDFD)
		return flags & CLONE_PARENT_SETTID ? -EINVAL
		       : fork_with_pidfd(c, flags, c->a[1], NULL, (int *)c->a[3], c->a[4], (int *)c->a[2]);
	if (!(flags & CLONE_THREAD))
		return process_fork(c, flags, c->a[1], (int *)c->a[2], (int *)c->a[3], c->a[4]);
	return clone_thread(c, flags & ~0xffUL, c->a[1], (int *)c->a[2], (int *)c->a[3], c->a[4]);
}

struct clone_args_v0 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* Linux's checks of clone3's arguments (copy_clone_args_from_user,
 * clone3_args_valid), before the flags' own. */
static long clone3_args_check(const struct clone_args_v0 *ca, unsigned long size)
{
	if (size > PAGE_SIZE)
		return -E2BIG;
	if (size < sizeof(*ca) || (ca->exit_signal & ~(uint64_t)CSIGNAL) || ca->exit_signal > NSIG_APP)
		return -EINVAL;
	/* The exit signal has its own field; CLONE_NEWTIME is the one bit of
	 * the old CSIGNAL byte clone3 takes. */
	if (ca->flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME)))
		return -EINVAL;
	if ((ca->flags & (CLONE_THREAD | CLONE_PARENT)) && ca->exit_signal)
		return -EINVAL;
	return (ca->stack != 0) != (ca->stack_size != 0) ? -EINVAL : 0;
}

SYS(clone3)
{
	const struct clone_args_v0 *ca = (const void *)c->a[0];
	long e = clone3_args_check(ca, c->a[1]);
	if (e < 0)
		return e;
	e = clone_flags_check(ca->flags);
	if (e < 0)
		return e;
	uintptr_t sp = ca->stack ? ca->stack + ca->stack_size : 0;
	if (ca->flags & CLONE_PIDFD)
		return fork_with_pidfd(c, ca->flags | (ca->exit_signal & 0xff), sp, (int *)ca->parent_tid,
		                       (int *)ca->child_tid, ca->tls, (int *)ca->pidfd);
	if (!(ca->flags & CLONE_THREAD))
		return process_fork(c, ca->flags | (ca->exit_signal & 0xff), sp, (int *)ca->parent_tid,
		                    (int *)ca->child_tid, ca->tls);
	return clone_thread(c, ca->flags, sp, (int *)ca->parent_tid, (int *)ca->child_tid, ca->tls);
}

/* What the kernel does at thread exit for robust futexes (its
 * exit_robust_list): every mutex the thread still holds is marked
 * OWNER_DIED and one waiter is woken, so it gets EOWNERDEAD. The libos does
 * it itself because it must detach the list from the kernel before the
 * thread's memory may go (see sys_exit). */
static void release_robust_mutexes(struct thread *t)
{
	struct robust_list_head *head = t->robust_list;
	if (!head || t->robust_len != sizeof(*head))
		return;
	struct robust_list *pending = (void *)((uintptr_t)head->list_op_pending & ~1UL);
	struct robust_list *e = (void *)((uintptr_t)head->list.next & ~1UL);
	for (int limit = 2048; e && e != &head->list && limit--;) {
		struct robust_list *next = (void *)((uintptr_t)e->next & ~1UL);
		if (e != pending) {
			uint32_t *word = (uint32_t *)((char *)e + head->futex_offset);
			uint32_t val = __atomic_load_n(word, __ATOMIC_RELAXED);
			if ((val & FUTEX_TID_MASK) == (uint32_t)t->tid &&
			    __atomic_compare_exchange_n(word, &val,
			                                (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED, false,
			                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED) &&
			    (val & FUTEX_WAITERS))
				host_futex((int *)word, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		e = next;
	}
}

void thread_detach_app_memory(struct thread *t)
{
	if (t->rseq)
		host(__NR_rseq, t->rseq, t->rseq_len, 1 /* RSEQ_FLAG_UNREGISTER */, t->rseq_sig);
	t->rseq = NULL;
	host(__NR_set_robust_list, NULL, sizeof(struct robust_list_head));
}

/* The end of the process: nsd hears it from us, the parent from the host. */
static __attribute__((noreturn)) void process_exit(int code)
{
	sysv_exit();
	vfork_release();
	nsd_exit((code & 0xff) << 8);
	host_exit_group(code & 0xff);
}

SYS(exit)
{
	struct thread *t = c->t;
	if (thread_count() == 1)
		process_exit((int)c->a[0]);
	/* Linux clears the app's tid word and wakes joiners at thread exit,
	 * after it let go of the thread's memory. A woken joiner may free the
	 * thread's stack at once, so first make the kernel forget the rseq
	 * area and robust list that live there. */
	thread_detach_app_memory(t);
	release_robust_mutexes(t);
	if (t->clear_child_tid) {
		__atomic_store_n(t->clear_child_tid, 0, __ATOMIC_RELEASE);
		host_futex(t->clear_child_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	thread_remove(t);
	/* From here this thread only runs on its libos stack, which is freed
	 * once the host clears host_alive. */
	for (;;)
		host(__NR_exit, 0);
}

SYS(exit_group)
{
	process_exit((int)c->a[0]);
}

SYS(set_tid_address)
{
	c->t->clear_child_tid = (int *)c->a[0];
	return c->t->tid;
}

/* The host kernel walks the robust list at thread exit; tids are host tids. */
SYS(set_robust_list)
{
	c->t->robust_list = (void *)c->a[0];
	c->t->robust_len = c->a[1];
	return host(__NR_set_robust_list, c->a[0], c->a[1]);
}

SYS(get_robust_list)
{
	return host(__NR_get_robust_list, c->a[0], c->a[1], c->a[2]);
}

SYS(futex)
{
	switch (c->a[1] & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_WAIT_REQUEUE_PI:
		return host_blocking(__NR_futex, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	default:
		return host(__NR_futex, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
	}
}

/* Futexes name only memory, as futex's do. */
SYS(futex_waitv)
{
	return host_blocking(__NR_futex_waitv, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
}

SYS(gettid)
{
	return c->t->tid;
}
