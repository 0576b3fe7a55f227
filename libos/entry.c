/* The SIGSYS handler: every app system call that is not on the fast path
 * (fastpath.c) enters the libos here, on the thread's libos stack. Both
 * entries dispatch through the one syscall table, then settle signal
 * delivery and restart in one place (syscall_dispatch, sig_deliver). */
#include <asm/errno.h>
#include "arena.h"
#include "fastpath.h"
#include "host/host.h"
#include "log.h"
#include "rt.h"
#include "signal.h"
#include "syscall.h"

static uint64_t warned[(SYSCALL_MAX + 63) / 64];

static long unimplemented(long nr)
{
	uint64_t bit = 1ULL << (nr & 63); /* nr % 64 would be negative for syscall(-1) */
	if (nr >= 0 && nr < SYSCALL_MAX &&
	    !(__atomic_fetch_or(&warned[nr / 64], bit, __ATOMIC_RELAXED) & bit)) {
		const char *name = syscall_names[nr];
		if (name)
			log_warning("unsupported syscall %s", name);
		else
			log_warning("unsupported syscall %ld", nr);
	}
	return -ENOSYS;
}

static void trace(const struct sysctx *c, long ret)
{
	const char *name = (unsigned long)c->nr < SYSCALL_MAX ? syscall_names[c->nr] : NULL;
	if (name)
		log_printf(LOG_TRACE, "%s(%lx, %lx, %lx, %lx, %lx, %lx) = %ld", name, c->a[0], c->a[1],
		           c->a[2], c->a[3], c->a[4], c->a[5], ret);
	else
		log_printf(LOG_TRACE, "syscall_%ld(%lx, %lx, %lx) = %ld", c->nr, c->a[0], c->a[1],
		           c->a[2], ret);
}

void syscall_dispatch(struct thread *t, struct ucontext *uc, long nr)
{
	struct sigcontext *r = &uc->uc_mcontext;
	struct sysctx c = {
		.nr = nr,
		.a = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 },
		.uc = uc,
		.t = t,
	};
	const struct syscall_desc *d = (unsigned long)c.nr < SYSCALL_MAX ? &syscall_table[c.nr] : NULL;
	long ret;
	if (libos_setjmp(&t->fault_jmp)) {
		ret = -EFAULT;
	} else {
		t->fault_armed = true;
		ret = d && d->fn ? d->fn(&c) : unimplemented(c.nr);
	}
	t->fault_armed = false;
	if (unlikely(log_level >= LOG_TRACE))
		trace(&c, ret);
	syscall_finish(t, uc, c.nr, ret);
}

void syscall_finish(struct thread *t, struct ucontext *uc, long nr, long ret)
{
	if (nr == __NR_rt_sigreturn) {
		/* The registers are the restored ones; only deliver what is pending. */
		sig_deliver(t, uc, -1, 0);
	} else {
		if (ret == -EINTR)
			ret = syscall_table[nr].sa_restart ? -ERESTARTSYS : -ERESTARTNOHAND;
		else if (ret == -EINTR_NORESTART)
			ret = -EINTR;
		uc->uc_mcontext.rax = ret;
		sig_deliver(t, uc, nr, ret);
	}
}

__attribute__((used)) void sigsys_handler(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	struct ucontext *uc = ucv;
	/* Only the kernel's trap is a system call (si_code SYS_SECCOMP cannot
	 * be sent by another process: the kernel refuses si_code >= 0 from
	 * rt_sigqueueinfo to someone else). */
	if (si->si_code != SYS_SECCOMP) {
		sig_host_sigsys(si, ucv);
		return;
	}
	struct thread *t = current();
	/* exit_uc_claimable is clear: host/syscall.S sigsys_entry. */
	if (addr_in_libos_image(uc->uc_mcontext.rip))
		libos_fatal("the libos made host call %d, which its filter refuses", si->si_syscall);
	if (fastpath_on)
		fastpath_learn(t, uc);
	syscall_dispatch(t, uc, si->si_syscall);
	syscall_handler_exit(t, uc);
}

void syscall_handler_exit(struct thread *t, struct ucontext *uc)
{
	t->exit_uc = uc;
	__atomic_store_n(&t->exit_uc_claimable, true, __ATOMIC_RELEASE);
	/* A signal recorded between sig_deliver's check and the line above
	 * found nothing to claim: check once more. */
	if (sig_pending_deliverable(t) &&
	    __atomic_exchange_n(&t->exit_uc_claimable, false, __ATOMIC_ACQ_REL))
		sig_deliver(t, uc, -1, 0);
}
