/* Process-wide libos state of this picoprocess. */
#ifndef LIBOS_PROCESS_H
#define LIBOS_PROCESS_H

#include "rt.h"
#include "thread.h"

struct app_sigaction {
	uintptr_t handler; /* SIG_DFL (0), SIG_IGN (1) or a function */
	unsigned long flags;
	uintptr_t restorer;
	sigset64_t mask;
};

struct process {
	int pid, ppid, pgid, sid; /* sandbox ids (nsd's), or the host's without nsd */
	int host_pid;
	/* What the host said last: a change means the parent died (getppid)
	 * or another process moved this one (getpgid), see sys/process.c. */
	int host_ppid, host_pgid, host_sid;
	struct lock lock; /* guards cwd, brk, the sigaction table, RLIMIT_STACK (loader.c) */
	char *cwd;        /* sandbox path, canonical */
	char *exe;        /* sandbox path of the running program */
	char *cmdline;    /* argv joined by NULs, as /proc/[pid]/cmdline shows it */
	size_t cmdline_len;
	uintptr_t brk_start, brk_cur, brk_max;
	/* The app's own layout, which /proc/self/stat shows instead of the
	 * host's (that is, the libos's): the executable's code, the initial
	 * stack pointer, the argv and envp strings. */
	uintptr_t start_code, end_code, start_stack, arg_start, arg_end, env_start, env_end;
	struct app_sigaction sigactions[NSIG_APP + 1];
	struct sigqueue sigq; /* process-directed app signals */
	int umask;
	/* auxv items the libos passes on from its own start-up */
	uintptr_t vdso, hwcap, hwcap2, minsigstksz;
};

extern struct process proc;

/* execve resets what prctl recorded for the old program (sys/misc.c). */
void prctl_after_exec(void);

#endif
