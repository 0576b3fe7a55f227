/* Terminal ioctls that name processes or make fds. The host's terminal
 * knows host process groups and sessions; the app knows the sandbox's,
 * which nsd leads and the host mirrors (sys/process.c: setpgid, setsid).
 * So the foreground group and the session of a terminal are translated
 * both ways here, and the peer of a pty master (TIOCGPTPEER) becomes an
 * app fd. A host group with no member in the sandbox (the launching shell's,
 * on the host's terminal) reads as 0, as Linux shows a group outside the
 * caller's PID namespace. */
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include "fdrecord.h"
#include "nsd.h"
#include "process.h"
#include "signal.h"
#include "syscall.h"
#include "tty.h"
#include "../host/host.h"

/* The sandbox group (session) whose host mirror is host group (session)
 * hid: that of any live member of the sandbox in it, or 0. */
static int sandbox_id_of(long hid, bool sid)
{
	int nr = sid ? __NR_getsid : __NR_getpgid;
	if (hid == host(nr, 0))
		return (int)ids_of(0, sid);
	Nsd__Frame *rep = nsd_ps();
	if (!rep)
		return 0;
	int id = 0;
	for (size_t i = 0; !id && i < rep->proc_list->n_procs; i++) {
		const Nsd__Proc *p = rep->proc_list->procs[i];
		if (nsd_is_local(p) && !nsd_is_gone(p) && p->host_pid > 0 && host(nr, p->host_pid) == hid)
			id = (int)(sid ? p->sid : p->pgid);
	}
	nsd_free(rep);
	return id;
}

/* A terminal change from a background process: the host stops the caller's
 * group with SIGTTOU unless the thread blocks or ignores it. App signal
 * masks live in the libos (the host mask stays empty), so for the call the
 * host mask carries the app's choice: bash blocks SIGTTOU to take the
 * terminal back from a stopped job, and must get it. */
static long change_terminal(int fd, unsigned long req, uintptr_t arg)
{
	uint64_t ttou = SIGBIT(SIGTTOU), old;
	if (!(current()->sigmask & ttou) && proc.sigactions[SIGTTOU].handler != 1 /* SIG_IGN */)
		return host(__NR_ioctl, fd, req, arg);
	host(__NR_rt_sigprocmask, SIG_BLOCK, &ttou, &old, sizeof(old));
	long r = host(__NR_ioctl, fd, req, arg);
	host(__NR_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(old));
	return r;
}

long tty_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	int hid, *up = (int *)arg;
	long r;
	switch (req) {
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TCSETS2:
	case TCSETSW2:
	case TCSETSF2:
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
		return change_terminal(fd, req, arg);
	case TIOCGPGRP:
	case TIOCGSID:
		if ((r = host(__NR_ioctl, fd, req, &hid)) < 0)
			return r;
		if (!up)
			return -EFAULT;
		*up = nsd_active ? sandbox_id_of(hid, req == TIOCGSID) : hid;
		return 0;
	case TIOCSPGRP:
		if (!up)
			return -EFAULT;
		if (*up < 0)
			return -EINVAL;
		if ((r = nsd_active ? host_pgid_of(*up) : *up) < 0)
			return r;
		hid = (int)r;
		return change_terminal(fd, req, (uintptr_t)&hid);
	case TIOCGPTPEER:
		return fd_install(host(__NR_ioctl, fd, req, arg), FD_OTHER, NULL, NULL);
	default:
		return -ENOIOCTLCMD;
	}
}
