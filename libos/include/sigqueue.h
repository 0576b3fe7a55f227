/* Pending app signals: one queue per thread and one per process. Standard
 * signals coalesce (one slot each); real-time signals queue in order, from a
 * fixed pool, since host signal handlers may add to a queue at any moment
 * and must not allocate. `bits` is the summary read without the lock. */
#ifndef LIBOS_SIGQUEUE_H
#define LIBOS_SIGQUEUE_H

#include "ktypes.h"
#include <stdint.h>

#define SIGRT_FIRST 32
#define NSIG_APP 64

struct sigq_node;

struct sigqueue {
	/* What a fork child clears first, together: std[] is 4 KiB. */
	uint64_t bits;
	struct sigq_node *rt_head[NSIG_APP - SIGRT_FIRST + 1], *rt_tail[NSIG_APP - SIGRT_FIRST + 1];
	siginfo_t std[SIGRT_FIRST - 1];
};

/* Adds a signal; -EAGAIN when the real-time pool is exhausted. */
int sigq_add(struct sigqueue *q, int sig, const siginfo_t *info);
/* The app's soft RLIMIT_SIGPENDING: sigq_add's -EAGAIN past it. */
void sigq_set_limit(uint64_t soft);
/* Removes the lowest signal of `allowed` from q; 0 if none. */
int sigq_take(struct sigqueue *q, uint64_t allowed, siginfo_t *info);
/* Drops every queued instance of sig (SIG_IGN discards pending signals). */
void sigq_discard(struct sigqueue *q, int sig);
/* fork, with host signals already blocked: take the queue lock, and in the
 * child empty a queue (a child starts with nothing pending), before
 * sigq_fork_unlock. */
void sigq_fork_lock(void);
void sigq_fork_unlock(void);
void sigq_clear_after_fork(struct sigqueue *q);
static inline uint64_t sigq_bits(const struct sigqueue *q)
{
	return __atomic_load_n(&q->bits, __ATOMIC_ACQUIRE);
}

#endif
