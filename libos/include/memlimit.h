/* RLIMIT_AS and RLIMIT_DATA of the app, kept by the libos (sys/memlimit.c). */
#ifndef LIBOS_MEMLIMIT_H
#define LIBOS_MEMLIMIT_H

#include <linux/resource.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* At start-up: the host's limits, or sys.max_memory's (blob rlimit_as). */
void memlimit_init(void);
/* prlimit64 of RLIMIT_AS or RLIMIT_DATA. */
long memlimit_rlimit(int res, const struct rlimit64 *new, struct rlimit64 *old);
/* A new mapping of len bytes at addr (fixed: replacing what is there;
 * data: private and writable) within the limits? 0 or -ENOMEM. */
int memlimit_check(uintptr_t addr, size_t len, bool fixed, bool data);
/* brk from start to want within RLIMIT_DATA? */
bool memlimit_brk_ok(uintptr_t start, uintptr_t want);

#endif
