/* Terminal ioctls that name processes or make fds. The host's terminal
 * knows host process groups and sessions; the app knows the sandbox's,
 * which nsd leads and the host mirrors (sys/process.c: setpgid, setsid).
 * So the foreground group and the session of a terminal are translated
 * both ways here, and the peer of a pty master (TIOCGPTPEER) becomes an
 * app fd. A host group with no member in the sandbox (the launching shell's,
 * on the host's terminal) reads as 0, as Linux shows a group outside the
 * caller's PID namespace. */
#include <asm/ioctls.h>
#include "fdrecord.h"
#include "nsd.h"
#include "process.h"
#include "syscall.h"
#include "tty.h"
#include "../host/host.h"

/* The sandbox group (session) whose host mirror is host group (session)
 * hid: that of any member of the sandbox in it (live or zombie), or 0 (also
 * for a group the terminal still names after its last member was reaped,
 * where Linux shows its number). */
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

long tty_ioctl(int fd, unsigned long req, uintptr_t arg)
{
	int hid, *up = (int *)arg;
	long r;
	switch (req) {
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
		return host(__NR_ioctl, fd, req, &hid);
	case TIOCGPTPEER:
		return fd_install(host(__NR_ioctl, fd, req, arg), FD_OTHER, NULL, NULL);
	default:
		return -ENOIOCTLCMD;
	}
}

/* ps reads every process's stat, mostly naming the same foreground group:
 * the last answer, checked against the host before it is trusted again (a
 * host group's number is its leader's host pid, free for reuse once the
 * group is gone). */
static struct {
	long hid;
	int pgid;
} last_tpgid;

int tty_stat_tpgid(const char *tpgid, const char *host_pgrp, int pgid)
{
	uint64_t h, own;
	if (!parse_u64(tpgid, &h) || h > 0x7fffffff)
		return -1; /* "-1": no terminal */
	if (!nsd_active)
		return (int)h;
	if (parse_u64(host_pgrp, &own) && own == h)
		return pgid;
	long hid = __atomic_load_n(&last_tpgid.hid, __ATOMIC_RELAXED);
	int cached = __atomic_load_n(&last_tpgid.pgid, __ATOMIC_RELAXED);
	if (hid == (long)h && cached > 0 && host_pgid_of(cached) == hid)
		return cached;
	int id = sandbox_id_of((long)h, false);
	__atomic_store_n(&last_tpgid.hid, (long)h, __ATOMIC_RELAXED);
	__atomic_store_n(&last_tpgid.pgid, id, __ATOMIC_RELAXED);
	return id;
}
