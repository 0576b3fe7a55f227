/* The syscall fast path (fastpath.c): rewritten app syscall sites enter the
 * libos through a page-0 trampoline instead of a seccomp trap. */
#ifndef LIBOS_FASTPATH_H
#define LIBOS_FASTPATH_H

#include "ktypes.h"
#include "rt.h"
#include "thread.h"

extern bool fastpath_on;
/* Taken by fork with the other libos locks (after arena_lock). */
extern struct lock fastpath_lock;

/* At start-up: maps the trampoline, or logs (info) why the host cannot
 * have the fast path and leaves every syscall to the trap. */
void fastpath_init(bool wanted);
/* True when [addr, addr+len) touches the trampoline pages. */
bool range_is_trampoline(uintptr_t addr, size_t len);
/* The SIGSYS handler's hook: rewrites the trapped site if it is safe. */
void fastpath_learn(struct thread *t, struct ucontext *uc);
/* The app changed its mappings: forget what was learnt about the range
 * (its sites too when it was unmapped or replaced). */
void fastpath_forget(uintptr_t addr, size_t len, bool unmapped);
/* execve: the old program's sites are gone. */
void fastpath_exec_reset(void);
/* Saves the FPU state into a fast-path context that has none yet (for a
 * signal frame); NULL when uc is not one. */
struct _fpstate *fastpath_save_fpu(struct thread *t, struct ucontext *uc);
/* A SIGSEGV in app code that is a rewritten syscall's (the call faulted, or
 * its number has no place in the trampoline): completes the syscall in uc
 * and returns true. */
bool fastpath_fault(struct thread *t, struct ucontext *uc);
void fastpath_thread_init(struct thread *t);
/* Around the libos's protobuf-c code (nsd_fs_enter/leave), which uses SSE
 * registers: on the fast path they are the app's, live. */
void fastpath_sse_enter(void);
void fastpath_sse_leave(void);
/* host/fastpath.S's entry, whose first instruction clears
 * exit_uc_claimable: a host signal there finds a call not yet started. */
extern char fastpath_entry[];
/* A host signal interrupted the fast path's return to the app: makes uc
 * the app's context (true), as if the signal had come just after; or, in
 * the wake test (the wake flag must be set already), sends uc back to
 * that test (false). */
bool fastpath_finish_exit(struct thread *t, struct ucontext *uc);

#endif
