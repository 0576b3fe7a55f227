/* Futex mutex (three states: 0 free, 1 locked, 2 locked with waiters). */
#include "rt.h"
#include "../host/host.h"
#include <linux/futex.h>

void lock(struct lock *l)
{
	int c = 0;
	if (__atomic_compare_exchange_n(&l->state, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		host_futex(&l->state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
		c = __atomic_exchange_n(&l->state, 2, __ATOMIC_ACQUIRE);
	}
}

void unlock(struct lock *l)
{
	if (__atomic_exchange_n(&l->state, 0, __ATOMIC_RELEASE) == 2)
		host_futex(&l->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

bool lock_try(struct lock *l)
{
	int c = 0;
	return __atomic_compare_exchange_n(&l->state, &c, 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

uint64_t lock_nosig(struct lock *l)
{
	uint64_t old = host_sigmask_block(~0ULL);
	lock(l);
	return old;
}

void unlock_nosig(struct lock *l, uint64_t old)
{
	unlock(l);
	host_sigmask_restore(old);
}
