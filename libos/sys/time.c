/* Time and timers pass through to the host: they hold no host names, and a
 * timer's host signal is turned into an app signal by the libos handler. */
#include <asm/errno.h>
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
SYS(timer_create) { return host(__NR_timer_create, c->a[0], c->a[1], c->a[2]); }
SYS(timer_settime) { return host(__NR_timer_settime, c->a[0], c->a[1], c->a[2], c->a[3]); }
SYS(timer_gettime) { return host(__NR_timer_gettime, c->a[0], c->a[1]); }
SYS(timer_getoverrun) { return host(__NR_timer_getoverrun, c->a[0]); }
SYS(timer_delete) { return host(__NR_timer_delete, c->a[0]); }
