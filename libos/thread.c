/* Libos threads: each app thread is one host thread with a libos record
 * (reached through %gs) and a libos stack used as the host sigaltstack, so
 * all emulation runs off the app's stack. */
#include <asm/errno.h>
#include <asm/prctl.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include "locks.h"
#include "arena.h"
#include "fastpath.h"
#include "host/host.h"
#include "rt.h"
#include "signal.h"
#include "thread.h"

struct lock threads_lock __fork_hot = LOCK_INIT;
static struct thread *threads __fork_hot;
static struct thread *dead __fork_hot;

/* Host signal handlers walk the thread list (to route a process-directed
 * signal): lock_nosig. */
static uint64_t threads_enter(void)
{
	return lock_nosig(&threads_lock);
}

static void threads_leave(uint64_t old)
{
	unlock_nosig(&threads_lock, old);
}

struct thread *thread_alloc(void)
{
	thread_reap();
	struct thread *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->self = t;
	fastpath_thread_init(t);
	t->libos_stack = arena_alloc_pages(LIBOS_STACK_SIZE);
	if (!t->libos_stack) {
		free(t);
		return NULL;
	}
	/* A guard page catches libos stack overflows before they corrupt the
	 * neighbouring arena memory. */
	arena_guard(t->libos_stack, true);
	return t;
}

int thread_bind(struct thread *t)
{
	long r = host(__NR_arch_prctl, ARCH_SET_GS, t);
	if (r < 0)
		return (int)r;
	stack_t ss = { .ss_sp = t->libos_stack + PAGE_SIZE, .ss_size = LIBOS_STACK_SIZE - PAGE_SIZE };
	return (int)host(__NR_sigaltstack, &ss, NULL);
}

void thread_add(struct thread *t)
{
	uint64_t m = threads_enter();
	t->next = threads;
	threads = t;
	threads_leave(m);
}

static void call_finish(struct thread_call *c, long ret)
{
	c->ret = ret;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	host_futex(&c->done, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void thread_remove(struct thread *t)
{
	uint64_t m = threads_enter();
	/* Under the lock that thread_call_on posts under: nobody waits on a
	 * thread that is gone. */
	struct thread_call *c = __atomic_exchange_n(&t->call, NULL, __ATOMIC_ACQ_REL);
	if (c)
		call_finish(c, -ESRCH);
	for (struct thread **pp = &threads; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = dead;
	dead = t;
	threads_leave(m);
}

struct thread *thread_by_tid(int tid)
{
	uint64_t m = threads_enter();
	struct thread *t = threads;
	while (t && t->tid != tid)
		t = t->next;
	threads_leave(m);
	return t;
}

long thread_call_on(int tid, long nr, long a0, long a1, long a2, long a3)
{
	struct thread *self = current();
	if (tid == 0 || tid == self->tid)
		return host(nr, a0, a1, a2, a3);
	struct thread_call call = { nr, { a0, a1, a2, a3 }, 0, 0 };
	for (;;) {
		uint64_t m = threads_enter();
		struct thread *t = threads;
		while (t && t->tid != tid)
			t = t->next;
		struct thread_call *none = NULL;
		bool posted = t && __atomic_compare_exchange_n(&t->call, &none, &call, false,
		                                               __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		if (posted)
			sig_kick(t);
		threads_leave(m);
		if (!t)
			return -ESRCH;
		if (posted)
			break;
		host(__NR_sched_yield); /* another thread's call to it is in flight */
	}
	while (!__atomic_load_n(&call.done, __ATOMIC_ACQUIRE))
		host_futex(&call.done, FUTEX_WAIT, 0, NULL, NULL, 0);
	return call.ret;
}

void thread_serve_call(struct thread *t)
{
	struct thread_call *c = __atomic_exchange_n(&t->call, NULL, __ATOMIC_ACQ_REL);
	if (c)
		call_finish(c, host(c->nr, c->a[0], c->a[1], c->a[2], c->a[3]));
}

void thread_set_comm(const char *name)
{
	struct thread *t = current();
	strlcpy(t->comm, name, sizeof(t->comm));
	host(__NR_prctl, PR_SET_NAME, t->comm, 0, 0, 0);
}

int thread_count(void)
{
	int n = 0;
	uint64_t m = threads_enter();
	for (struct thread *t = threads; t; t = t->next)
		n++;
	threads_leave(m);
	return n;
}

void thread_foreach(void (*fn)(struct thread *, void *), void *arg)
{
	uint64_t m = threads_enter();
	for (struct thread *t = threads; t; t = t->next)
		fn(t, arg);
	threads_leave(m);
}

void thread_keep_only(struct thread *t)
{
	/* Called in a fork child with threads_lock held: the other threads
	 * were not copied. Their records stay allocated; nothing refers to them. */
	threads = t;
	t->next = NULL;
	dead = NULL;
}

static struct thread *thread_other_than(struct thread *self)
{
	uint64_t m = threads_enter();
	struct thread *t = threads;
	while (t && t == self)
		t = t->next;
	threads_leave(m);
	return t;
}

struct kick_arg {
	struct thread *self;
	int left;
};

static void mark_and_kick(struct thread *t, void *arg)
{
	struct kick_arg *k = arg;
	if (t == k->self)
		return;
	t->must_exit = true;
	sig_kick(t);
	k->left++;
}

void thread_end_others(struct thread *self)
{
	struct kick_arg k = { self, 0 };
	thread_foreach(mark_and_kick, &k);
	/* Each one leaves through thread_exit_now in its signal handler and
	 * takes itself off the list; the host then clears host_alive. */
	for (struct thread *t; (t = thread_other_than(self));) {
		int alive = __atomic_load_n(&t->host_alive, __ATOMIC_ACQUIRE);
		if (alive)
			host_futex(&t->host_alive, FUTEX_WAIT, alive, NULL, NULL, 0);
		else
			thread_remove(t);
	}
	/* A call one of them posted to us waits on a stack about to be freed. */
	__atomic_store_n(&self->call, NULL, __ATOMIC_RELEASE);
}

void thread_reap(void)
{
	uint64_t m = threads_enter();
	for (struct thread **pp = &dead; *pp;) {
		struct thread *t = *pp;
		if (__atomic_load_n(&t->host_alive, __ATOMIC_ACQUIRE)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		arena_guard(t->libos_stack, false);
		arena_free_pages(t->libos_stack, LIBOS_STACK_SIZE);
		free(t);
	}
	threads_leave(m);
}
