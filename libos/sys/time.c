/* Time and timers pass through to the host: they hold no host names, and a
 * timer's host signal is turned into an app signal by the libos handler. */
#include <asm/errno.h>
#include <asm/siginfo.h>
#include "host/host.h"
#include "signal.h"
#include "syscall.h"

SYS(clock_gettime) { return host(__NR_clock_gettime, c->a[0], c->a[1]); }
SYS(clock_getres) { return host(__NR_clock_getres, c->a[0], c->a[1]); }
SYS(gettimeofday) { return host(__NR_gettimeofday, c->a[0], c->a[1]); }
SYS(time) { return host(__NR_time, c->a[0]); }
SYS(nanosleep) { return host_blocking(__NR_nanosleep, c->a[0], c->a[1]); }
SYS(clock_nanosleep) { return host_blocking(__NR_clock_nanosleep, c->a[0], c->a[1], c->a[2], c->a[3]); }
SYS(alarm) { return host(__NR_alarm, c->a[0]); }
SYS(setitimer) { return host(__NR_setitimer, c->a[0], c->a[1], c->a[2]); }
SYS(getitimer) { return host(__NR_getitimer, c->a[0], c->a[1]); }
/* Timers whose signal goes to one thread (SIGEV_THREAD_ID, as glibc's
 * SIGEV_THREAD timers use for their helper thread): the host's timer names
 * that thread's host tid, and the libos queues the signal to the thread
 * (signal.c). Kernel timer ids are small and reused. */
#define THREAD_TIMERS 1024
static uint64_t thread_timers[THREAD_TIMERS / 64];

static void mark_timer(long id, bool thread)
{
	if (id < 0 || id >= THREAD_TIMERS)
		return;
	if (thread)
		__atomic_or_fetch(&thread_timers[id / 64], 1ULL << (id % 64), __ATOMIC_RELEASE);
	else
		__atomic_and_fetch(&thread_timers[id / 64], ~(1ULL << (id % 64)), __ATOMIC_RELEASE);
}

bool timer_targets_thread(int id)
{
	return id >= 0 && id < THREAD_TIMERS &&
	       (__atomic_load_n(&thread_timers[id / 64], __ATOMIC_ACQUIRE) >> (id % 64) & 1);
}

SYS(timer_create)
{
	const sigevent_t *uev = (const void *)c->a[1];
	sigevent_t ev;
	bool to_thread = uev && uev->sigev_notify == SIGEV_THREAD_ID;
	if (to_thread) {
		ev = *uev;
		struct thread *t = thread_by_tid(ev.sigev_notify_thread_id);
		if (!t)
			return -EINVAL;
		ev.sigev_notify_thread_id = t->host_tid;
		uev = &ev;
	}
	long r = host(__NR_timer_create, c->a[0], uev, c->a[2]);
	if (r == 0)
		mark_timer(*(int *)c->a[2], to_thread);
	return r;
}
SYS(timer_settime) { return host(__NR_timer_settime, c->a[0], c->a[1], c->a[2], c->a[3]); }
SYS(timer_gettime) { return host(__NR_timer_gettime, c->a[0], c->a[1]); }
SYS(timer_getoverrun) { return host(__NR_timer_getoverrun, c->a[0]); }
SYS(timer_delete)
{
	long r = host(__NR_timer_delete, c->a[0]);
	if (r == 0)
		mark_timer((int)c->a[0], false);
	return r;
}
