/* The syscall table: one handler per Linux syscall number, grouped by
 * subsystem in libos/sys/. Handlers return a value or -errno; a blocked
 * call interrupted by a signal returns -EINTR and the dispatcher turns it into
 * the right restart behaviour (see entry.c). */
#ifndef LIBOS_SYSCALL_H
#define LIBOS_SYSCALL_H

#include "ktypes.h"
#include "thread.h"

/* Kernel-internal restart codes (include/linux/errno.h), never seen by apps. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
/* The libos's own: EINTR to the app even when no handler ran (semop after
 * a stop signal, as Linux), where a plain -EINTR would be restarted. */
#define EINTR_NORESTART 530

struct sysctx {
	long nr;
	long a[6];
	struct ucontext *uc; /* the app's registers as trapped */
	struct thread *t;
};

typedef long (*sys_handler)(struct sysctx *c);

struct syscall_desc {
	sys_handler fn;
	/* Interrupted by a handled signal: restart if SA_RESTART (else EINTR). */
	bool sa_restart;
};

#define SYSCALL_MAX 460
extern const struct syscall_desc syscall_table[SYSCALL_MAX];
/* Names of all Linux syscalls, generated from the kernel's unistd_64.h. */
extern const char *const syscall_names[SYSCALL_MAX];

/* entry.c: runs syscall nr for the app context uc (trapped or from the fast
 * path) and settles signal delivery and restart in it. */
void syscall_dispatch(struct thread *t, struct ucontext *uc, long nr);
/* Its second half: the handler's result ret (-EINTR: interrupted, which
 * needs a handler, hence nr < SYSCALL_MAX) becomes the app's rax, with
 * delivery and restart settled. */
void syscall_finish(struct thread *t, struct ucontext *uc, long nr, long ret);
/* After a call served inside a host handler's frame uc (the SIGSYS trap, or
 * a rewritten call's own fault): makes uc claimable, so a host signal that
 * lands before the handler returns is delivered into it, not at the next
 * system call. */
void syscall_handler_exit(struct thread *t, struct ucontext *uc);

/* sys/process.c: fork and clone without CLONE_THREAD. */
long process_fork(struct sysctx *c, unsigned long flags, uintptr_t stack, int *ptid, int *ctid,
                  unsigned long tls);

/* Declares the handler of syscall NAME: long sys_NAME(struct sysctx *c). */
#define SYS(name) long sys_##name(struct sysctx *c __attribute__((unused)))
#define SYSCALL_ARG(i, type) ((type)c->a[i])

#endif
