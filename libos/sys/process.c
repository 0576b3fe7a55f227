/* Processes: fork is the host's copy-on-write fork, execve replaces the
 * app inside the same picoprocess, and wait4/waitid reap host children.
 *
 * Until picoprocesses register with the namespace service, a sandbox pid is
 * the host pid of its picoprocess, so pids in wait statuses, siginfo and
 * kill pass through unchanged. Landlock's signal scope keeps kill inside
 * the sandbox. */
#include <asm/errno.h>
#include <asm/prctl.h>
#include <linux/fcntl.h>
#include <linux/sched.h>
#include "arena.h"
#include "fastpath.h"
#include "fdrecord.h"
#include "host/host.h"
#include "loader.h"
#include "locks.h"
#include "maps.h"
#include "log.h"
#include "process.h"
#include "signal.h"
#include "syscall.h"

#define ARG_MAX_BYTES (2 << 20)

/* Takes every libos lock (locks.h order) so the child gets them unheld.
 * Host signals are blocked first: their handlers take the thread list. */
static uint64_t fork_lock_all(void)
{
	uint64_t old = host_sigmask_block(~0ULL);
	lock(&proc.lock);
	lock(&fd_lock);
	lock(&threads_lock);
	lock(&alloc_lock);
	lock(&arena_lock);
	lock(&fastpath_lock);
	sigq_fork_lock();
	return old;
}

static void fork_unlock_all(uint64_t saved_mask)
{
	sigq_fork_unlock();
	unlock(&fastpath_lock);
	unlock(&arena_lock);
	unlock(&alloc_lock);
	unlock(&threads_lock);
	unlock(&fd_lock);
	unlock(&proc.lock);
	host_sigmask_restore(saved_mask);
}

static void become_child(struct thread *t, int parent, unsigned long flags, int *ctid)
{
	proc.host_pid = proc.pid = (int)host_getpid();
	proc.ppid = parent;
	t->tid = t->host_tid = proc.pid;
	t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : NULL;
	thread_keep_only(t);
	sigq_clear_after_fork(&proc.sigq);
	sigq_clear_after_fork(&t->sigq);
}

/* fork, vfork and clone without CLONE_THREAD. A vfork (CLONE_VM|CLONE_VFORK)
 * becomes a plain fork: the child only execs or exits, which it can do in a
 * copy as well, and a child sharing the libos's memory could not run its
 * own libos. posix_spawn's child stack is honoured. */
long process_fork(struct sysctx *c, unsigned long flags, uintptr_t stack, int *ptid, int *ctid,
                  unsigned long tls)
{
	if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES | CLONE_FS | CLONE_NEWNS |
	             CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWNET | CLONE_PIDFD))
		return -EINVAL;
	flags &= ~(CLONE_VM | CLONE_VFORK);
	int parent = proc.pid;
	uint64_t saved = fork_lock_all();
	long r = host(__NR_clone, flags, 0, ptid, ctid, tls);
	if (r == 0)
		become_child(c->t, parent, flags, ctid);
	fork_unlock_all(saved);
	if (r == 0 && stack)
		c->uc->uc_mcontext.rsp = stack;
	return r;
}

SYS(fork)
{
	return process_fork(c, SIGCHLD, 0, NULL, NULL, 0);
}

SYS(vfork)
{
	return process_fork(c, SIGCHLD, 0, NULL, NULL, 0);
}

/* Copies a NULL-terminated string vector out of app memory, which execve
 * is about to unmap, into one allocation (one free). NULL with *err set
 * when it is over the budget (E2BIG) or memory is short. */
static char **copy_strv(char *const *v, size_t *budget, long *err)
{
	size_t n = 0, bytes = 0;
	for (; v && v[n]; n++) {
		bytes += strnlen(v[n], ARG_MAX_BYTES) + 1;
		if (bytes > *budget) {
			*err = -E2BIG;
			return NULL;
		}
	}
	char **out = malloc((n + 1) * sizeof(char *) + bytes);
	if (!out) {
		*err = -ENOMEM;
		return NULL;
	}
	char *s = (char *)(out + n + 1);
	for (size_t i = 0; i < n; i++) {
		size_t len = strnlen(v[i], ARG_MAX_BYTES);
		memcpy(s, v[i], len);
		s[len] = 0;
		out[i] = s;
		s += len + 1;
	}
	out[n] = NULL;
	*budget -= bytes;
	return out;
}

/* [vdso], [vvar], [vsyscall]...: the kernel's, kept across execve. */
static bool is_kernel_mapping(const char *name)
{
	return name[0] == '[' && strcmp(name, "[stack]") && strcmp(name, "[heap]");
}

/* Unmaps everything of the old program: all that is neither libos memory
 * nor the kernel's vDSO pages. */
static void unmap_app(void)
{
	char *buf = maps_read();
	if (!buf)
		libos_fatal("execve: cannot read the address space");
	struct maps_line l;
	for (char *cur = buf; maps_next(&cur, &l);)
		if (l.hi > l.lo && !is_kernel_mapping(l.name) && !range_is_libos(l.lo, l.hi - l.lo))
			host_munmap((void *)l.lo, l.hi - l.lo);
	free(buf);
}

static void reset_for_exec(struct thread *t)
{
	/* The kernel would write to the old rseq area and robust list. */
	thread_detach_app_memory(t);
	t->clear_child_tid = NULL;
	memset(&t->app_altstack, 0, sizeof(t->app_altstack));
	host(__NR_arch_prctl, ARCH_SET_FS, 0);
	/* Handlers are gone with the old program; ignored signals stay ignored. */
	lock(&proc.lock);
	for (int sig = 1; sig <= NSIG_APP; sig++)
		if (proc.sigactions[sig].handler != 1)
			memset(&proc.sigactions[sig], 0, sizeof(proc.sigactions[sig]));
	sig_child_action_changed(&proc.sigactions[SIGCHLD]);
	unlock(&proc.lock);
	fd_close_on_exec();
}

static long do_execve(struct sysctx *c, const char *path, char *const *uargv, char *const *uenvp)
{
	if (!path || !uargv)
		return -EFAULT;
	size_t budget = ARG_MAX_BYTES;
	long r = 0;
	char *p = strdup(path);
	char **argv = copy_strv(uargv, &budget, &r);
	char **envp = argv ? copy_strv(uenvp, &budget, &r) : NULL;
	if (!p)
		r = -ENOMEM;
	if (r == 0)
		r = program_check(p, (const char *const *)argv);
	if (r < 0) {
		free(p);
		free(argv);
		free(envp);
		return r;
	}
	/* The point of no return: from here a failure kills the process. */
	thread_end_others(c->t);
	reset_for_exec(c->t);
	unmap_app();
	fastpath_exec_reset();
	struct ucontext *uc = calloc(1, sizeof(*uc));
	r = uc ? load_program(p, (const char *const *)argv, (const char *const *)envp, uc) : -ENOMEM;
	if (r < 0) {
		log_error("execve %s failed after the old program was gone: %ld", p, r);
		process_kill_self(SIGSEGV);
	}
	uc->uc_sigmask = 0;
	host_jump_to_context(uc);
}

SYS(execve)
{
	return do_execve(c, (const char *)c->a[0], (char *const *)c->a[1], (char *const *)c->a[2]);
}

SYS(execveat)
{
	const char *path = (const char *)c->a[1];
	/* Only the forms that name a path the libos can resolve on its own. */
	if ((int)c->a[0] != AT_FDCWD && (!path || path[0] != '/'))
		return -ENOSYS;
	if (c->a[4])
		return -EINVAL;
	return do_execve(c, path, (char *const *)c->a[2], (char *const *)c->a[3]);
}

SYS(wait4)
{
	return host_blocking(__NR_wait4, c->a[0], c->a[1], c->a[2], c->a[3]);
}

SYS(waitid)
{
	return host_blocking(__NR_waitid, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
}
