/* pthreads: mutex, condition variables, join with return values, TLS, once,
 * rwlock, barrier.  Exercises clone(CLONE_THREAD|CLONE_SETTLS|...), futex
 * wait/wake, set_robust_list, exit of a non-main thread, and the
 * CLONE_CHILD_CLEARTID wake-up that pthread_join relies on. */
#include "testutil.h"
#include <pthread.h>
#include <stdint.h>

#define NTHREADS 8
#define NINCR 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread long tls_value;

static void *incr(void *arg)
{
    long id = (long)(intptr_t)arg;
    tls_value = id * 1000;
    for (int i = 0; i < NINCR; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    /* Another thread's writes must not have touched this thread's TLS. */
    return (void *)(intptr_t)(tls_value == id * 1000 ? id + 1 : -1);
}

/* Bounded buffer: one producer, several consumers, two condvars. */
#define QCAP 4
#define NITEMS 20000
#define NCONS 3
static int queue[QCAP], qhead, qlen, done_producing;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= NITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (qlen == QCAP)
            pthread_cond_wait(&not_full, &lock);
        queue[(qhead + qlen++) % QCAP] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    done_producing = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (qlen == 0 && !done_producing)
            pthread_cond_wait(&not_empty, &lock);
        if (qlen == 0) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        int v = queue[qhead];
        qhead = (qhead + 1) % QCAP;
        qlen--;
        consumed_sum += v;
        consumed_count++;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
    }
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void once_fn(void) { once_runs++; }

static pthread_barrier_t barrier;
static int serial_count;
static void *barrier_fn(void *arg)
{
    (void)arg;
    pthread_once(&once, once_fn);
    if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD)
        __atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void *detached_fn(void *arg)
{
    __atomic_store_n((int *)arg, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static pthread_mutex_t robust;

/* Exits while holding a robust mutex: the next locker must get EOWNERDEAD. */
static void *robust_holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust);
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];

    tls_value = -5;
    for (long i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, incr, (void *)(intptr_t)i))
            DIE("pthread_create");
    int joined_ok = 1;
    for (long i = 0; i < NTHREADS; i++) {
        void *ret;
        if (pthread_join(t[i], &ret) || (intptr_t)ret != i + 1)
            joined_ok = 0;
    }
    CHECK(joined_ok, "join returns each thread's value, TLS private");
    CHECK(counter == (long)NTHREADS * NINCR, "mutex counter = %ld", counter);
    CHECK(tls_value == -5, "main thread TLS untouched");

    pthread_t p, c[NCONS];
    pthread_create(&p, NULL, producer, NULL);
    for (int i = 0; i < NCONS; i++)
        pthread_create(&c[i], NULL, consumer, NULL);
    pthread_join(p, NULL);
    for (int i = 0; i < NCONS; i++)
        pthread_join(c[i], NULL);
    CHECK(consumed_count == NITEMS && consumed_sum == (long)NITEMS * (NITEMS + 1) / 2,
          "producer/consumer: %ld items, sum %ld", consumed_count, consumed_sum);

    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, barrier_fn, NULL);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    CHECK(once_runs == 1, "pthread_once ran %d time(s)", once_runs);
    CHECK(serial_count == 1, "barrier: %d serial thread(s)", serial_count);

    /* A detached thread must run and exit without being joined. */
    int flag = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&p, &attr, detached_fn, &flag);
    for (int i = 0; i < 10000 && !__atomic_load_n(&flag, __ATOMIC_SEQ_CST); i++)
        sched_yield();
    CHECK(__atomic_load_n(&flag, __ATOMIC_SEQ_CST), "detached thread ran");

    /* Condvar wait with a timeout must time out with ETIMEDOUT. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&lock);
    int rc = pthread_cond_timedwait(&not_empty, &lock, &ts);
    pthread_mutex_unlock(&lock);
    CHECK(rc == ETIMEDOUT, "cond_timedwait times out (%s)", errname(rc));

    pthread_mutexattr_t ra;
    pthread_mutexattr_init(&ra);
    pthread_mutexattr_setrobust(&ra, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &ra);
    pthread_t rh;
    pthread_create(&rh, NULL, robust_holder, NULL);
    pthread_join(rh, NULL);
    CHECK(pthread_mutex_lock(&robust) == EOWNERDEAD && pthread_mutex_consistent(&robust) == 0,
          "robust mutex held by an exited thread: EOWNERDEAD");
    pthread_mutex_unlock(&robust);
    return tu_done();
}
