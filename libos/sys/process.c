/* Processes: fork is the host's copy-on-write fork, execve replaces the
 * app inside the same picoprocess, and wait4/waitid reap host children.
 *
 * Pids are sandbox pids (nsd.h): a child's pid comes from this process's
 * lease, the host pids of wait4/waitid are translated both ways (pids.c)
 * and nsd is told of every reap. Process groups and sessions are nsd's,
 * mirrored on the host so that host job control (the terminal's foreground
 * group, wait4 on a group) follows. */
#include <asm/errno.h>
#include <asm/prctl.h>
#include <linux/fcntl.h>
#include <linux/sched.h>
#include "appspace.h"
#include "arena.h"
#include "execmark.h"
#include "fastpath.h"
#include "fdrecord.h"
#include "fdtable.h"
#include "host/host.h"
#include "identity.h"
#include "loader.h"
#include "locks.h"
#include "log.h"
#include "nsd.h"
#include "sysv.h"
#include "process.h"
#include "rpc.h"
#include "signal.h"
#include "syscall.h"
#include "vfork.h"

#define ARG_MAX_BYTES (2 << 20)

/* Takes every libos lock (locks.h order) so the child gets them unheld.
 * Host signals are blocked first: their handlers take the thread list. */
static uint64_t fork_lock_all(void)
{
	uint64_t old = host_sigmask_block(~0ULL);
	lock(&proc.lock);
	lock(&lease_lock);
	lock(&pids_lock);
	lock(&fd_lock);
	lock(&threads_lock);
	lock(&alloc_lock);
	lock(&arena_lock);
	lock(&fastpath_lock);
	sigq_fork_lock();
	return old;
}

/* Host signals stay blocked: the caller restores them. */
static void fork_unlock_all(void)
{
	sigq_fork_unlock();
	unlock(&fastpath_lock);
	unlock(&arena_lock);
	unlock(&alloc_lock);
	unlock(&threads_lock);
	unlock(&fd_lock);
	unlock(&pids_lock);
	unlock(&lease_lock);
	unlock(&proc.lock);
}

static void become_child(struct thread *t, int pid, unsigned long flags, int *ctid)
{
	proc.ppid = proc.pid;
	proc.host_ppid = proc.host_pid;
	proc.host_pid = (int)host_getpid();
	proc.pid = pid;
	t->tid = proc.pid;
	t->host_tid = proc.host_pid;
	t->kick_sent = 0; /* the parent's kick, if one was on its way, is not ours */
	t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : NULL;
	if (flags & CLONE_CHILD_SETTID)
		*ctid = proc.pid;
	thread_keep_only(t);
	vfork_forget();
	pid_map_drop_children();
	sigq_clear_after_fork(&proc.sigq);
	sigq_clear_after_fork(&t->sigq);
}

/* fork, vfork and clone without CLONE_THREAD. The child is the host's
 * copy-on-write fork. With CLONE_VFORK the caller waits until the child
 * execs or ends, and with CLONE_VM it then sees what the child wrote
 * (vfork.c). CLONE_VM alone gives a copy, not a share: a process sharing
 * the libos's memory could not keep a libos of its own. posix_spawn's
 * child stack is honoured. */
long process_fork(struct sysctx *c, unsigned long flags, uintptr_t stack, int *ptid, int *ctid,
                  unsigned long tls)
{
	if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES | CLONE_FS | CLONE_NEWNS |
	             CLONE_NEWPID | CLONE_NEWUSER | CLONE_NEWNET | CLONE_PIDFD))
		return -EINVAL;
	long r = 0;
	struct vfork_link *vf = NULL;
	bool vf_shared = flags & CLONE_VM;
	if ((flags & CLONE_VFORK) && !(vf = vfork_prepare(vf_shared, c->uc->uc_mcontext.rsp, &r)))
		return r;
	static bool warned_vm;
	if ((flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM && !warned_vm) {
		warned_vm = true;
		log_warning("clone(CLONE_VM) without CLONE_THREAD or CLONE_VFORK: the child has a copy of the memory, not a share");
	}
	flags &= ~(CLONE_VM | CLONE_VFORK);
	/* The pid comes from the lease, with no round trip to nsd. */
	nsd_ask_ticket();
	int pid = nsd_take_pid();
	if (pid < 0) {
		if (vf)
			vfork_parent_wait(vf, 0); /* no child: its end of the pipe is the last */
		return pid;
	}
	exec_mark_fork(pid);
	/* Linux writes it before the child runs, so a vfork child sees it. */
	if (vf && vf_shared && (flags & CLONE_PARENT_SETTID))
		*ptid = pid;
	if ((flags & CSIGNAL) != SIGCHLD)
		sig_note_exit_signal((int)(flags & CSIGNAL));
	/* The host would write host pids: the libos writes the sandbox pid,
	 * and clears the app's ctid itself (SYS(exit)). The host clears the
	 * child's copy of host_alive (1, as this thread is alive) instead, as
	 * for every libos thread. */
	unsigned long hflags = (flags & ~(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID)) | CLONE_CHILD_CLEARTID;
	/* the child's ids are ours until it changes them itself */
	cred_fork_prepare(pid);
	fd_bound_prepare();
	appspace_prepare();
	uint64_t saved = fork_lock_all();
	r = host(__NR_clone, hflags, 0, NULL, &c->t->host_alive, tls);
	if (r >= 0)
		nsd_fork_ticket(r == 0);
	if (r == 0)
		become_child(c->t, pid, flags, ctid);
	fork_unlock_all();
	/* Recorded before host signals are unblocked: the child's SIGCHLD
	 * must find it. */
	if (r > 0)
		pid_map_add(pid, (int)r, true);
	host_sigmask_restore(saved);
	if (r == 0) {
		if (vf)
			vfork_child_start(vf);
		nsd_child_start();
		sysv_fork_child();
		if (stack)
			c->uc->uc_mcontext.rsp = stack;
		return 0;
	}
	if (r > 0) {
		nsd_register_child(pid, (int)r);
		r = pid;
	}
	if (r < 0)
		cred_fork_failed(pid);
	if (r > 0 && (flags & CLONE_PARENT_SETTID))
		*ptid = (int)r;
	if (vf)
		vfork_parent_wait(vf, c->uc->uc_mcontext.rsp);
	return r;
}

SYS(fork)
{
	return process_fork(c, SIGCHLD, 0, NULL, NULL, 0);
}

SYS(vfork)
{
	return process_fork(c, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, NULL, NULL, 0);
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
	prctl_after_exec();
}

static long do_execve(struct sysctx *c, const char *path, char *const *uargv, char *const *uenvp)
{
	if (!path) /* a NULL argv or envp is empty, as on Linux */
		return -EFAULT;
	size_t budget = ARG_MAX_BYTES;
	long r = 0;
	char *p = strdup(path);
	char **argv = copy_strv(uargv, &budget, &r);
	char **envp = argv ? copy_strv(uenvp, &budget, &r) : NULL;
	struct program *prog = NULL;
	if (!p)
		r = -ENOMEM;
	if (r == 0)
		r = program_check(p, (const char *const *)argv, &prog);
	if (r < 0) {
		free(p);
		free(argv);
		free(envp);
		return r;
	}
	/* The point of no return: from here a failure kills the process. One
	 * thread passes it; another that comes to it meanwhile ends, as
	 * Linux's de_thread kills it (the winner waits for it to be gone). */
	static int exec_owner;
	if (__atomic_exchange_n(&exec_owner, 1, __ATOMIC_ACQ_REL)) {
		program_discard(prog);
		free(p);
		free(argv);
		free(envp);
		for (;;)
			host(__NR_exit, 0);
	}
	thread_end_others(c->t);
	__atomic_store_n(&exec_owner, 0, __ATOMIC_RELEASE);
	exec_mark_exec(); /* before a vfork parent resumes */
	vfork_release();
	/* The thread that execs takes the process's pid as its tid (the
	 * leader's, on Linux). */
	c->t->tid = proc.pid;
	reset_for_exec(c->t);
	cred_exec();
	appspace_unmap_all();
	sysv_exec();
	fastpath_exec_reset();
	struct ucontext *uc = calloc(1, sizeof(*uc));
	r = uc ? load_checked(prog, p, (const char *const *)envp, uc) : -ENOMEM;
	if (r < 0) {
		log_error("execve %s failed after the old program was gone: %ld", p, r);
		process_kill_self(SIGSEGV);
	}
	uc->uc_sigmask = c->t->host_tty_stops;
	nsd_exec_done();
	host_jump_to_context(uc);
}

SYS(execve)
{
	return do_execve(c, (const char *)c->a[0], (char *const *)c->a[1], (char *const *)c->a[2]);
}

SYS(execveat)
{
	const char *path = (const char *)c->a[1];
	char fd_path[32];
	if (c->a[4] & ~AT_EMPTY_PATH)
		return -EINVAL;
	/* fexecve's form: the fd itself, as /proc/self/fd/N names it */
	if ((c->a[4] & AT_EMPTY_PATH) && path && !path[0] && (int)c->a[0] != AT_FDCWD) {
		snprintf(fd_path, sizeof(fd_path), "/proc/self/fd/%d", (int)c->a[0]);
		path = fd_path;
	}
	/* Only the forms that name a path the libos can resolve on its own. */
	if ((int)c->a[0] != AT_FDCWD && path[0] != '/')
		return -ENOSYS;
	return do_execve(c, path, (char *const *)c->a[2], (char *const *)c->a[3]);
}

#define P_ALL 0
#define P_PID 1
#define P_PGID 2
#define WNOWAIT 0x01000000
#define WNOHANG 0x00000001
#define CLD_EXITED 1
#define CLD_DUMPED 3

/* The host process group of sandbox group pgid: its leader's, as the
 * mirrored setpgid made it (or the leader's host pid once it is gone). */
long host_pgid_of(int pgid)
{
	if (pgid == proc.pgid)
		return host(__NR_getpgid, 0);
	int h = pid_to_host(pgid);
	if (h < 0)
		return h;
	long r = host(__NR_getpgid, h);
	return r > 0 ? r : h;
}

/* A wait's pid argument in host terms: a child (or an orphan adopted by
 * init or a subreaper: the host's child relation decides), a group, or -1. */
static long wait_pid_to_host(long pid)
{
	if (pid == -1 || pid == 0)
		return pid;
	if (pid < 0) {
		long h = pid == INT32_MIN ? -ESRCH : host_pgid_of((int)-pid);
		return h < 0 ? -ECHILD : -h;
	}
	int h = pid_to_host_waitable((int)pid);
	return h < 0 ? -ECHILD : h;
}

/* A host child the wait reported, in sandbox terms; reaped tells nsd. */
static int wait_pid_from_host(int host_pid, bool reaped)
{
	int pid = pid_from_host(host_pid);
	if (!pid)
		pid = pid_from_host_lookup(host_pid);
	if (reaped && pid > 0) {
		nsd_reap(pid);
		cred_forget(pid);
	}
	if (reaped) /* its SEM_UNDO and shm attachments, if it died unheard */
		sysv_reap_dead();
	return pid;
}

SYS(wait4)
{
	int *ustatus = (int *)c->a[1];
	long hpid = wait_pid_to_host((int)c->a[0]);
	if (hpid == -ECHILD)
		return hpid;
	int status = 0;
	long r = host_blocking(__NR_wait4, hpid, &status, c->a[2], c->a[3]);
	if (r == -EINTR) {
		/* Linux's wait looks for an ended child before it looks at
		 * signals: a SIGCHLD that came just before the host wait (its
		 * child's) must not make it EINTR. */
		long again = host(__NR_wait4, hpid, &status, c->a[2] | WNOHANG, c->a[3]);
		r = again ? again : -EINTR;
	}
	if (r <= 0)
		return r;
	/* Exited or killed: gone; stopped or continued: still a child. */
	bool reaped = (status & 0x7f) == 0 || ((status & 0x7f) != 0x7f && status != 0xffff);
	r = wait_pid_from_host((int)r, reaped);
	if (ustatus)
		*ustatus = status;
	return r;
}

SYS(waitid)
{
	int idtype = (int)c->a[0];
	long id = (int)c->a[1];
	siginfo_t *uinfo = (siginfo_t *)c->a[2];
	int options = (int)c->a[3];
	if (idtype == P_PID) {
		id = id > 0 ? wait_pid_to_host(id) : -ECHILD;
	} else if (idtype == P_PGID) {
		id = id > 0 ? wait_pid_to_host(-id) : wait_pid_to_host(0);
		if (id != -ECHILD)
			id = -id;
	}
	if (id == -ECHILD && (idtype == P_PID || idtype == P_PGID))
		return id;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	long r = host_blocking(__NR_waitid, idtype, id, &si, options, c->a[4]);
	if (r == -EINTR) { /* as in wait4 */
		r = host(__NR_waitid, idtype, id, &si, options | WNOHANG, c->a[4]);
		if (r == 0 && !si.si_pid)
			r = -EINTR;
	}
	if (r < 0)
		return r;
	if (si.si_pid) {
		bool reaped = !(options & WNOWAIT) && si.si_code >= CLD_EXITED && si.si_code <= CLD_DUMPED;
		int pid = pid_from_host(si.si_pid);
		si.si_uid = cred_real_uid(pid); /* the child's, before a reap forgets it */
		si.si_pid = wait_pid_from_host(si.si_pid, reaped);
	}
	if (uinfo)
		*uinfo = si;
	return r;
}

/* Identity: sandbox ids from nsd. */
SYS(getpid) { return proc.pid; }

SYS(getppid) { return parent_pid(); }

/* Our own group and session: another process (our parent) may have moved
 * us, which the host mirror shows; then nsd has the new ids. */
static void refresh_ids(void)
{
	long hpgid = host(__NR_getpgid, 0), hsid = host(__NR_getsid, 0);
	if (hpgid != proc.host_pgid || hsid != proc.host_sid) {
		Nsd__Frame *rep = nsd_lookup(proc.pid);
		if (rep) {
			proc.pgid = (int)rep->proc->pgid;
			proc.sid = (int)rep->proc->sid;
			nsd_free(rep);
		}
	}
	proc.host_pgid = (int)hpgid;
	proc.host_sid = (int)hsid;
}

/* pgid (sid) of another process of the sandbox. */
long ids_of(long pid, bool sid)
{
	if (pid < 0)
		return -ESRCH; /* no such process, as Linux finds none */
	if (pid == 0 || pid == proc.pid || thread_by_tid((int)pid)) { /* a tid names its process */
		refresh_ids();
		return sid ? proc.sid : proc.pgid;
	}
	Nsd__Frame *rep = nsd_lookup((int)pid);
	if (!rep) /* a thread of another process names its process */
		rep = rpc_thread_process((int)pid);
	if (!rep)
		return -ESRCH;
	long r = sid ? rep->proc->sid : rep->proc->pgid;
	/* "lost" (killed, no Exit) is a zombie until reaped: still found */
	if (!strcmp(rep->proc->state, "reaped"))
		r = -ESRCH;
	nsd_free(rep);
	return r;
}

SYS(getpgrp) { return ids_of(0, false); }
SYS(getpgid) { return ids_of((int)c->a[0], false); }
SYS(getsid) { return ids_of((int)c->a[0], true); }

/* nsd applies Linux's rules; the host then gets the same change in host
 * pids, for the terminal and for wait4 on a group. */
SYS(setpgid)
{
	long pid = (int)c->a[0], pgid = (int)c->a[1];
	/* Linux's order: 0 means the caller (and its pid), then the checks */
	pid = pid ? pid : proc.pid;
	pgid = pgid ? pgid : pid;
	if (pgid < 0)
		return -EINVAL;
	if (pid < 0)
		return -ESRCH;
	if (pid != proc.pid && thread_by_tid((int)pid))
		return -EINVAL; /* a thread but the leader */
	Nsd__Frame *rep = NULL;
	Nsd__SetPgid sp = NSD__SET_PGID__INIT;
	sp.caller = (uint32_t)proc.pid;
	sp.pid = (uint32_t)pid;
	sp.pgid = (uint32_t)pgid;
	/* What nsd may not know yet (execmark.c) */
	sp.execed = pid != proc.pid && pid_is_child((int)pid) && exec_mark_seen((int)pid);
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_SETPGID, &sp);
	int r = nsd_call(&f, &rep);
	if (r < 0)
		return r;
	int target = (int)rep->ids->pid, group = (int)rep->ids->pgid;
	nsd_free(rep);
	long htarget = target == proc.pid ? 0 : pid_to_host(target);
	long hgroup = group == target ? 0 : host_pgid_of(group);
	if (htarget >= 0 && hgroup >= 0)
		host(__NR_setpgid, htarget, hgroup);
	if (target == proc.pid)
		refresh_ids();
	return 0;
}

SYS(setsid)
{
	Nsd__Frame *rep = NULL;
	Nsd__SetSid ss = NSD__SET_SID__INIT;
	ss.caller = (uint32_t)proc.pid;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_SETSID, &ss);
	int r = nsd_call(&f, &rep);
	if (r < 0)
		return r;
	nsd_free(rep);
	/* The host refuses a host group leader (pid 1 started by a job-control
	 * shell): it then stays in the host session it has. */
	host(__NR_setsid);
	refresh_ids();
	return proc.sid;
}
