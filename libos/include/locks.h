/* Every libos lock, in nesting order: code holding one of them may take only
 * later ones (for example fd_lock, then alloc_lock inside free()). fork
 * takes them all in this order, so that no lock is copied into the child
 * while another thread held it. */
#ifndef LIBOS_LOCKS_H
#define LIBOS_LOCKS_H

#include "rt.h"

/* proc.lock (process.h) comes first. */
extern struct lock nsd_lock;     /* nsd.c: the connection to nsd (a fork child resets it) */
extern struct lock lease_lock;   /* nsd.c: the pid lease */
extern struct lock pids_lock;    /* pids.c: pid maps, taken with host signals blocked */
extern struct lock fd_lock;      /* fs/fdtable.c: the fd records */
extern struct lock threads_lock; /* thread.c: the thread list */
extern struct lock alloc_lock;   /* rt/alloc.c: malloc's bins */
extern struct lock arena_lock;   /* rt/arena.c: the page spans */
extern struct lock fastpath_lock; /* fastpath.c: rewriting syscall sites */
/* sigqueue.c's spinlock is last; it is taken with host signals blocked. */

#endif
