/* setpgid by a parent on a child that has exec'd is EACCES. nsd records the
 * exec (the child registers again, not awaited: an exec pays no round trip),
 * but the parent's setpgid, on its own connection, may reach nsd first even
 * when the parent saw the new program run (it wrote to a pipe): nsd reads
 * connections in no order between them. So the exec is also marked here,
 * before the new program runs, in memory every process of the launch shares
 * (MAP_SHARED in the arena, inherited by fork, kept by execve), and the
 * parent tells nsd what it saw (SetPgid.execed).
 *
 * One word per pid modulo the table size, holding the pid once it exec'd;
 * the parent clears it at the fork. Another pid with the same slot
 * overwrites it: that pid is then not seen here, and nsd's record decides
 * (the race above comes back for it only). The app can write the table, as
 * any libos memory: what it could gain is a wrong setpgid answer among its
 * own processes. */
#include <linux/mman.h>
#include "arena.h"
#include "execmark.h"
#include "host/host.h"
#include "process.h"

#define SLOTS 65536 /* 256 KiB, touched only where pids are */

static int *marks;
static struct lock marks_lock = LOCK_INIT;

void exec_mark_fork(int pid)
{
	/* Made at the first fork of a launch's first process: every other
	 * process of the launch comes from that fork on. */
	if (!__atomic_load_n(&marks, __ATOMIC_ACQUIRE)) {
		lock(&marks_lock);
		void *p = marks ? NULL : arena_alloc_high(SLOTS * sizeof(int));
		if (p) {
			void *m = host_mmap(p, SLOTS * sizeof(int), PROT_READ | PROT_WRITE,
			                    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
			if (!host_err((long)m))
				__atomic_store_n(&marks, (int *)m, __ATOMIC_RELEASE);
		}
		unlock(&marks_lock);
	}
	if (marks) {
		int old = pid;
		__atomic_compare_exchange_n(&marks[pid % SLOTS], &old, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
}

void exec_mark_exec(void)
{
	if (marks)
		__atomic_store_n(&marks[proc.pid % SLOTS], proc.pid, __ATOMIC_RELEASE);
}

bool exec_mark_seen(int pid)
{
	return marks && pid > 0 && __atomic_load_n(&marks[pid % SLOTS], __ATOMIC_ACQUIRE) == pid;
}
