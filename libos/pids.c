/* Sandbox pid <-> host pid. The app sees only sandbox pids; the host calls
 * that name a process (wait4, kill, setpgid) need its host pid. Children
 * are known from fork and kept until reaped; any other picoprocess is
 * asked of nsd (Lookup) and cached until a host call says it is gone.
 * Host signal handlers read the map (SIGCHLD's si_pid), so it is only
 * locked with host signals blocked, like the thread list. */
#include <asm/errno.h>
#include <linux/time_types.h>
#include "host/host.h"
#include "locks.h"
#include "nsd.h"
#include "process.h"

struct pid_entry {
	int pid, host_pid;
	bool child;
};

struct lock pids_lock __fork_hot = LOCK_INIT;
static struct pid_entry *map __fork_hot;
static size_t map_len __fork_hot, map_cap __fork_hot;

static uint64_t pids_enter(void)
{
	return lock_nosig(&pids_lock);
}

static void pids_leave(uint64_t old)
{
	unlock_nosig(&pids_lock, old);
}

/* With the lock held. */
static struct pid_entry *find(int pid, int host_pid)
{
	for (size_t i = 0; i < map_len; i++)
		if ((pid && map[i].pid == pid) || (host_pid && map[i].host_pid == host_pid))
			return &map[i];
	return NULL;
}

void pid_map_add(int pid, int host_pid, bool child)
{
	uint64_t m = pids_enter();
	struct pid_entry *e = find(pid, 0);
	child = child || (e && e->child);
	if (!e && map_len == map_cap) {
		size_t cap = map_cap ? 2 * map_cap : 16;
		struct pid_entry *n = realloc(map, cap * sizeof(*n));
		if (n) {
			map = n;
			map_cap = cap;
		}
	}
	if (!e && map_len < map_cap)
		e = &map[map_len++];
	if (e)
		*e = (struct pid_entry){ pid, host_pid, child };
	pids_leave(m);
}

void pid_map_forget(int pid)
{
	uint64_t m = pids_enter();
	struct pid_entry *e = find(pid, 0);
	if (e)
		*e = map[--map_len];
	pids_leave(m);
}

int pid_from_host(int host_pid)
{
	if (host_pid == proc.host_pid)
		return proc.pid;
	uint64_t m = pids_enter();
	struct pid_entry *e = host_pid > 0 ? find(0, host_pid) : NULL;
	int pid = e ? e->pid : 0;
	pids_leave(m);
	return pid;
}

/* lost_ok: a "lost" record (dead without its Exit, or its claim not yet
 * in) still names a host child until it is reaped: for wait only, where
 * the host refuses any host pid that is not our child. */
static int to_host(int pid, bool lost_ok)
{
	if (pid <= 0)
		return -ESRCH;
	if (pid == proc.pid)
		return proc.host_pid;
	uint64_t m = pids_enter();
	struct pid_entry *e = find(pid, 0);
	int host_pid = e ? e->host_pid : 0;
	pids_leave(m);
	if (host_pid)
		return host_pid;
	Nsd__Frame *rep = nsd_lookup(pid);
	if (!rep)
		return -ESRCH;
	host_pid = rep->proc->host_pid;
	bool remote = !nsd_is_local(rep->proc);
	/* A waitable one is ours, so on this host: a host pid of another
	 * host could be one of our children here. */
	bool gone = (lost_ok ? !strcmp(rep->proc->state, "reaped") || remote : nsd_is_gone(rep->proc)) ||
	            host_pid <= 0;
	nsd_free(rep);
	if (gone)
		return -ESRCH;
	if (remote)
		return -EREMOTE;
	pid_map_add(pid, host_pid, false);
	return host_pid;
}

int pid_to_host(int pid)
{
	return to_host(pid, false);
}

int pid_to_host_waitable(int pid)
{
	return to_host(pid, true);
}

void pid_map_drop_children(void)
{
	/* In a fork child, with the lock held by the fork: the parent's
	 * children are its siblings now; the cached others stay valid. */
	for (size_t i = 0; i < map_len;)
		if (map[i].child)
			map[i] = map[--map_len];
		else
			i++;
}

bool pid_is_child(int pid)
{
	uint64_t m = pids_enter();
	struct pid_entry *e = find(pid, 0);
	bool child = e && e->child;
	pids_leave(m);
	return child;
}

bool pid_map_has_children(void)
{
	uint64_t m = pids_enter();
	bool any = false;
	for (size_t i = 0; i < map_len && !any; i++)
		any = map[i].child;
	pids_leave(m);
	return any;
}

int pid_from_host_lookup(int host_pid)
{
	/* An orphan's registration came from its late parent, on another
	 * connection: nsd may not have applied it yet when we ask. */
	for (int tries = 0; tries < 50; tries++) {
		Nsd__Frame *rep = nsd_ps();
		if (!rep)
			return 0;
		int pid = 0;
		for (size_t i = 0; i < rep->proc_list->n_procs; i++) {
			const Nsd__Proc *p = rep->proc_list->procs[i];
			/* A lost one is still a child to reap: only "reaped" is no one. */
			if (p->host_pid == host_pid && nsd_is_local(p) && strcmp(p->state, "reaped"))
				pid = (int)p->pid;
		}
		nsd_free(rep);
		if (pid)
			return pid;
		struct __kernel_timespec ts = { 0, 2000000 };
		host(__NR_nanosleep, &ts, NULL);
	}
	return 0;
}
