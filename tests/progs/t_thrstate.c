/* Threads as Linux makes them: a new thread inherits the creator's x87
 * control word and MXCSR; two threads calling execve at once (one program
 * runs, the other thread is ended); the scheduling calls on another thread
 * of the process by its tid, and the policy calls chrt uses; futex_waitv;
 * POSIX timers that notify a thread; prctl's per-thread and per-process
 * state. */
#include "testutil.h"
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void *read_fpu(void *arg)
{
    uint32_t *out = arg;
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    __asm__ volatile("stmxcsr %0" : "=m"(out[1]));
    out[0] = cw;
    return NULL;
}

static void fpu_inherited(void)
{
    uint16_t cw = 0x0c7f, old_cw; /* round toward zero, 24-bit precision */
    uint32_t mxcsr = 0x7f80 | 0x8000 | 0x6000, old_mxcsr; /* masked, FZ, toward zero */
    __asm__ volatile("fnstcw %0" : "=m"(old_cw));
    __asm__ volatile("stmxcsr %0" : "=m"(old_mxcsr));
    __asm__ volatile("fldcw %0" ::"m"(cw));
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
    uint32_t got[2];
    pthread_t t;
    pthread_create(&t, NULL, read_fpu, got);
    pthread_join(t, NULL);
    __asm__ volatile("fldcw %0" ::"m"(old_cw));
    __asm__ volatile("ldmxcsr %0" ::"m"(old_mxcsr));
    printf("new thread: x87 control word %#x, MXCSR %#x\n", got[0], got[1]);
}

/* Two threads meet, then both call execve of this program. */
static pthread_barrier_t exec_barrier;
static char *self_path;
static void *exec_self(void *arg)
{
    (void)arg;
    char *argv[] = { self_path, "exec-child", NULL };
    pthread_barrier_wait(&exec_barrier);
    execv(self_path, argv);
    printf("execve failed: %s\n", errname(errno));
    return NULL;
}

static int two_execs(void)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        pthread_barrier_init(&exec_barrier, NULL, 2);
        pthread_t t;
        pthread_create(&t, NULL, exec_self, NULL);
        exec_self(NULL);
        _exit(3);
    }
    int st;
    waitpid(p, &st, 0);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Another thread of the process, named by its tid. */
static pthread_barrier_t hold;
static pid_t worker_tid;
static void *worker(void *arg)
{
    (void)arg;
    worker_tid = gettid();
    pthread_barrier_wait(&hold);
    pthread_barrier_wait(&hold);
    return NULL;
}

static void other_thread_sched(void)
{
    pthread_barrier_init(&hold, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_barrier_wait(&hold);
    cpu_set_t all, one, got;
    CHECK(sched_getaffinity(worker_tid, sizeof(all), &all) == 0, "sched_getaffinity of another thread");
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    CHECK(sched_setaffinity(worker_tid, sizeof(one), &one) == 0, "sched_setaffinity of another thread");
    sched_getaffinity(worker_tid, sizeof(got), &got);
    CHECK(CPU_EQUAL(&got, &one), "the other thread has the new mask");
    sched_getaffinity(0, sizeof(got), &got);
    CHECK(CPU_EQUAL(&got, &all), "the caller's mask is unchanged");
    struct sched_param sp = { 0 };
    CHECK(sched_setscheduler(worker_tid, SCHED_BATCH, &sp) == 0 &&
              sched_getscheduler(worker_tid) == SCHED_BATCH && sched_getscheduler(0) == SCHED_OTHER,
          "sched_setscheduler of another thread changes it alone");
    errno = 0;
    CHECK(sched_getscheduler(-1) == -1 && errno == EINVAL, "sched_getscheduler(-1) is EINVAL");
    int nice0 = getpriority(PRIO_PROCESS, 0);
    CHECK(setpriority(PRIO_PROCESS, worker_tid, nice0 + 3) == 0 &&
              getpriority(PRIO_PROCESS, worker_tid) == nice0 + 3 && getpriority(PRIO_PROCESS, 0) == nice0,
          "setpriority/getpriority of another thread by its tid");
    errno = 0;
    CHECK(getpriority(PRIO_PROCESS, -5) == -1 && errno == ESRCH, "getpriority of pid -5 is ESRCH");
    /* I/O priority: IOPRIO_WHO_PROCESS = 1, best effort (class 2) level 6 */
    int be6 = 2 << 13 | 6;
    long own = syscall(SYS_ioprio_get, 1, 0);
    CHECK(syscall(SYS_ioprio_set, 1, worker_tid, be6) == 0 && syscall(SYS_ioprio_get, 1, worker_tid) == be6 &&
              syscall(SYS_ioprio_get, 1, 0) == own,
          "ioprio_set/ioprio_get of another thread by its tid");
    errno = 0;
    CHECK(syscall(SYS_ioprio_set, 1, 0, 7 << 13) == -1 && errno == EINVAL, "ioprio class 7 is EINVAL");
    errno = 0;
    CHECK(syscall(SYS_ioprio_get, 9, 0) == -1 && errno == EINVAL, "ioprio which 9 is EINVAL");
    pthread_barrier_wait(&hold);
    pthread_join(t, NULL);
}

static void policies(void)
{
    static const struct { int policy; const char *name; } ps[] = {
        { SCHED_OTHER, "SCHED_OTHER" }, { SCHED_FIFO, "SCHED_FIFO" }, { SCHED_RR, "SCHED_RR" },
        { SCHED_BATCH, "SCHED_BATCH" }, { SCHED_IDLE, "SCHED_IDLE" }, { 42, "42" },
    };
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
        errno = 0;
        int lo = sched_get_priority_min(ps[i].policy), hi = sched_get_priority_max(ps[i].policy);
        printf("%s priorities %d..%d %s\n", ps[i].name, lo, hi, errname(errno));
    }
    struct sched_param sp = { 0 };
    CHECK(sched_getscheduler(0) == SCHED_OTHER, "sched_getscheduler(0) is SCHED_OTHER");
    CHECK(sched_setscheduler(0, SCHED_BATCH, &sp) == 0 && sched_getscheduler(0) == SCHED_BATCH,
          "sched_setscheduler(0, SCHED_BATCH)");
    sp.sched_priority = 5;
    errno = 0;
    CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == -1 && errno == EINVAL,
          "priority 5 for SCHED_OTHER is EINVAL");
    sp.sched_priority = 0;
    CHECK(sched_setparam(0, &sp) == 0 && sched_getparam(0, &sp) == 0 && sp.sched_priority == 0,
          "sched_setparam/sched_getparam");
    CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == 0, "back to SCHED_OTHER");
    struct timespec ts;
    CHECK(sched_rr_get_interval(0, &ts) == 0, "sched_rr_get_interval(0)");
    errno = 0;
    CHECK(sched_setscheduler(0, 42, &sp) == -1 && errno == EINVAL, "an unknown policy is EINVAL");
}

#define FUTEX2_SIZE_U32 0x02 /* linux/futex.h of 5.16, newer than some build hosts' */
#define FUTEX2_PRIVATE 128
struct futex_waitv_arg {
    uint64_t val, uaddr;
    uint32_t flags, reserved;
};
static uint32_t fw[2];
static void *waker(void *arg)
{
    (void)arg;
    /* Wakes until the waiter saw it (it may not be asleep yet). */
    while (!__atomic_load_n(&fw[0], __ATOMIC_ACQUIRE))
        syscall(SYS_futex, &fw[1], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), sched_yield();
    return NULL;
}

static void futex_waitv(void)
{
    struct futex_waitv_arg w[2] = {
        { 0, (uintptr_t)&fw[0], FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0 },
        { 0, (uintptr_t)&fw[1], FUTEX2_SIZE_U32 | FUTEX2_PRIVATE, 0 },
    };
    errno = 0;
    long r = syscall(SYS_futex_waitv, w, 2, 1, NULL, CLOCK_MONOTONIC);
    printf("futex_waitv with flags 1: %ld %s\n", r, errname(errno));
    w[0].val = 1; /* the value differs: at once */
    errno = 0;
    r = syscall(SYS_futex_waitv, w, 2, 0, NULL, CLOCK_MONOTONIC);
    printf("futex_waitv on a changed value: %ld %s\n", r, errname(errno));
    w[0].val = 0;
    pthread_t t;
    pthread_create(&t, NULL, waker, NULL);
    r = syscall(SYS_futex_waitv, w, 2, 0, NULL, CLOCK_MONOTONIC);
    __atomic_store_n(&fw[0], 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    printf("futex_waitv woken through the second futex: %ld\n", r);
    errno = 0;
    r = syscall(SYS_futex_waitv, w, 0, 0, NULL, CLOCK_MONOTONIC);
    printf("futex_waitv of none: %ld %s\n", r, errname(errno));
}

/* POSIX timers that notify a thread: glibc's SIGEV_THREAD (a helper
 * thread named by SIGEV_THREAD_ID) and SIGEV_THREAD_ID to a thread of ours. */
static pthread_mutex_t fired_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fired_cond = PTHREAD_COND_INITIALIZER;
static int fired;
static void on_timer(union sigval v)
{
    pthread_mutex_lock(&fired_lock);
    fired = v.sival_int;
    pthread_cond_signal(&fired_cond);
    pthread_mutex_unlock(&fired_lock);
}

static pid_t timer_tid;
static void *timer_waiter(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 3);
    timer_tid = gettid();
    pthread_barrier_wait(&hold);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    return (void *)(long)(sig == SIGRTMIN + 3 && si.si_code == SI_TIMER ? si.si_value.sival_int : -1);
}

static void thread_timers(void)
{
    struct sigevent se;
    memset(&se, 0, sizeof(se));
    se.sigev_notify = SIGEV_THREAD;
    se.sigev_notify_function = on_timer;
    se.sigev_value.sival_int = 7;
    timer_t t;
    struct itimerspec its = { { 0, 0 }, { 0, 1000000 } };
    int made = timer_create(CLOCK_MONOTONIC, &se, &t) == 0;
    CHECK(made, "timer_create(SIGEV_THREAD)");
    if (made) {
        timer_settime(t, 0, &its, NULL);
        pthread_mutex_lock(&fired_lock);
        while (!fired)
            pthread_cond_wait(&fired_cond, &fired_lock);
        pthread_mutex_unlock(&fired_lock);
        timer_delete(t);
    }
    CHECK(fired == 7, "the SIGEV_THREAD timer ran its function");

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 3);
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pthread_barrier_init(&hold, NULL, 2);
    pthread_t w;
    pthread_create(&w, NULL, timer_waiter, NULL);
    pthread_barrier_wait(&hold);
    memset(&se, 0, sizeof(se));
    se.sigev_notify = SIGEV_THREAD_ID;
    se.sigev_signo = SIGRTMIN + 3;
    se.sigev_value.sival_int = 9;
    se._sigev_un._tid = timer_tid;
    made = timer_create(CLOCK_MONOTONIC, &se, &t) == 0;
    CHECK(made, "timer_create(SIGEV_THREAD_ID) to another thread");
    if (!made) /* the waiter takes a signal from us instead */
        pthread_kill(w, SIGRTMIN + 3);
    else
        timer_settime(t, 0, &its, NULL);
    void *r;
    pthread_join(w, &r);
    CHECK((long)r == 9, "its signal reaches that thread (SI_TIMER)");
    if (made)
        timer_delete(t);
    se._sigev_un._tid = 999999;
    errno = 0;
    CHECK(timer_create(CLOCK_MONOTONIC, &se, &t) == -1 && errno == EINVAL,
          "SIGEV_THREAD_ID to a tid not in the process is EINVAL");
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* prctl state: the tid address glibc set, dumpable (kept by a fork child,
 * 1 again after execve), no_new_privs. */
static void prctl_state(void)
{
    int *tidp = NULL;
    CHECK(prctl(PR_GET_TID_ADDRESS, &tidp, 0, 0, 0) == 0 && tidp && *tidp == gettid(),
          "PR_GET_TID_ADDRESS: glibc's tid word");
    CHECK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 && prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0,
          "PR_SET_DUMPABLE 0 is what PR_GET_DUMPABLE says");
    errno = 0;
    CHECK(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0) == -1 && errno == EINVAL, "PR_SET_DUMPABLE 2 is EINVAL");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
            _exit(1);
        char *argv[] = { self_path, "dumpable-child", NULL };
        execv(self_path, argv);
        _exit(2);
    }
    int st;
    waitpid(p, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a fork child keeps it, its execve makes it 1");
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
          "PR_SET_NO_NEW_PRIVS 1, then PR_GET_NO_NEW_PRIVS");
    errno = 0;
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0) == -1 && errno == EINVAL, "PR_SET_NO_NEW_PRIVS 2 is EINVAL");
    errno = 0;
    CHECK(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 && errno == EINVAL,
          "PR_GET_NO_NEW_PRIVS with an argument is EINVAL");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "dumpable-child"))
        return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 1 ? 0 : 1;
    if (argc > 1 && !strcmp(argv[1], "exec-child")) {
        /* The tid of the thread that won is the pid (the leader's). */
        return gettid() == getpid() ? 0 : 1;
    }
    self_path = argv[0];
    fpu_inherited();
    /* Often enough that both threads get past their checks together. */
    int runs = 0;
    while (runs < 20 && two_execs())
        runs++;
    CHECK(runs == 20, "two threads in execve at once (20 times): one program runs");
    other_thread_sched();
    policies();
    futex_waitv();
    thread_timers();
    prctl_state();
    return tu_done();
}
