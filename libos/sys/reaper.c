/* PR_SET_CHILD_SUBREAPER and the parent a process has after reparenting.
 *
 * The host does the reparenting: a picoprocess whose app asks to be a
 * subreaper becomes the host's subreaper too (the site's filter lets prctl
 * through for that option only), so an orphaned host descendant becomes its
 * host child, which it can wait for. nsd is told, so that its records (ps,
 * /proc of others, Reap) reparent the same way (nsd/apply.c find_reaper).
 * pid 1 is a host subreaper from the start (start.c) and stays one. */
#include <asm/errno.h>
#include <linux/prctl.h>
#include "host/host.h"
#include "nsd.h"
#include "process.h"
#include "syscall.h"

/* Keyed by the pid that set it: a fork child, which Linux makes no
 * subreaper, has another pid. execve keeps it, as on Linux. */
static int subreaper_pid;

long subreaper_set(bool on)
{
	if (proc.pid != 1) {
		long r = host(__NR_prctl, PR_SET_CHILD_SUBREAPER, on, 0, 0, 0);
		if (r < 0)
			return r;
	}
	Nsd__Frame *rep = NULL;
	Nsd__SetSubreaper ss = NSD__SET_SUBREAPER__INIT;
	ss.caller = (uint32_t)proc.pid;
	ss.on = on;
	Nsd__Frame f = nsd_frame(NSD__FRAME__BODY_SET_SUBREAPER, &ss);
	/* Awaited: an orphan's Exit from another connection must find it. */
	int r = nsd_call(&f, &rep);
	if (r < 0)
		return r;
	nsd_free(rep);
	subreaper_pid = on ? proc.pid : 0;
	return 0;
}

int subreaper_get(void)
{
	return subreaper_pid && subreaper_pid == proc.pid;
}

/* Linux's getppid follows reparenting: once the host parent changed, the
 * parent is the process the host gave it to (the nearest subreaper, or
 * pid 1), in sandbox terms; one outside the sandbox shows as init. */
int parent_pid(void)
{
	if (proc.ppid > 1) {
		long hp = host(__NR_getppid);
		if (hp != proc.host_ppid) {
			proc.host_ppid = (int)hp;
			int pid = pid_from_host((int)hp);
			if (!pid)
				pid = pid_from_host_lookup((int)hp);
			proc.ppid = pid > 0 ? pid : 1;
		}
	}
	return proc.ppid;
}
