/* Signal queues. One spinlock guards all of them; it is only taken with the
 * host's async signals blocked, so a host handler on the same thread can
 * never find it held. */
#include <asm/errno.h>
#include "host/host.h"
#include "rt.h"
#include "sigqueue.h"

#define SIGBIT(sig) (1ULL << ((sig) - 1))
#define POOL_SIZE 512 /* queued real-time signals per picoprocess (RLIMIT_SIGPENDING) */
/* Async signals: everything but the synchronous faults. SIGSYS too: one
 * sent by another process is queued here from the SIGSYS handler. */
#define ASYNC_MASK (~(SIGBIT(4) | SIGBIT(5) | SIGBIT(7) | SIGBIT(8) | SIGBIT(11)))

struct sigq_node {
	struct sigq_node *next;
	siginfo_t info;
};

static struct sigq_node pool[POOL_SIZE];
static struct sigq_node *free_nodes __fork_hot;
static bool pool_ready __fork_hot;
static int sigq_lock __fork_hot;
/* The app's RLIMIT_SIGPENDING (soft), counted in queued real-time signals
 * of this picoprocess (Linux counts every queued signal of the user). */
static uint64_t rt_limit = POOL_SIZE, rt_used __fork_hot;

void sigq_set_limit(uint64_t soft)
{
	__atomic_store_n(&rt_limit, soft, __ATOMIC_RELAXED);
}

/* The spinlock itself (fork takes it directly, with host signals blocked). */
void sigq_fork_lock(void)
{
	while (__atomic_exchange_n(&sigq_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

void sigq_fork_unlock(void)
{
	__atomic_store_n(&sigq_lock, 0, __ATOMIC_RELEASE);
}

static uint64_t enter(void)
{
	uint64_t old = host_sigmask_block(ASYNC_MASK);
	sigq_fork_lock();
	if (!pool_ready) {
		for (int i = 0; i < POOL_SIZE; i++) {
			pool[i].next = free_nodes;
			free_nodes = &pool[i];
		}
		pool_ready = true;
	}
	return old;
}

static void leave(uint64_t old)
{
	sigq_fork_unlock();
	host_sigmask_restore(old);
}

int sigq_add(struct sigqueue *q, int sig, const siginfo_t *info)
{
	int r = 0;
	uint64_t old = enter();
	if (sig < SIGRT_FIRST) {
		if (!(q->bits & SIGBIT(sig)))
			q->std[sig - 1] = *info;
	} else if (!free_nodes || (rt_used >= __atomic_load_n(&rt_limit, __ATOMIC_RELAXED) &&
	                           info->si_code != SI_USER /* kill(2) passes, as on Linux */)) {
		r = -EAGAIN;
	} else {
		struct sigq_node *n = free_nodes;
		free_nodes = n->next;
		rt_used++;
		n->next = NULL;
		n->info = *info;
		int i = sig - SIGRT_FIRST;
		if (q->rt_tail[i])
			q->rt_tail[i]->next = n;
		else
			q->rt_head[i] = n;
		q->rt_tail[i] = n;
	}
	if (!r)
		__atomic_or_fetch(&q->bits, SIGBIT(sig), __ATOMIC_RELEASE);
	leave(old);
	return r;
}

/* Called with the lock held. */
static void take_one(struct sigqueue *q, int sig, siginfo_t *info)
{
	if (sig < SIGRT_FIRST) {
		*info = q->std[sig - 1];
		__atomic_and_fetch(&q->bits, ~SIGBIT(sig), __ATOMIC_RELEASE);
		return;
	}
	int i = sig - SIGRT_FIRST;
	struct sigq_node *n = q->rt_head[i];
	*info = n->info;
	q->rt_head[i] = n->next;
	if (!n->next) {
		q->rt_tail[i] = NULL;
		__atomic_and_fetch(&q->bits, ~SIGBIT(sig), __ATOMIC_RELEASE);
	}
	n->next = free_nodes;
	free_nodes = n;
	rt_used--;
}

int sigq_take(struct sigqueue *q, uint64_t allowed, siginfo_t *info)
{
	if (!(sigq_bits(q) & allowed))
		return 0;
	uint64_t old = enter();
	uint64_t bits = q->bits & allowed;
	int sig = bits ? __builtin_ctzll(bits) + 1 : 0;
	if (sig)
		take_one(q, sig, info);
	leave(old);
	return sig;
}

void sigq_clear_after_fork(struct sigqueue *q)
{
	/* Only the forking thread lives on, and it holds the lock. Every queue
	 * it keeps is emptied, and the other threads' queues are gone with
	 * them, so the pool starts afresh (enter() fills it again). An empty
	 * queue, the usual one, is not written: that would cost its page a
	 * copy-on-write fault in every child. */
	bool empty = !q->bits;
	for (int i = 0; empty && i <= NSIG_APP - SIGRT_FIRST; i++)
		empty = !q->rt_head[i] && !q->rt_tail[i];
	if (!empty) {
		memset(q->rt_head, 0, sizeof(q->rt_head));
		memset(q->rt_tail, 0, sizeof(q->rt_tail));
		q->bits = 0;
	}
	free_nodes = NULL;
	pool_ready = false;
	rt_used = 0;
}

void sigq_discard(struct sigqueue *q, int sig)
{
	siginfo_t tmp;
	uint64_t old = enter();
	while (q->bits & SIGBIT(sig))
		take_one(q, sig, &tmp);
	leave(old);
}
