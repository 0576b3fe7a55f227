/* Asynchronous signal semantics within one process: blocking and pending
 * (sigprocmask, sigpending, raise), coalescing of standard signals vs queueing
 * of real-time signals with sigqueue values, sigsuspend, SA_RESTART vs EINTR
 * on a blocking pipe read interrupted by an interval timer, SA_RESETHAND,
 * SIG_IGN, sigaltstack for a handler, signals sent to a specific thread with
 * pthread_kill, sigwaitinfo and sigtimedwait. */
#include "testutil.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t count_usr1, count_rt, rt_sum, count_alrm, on_altstack;
static volatile sig_atomic_t rt_order[8];
static char *alt_lo, *alt_hi;

static void h_usr1(int sig) { (void)sig; count_usr1++; }
static void h_alrm(int sig) { (void)sig; count_alrm++; }
static void h_rt(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    if (count_rt < 8)
        rt_order[count_rt] = si->si_value.sival_int;
    count_rt++;
    rt_sum += si->si_value.sival_int;
}
static void h_alt(int sig)
{
    char here;
    (void)sig;
    on_altstack = (&here >= alt_lo && &here < alt_hi);
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL))
        DIE("sigaction");
}

/* A periodic timer, not a one-shot: if a loaded machine delays us past the
 * first expiry before we block, a later expiry still interrupts the call. */
static void arm_timer_ms(int ms)
{
    struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = ms * 1000 },
                            .it_interval = { .tv_sec = 0, .tv_usec = ms * 1000 } };
    if (setitimer(ITIMER_REAL, &it, NULL))
        DIE("setitimer");
}

/* Writer for the SA_RESTART case: it writes only once the handler has run,
 * so the read is guaranteed to have been interrupted first, however slowly
 * the machine schedules us. */
static void arm_timer_ms(int ms);
static int restart_pipe[2];
static void *late_writer(void *arg)
{
    (void)arg;
    while (count_alrm < 3)
        usleep(1000);
    arm_timer_ms(0);
    if (write(restart_pipe[1], "x", 1) != 1)
        return (void *)1;
    return NULL;
}

static volatile sig_atomic_t thread_got;
static pthread_t target_thread;
static void h_thread(int sig) { (void)sig; thread_got = pthread_equal(pthread_self(), target_thread) ? 1 : 2; }
static void *sleeper(void *arg)
{
    (void)arg;
    while (!thread_got)
        usleep(1000);
    return NULL;
}

int main(void)
{
    sigset_t set, old, pend;

    /* Blocked signal stays pending; delivered exactly once on unblock. */
    set_handler(SIGUSR1, h_usr1, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR1) && count_usr1 == 0, "blocked SIGUSR1 is pending, not delivered");
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(count_usr1 == 1, "standard signal coalesced: delivered %d time(s) on unblock", count_usr1);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "nothing pending after delivery");

    /* Real-time signals queue, in order, with their values. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = h_rt;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 1; i <= 3; i++)
        sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = i * 10 });
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    CHECK(count_rt == 3 && rt_sum == 60 && rt_order[0] == 10 && rt_order[2] == 30,
          "SIGRTMIN queued 3 times in order (count %d, sum %d)", count_rt, rt_sum);

    /* sigsuspend: atomically unblock and wait; the timer's SIGALRM wakes it. */
    set_handler(SIGALRM, h_alrm, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigprocmask(SIG_BLOCK, &set, &old);
    count_alrm = 0;
    arm_timer_ms(30);
    sigset_t waitmask;
    sigprocmask(SIG_SETMASK, NULL, &waitmask);
    sigdelset(&waitmask, SIGALRM);
    errno = 0;
    int rc = sigsuspend(&waitmask);
    int e = errno;
    arm_timer_ms(0);
    errno = e;
    CHECK(rc == -1 && errno == EINTR && count_alrm == 1, "sigsuspend woken by SIGALRM, returns EINTR");
    sigprocmask(SIG_SETMASK, NULL, &pend);
    CHECK(sigismember(&pend, SIGALRM), "sigsuspend restored the blocking mask");
    sigprocmask(SIG_SETMASK, &old, NULL);

    /* Without SA_RESTART a blocking read fails with EINTR. */
    int pfd[2];
    if (pipe(pfd))
        DIE("pipe");
    set_handler(SIGALRM, h_alrm, 0);
    count_alrm = 0;
    arm_timer_ms(30);
    char c;
    errno = 0;
    ssize_t n = read(pfd[0], &c, 1);
    e = errno;
    arm_timer_ms(0);
    errno = e;
    CHECK(n == -1 && errno == EINTR && count_alrm >= 1, "read without SA_RESTART: EINTR");

    /* With SA_RESTART the same read resumes and returns the data. */
    if (pipe(restart_pipe))
        DIE("pipe");
    set_handler(SIGALRM, h_alrm, SA_RESTART);
    count_alrm = 0;
    pthread_t w;
    pthread_sigmask(SIG_BLOCK, &set, &old); /* the writer must not take SIGALRM */
    pthread_create(&w, NULL, late_writer, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    arm_timer_ms(30);
    errno = 0;
    n = read(restart_pipe[0], &c, 1);
    CHECK(n == 1 && c == 'x' && count_alrm >= 3, "read with SA_RESTART restarted and got data");
    pthread_join(w, NULL);

    /* SA_RESETHAND: handler runs once, then disposition is SIG_DFL. */
    set_handler(SIGUSR1, h_usr1, SA_RESETHAND);
    count_usr1 = 0;
    raise(SIGUSR1);
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    CHECK(count_usr1 == 1 && cur.sa_handler == SIG_DFL, "SA_RESETHAND resets to SIG_DFL");

    /* SIG_IGN: raise is discarded, not left pending. */
    set_handler(SIGUSR2, SIG_IGN, 0);
    raise(SIGUSR2);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR2), "ignored signal discarded");

    /* Handler on an alternate stack. */
    size_t altsz = SIGSTKSZ * 4;
    alt_lo = malloc(altsz);
    alt_hi = alt_lo + altsz;
    stack_t ss = { .ss_sp = alt_lo, .ss_size = altsz }, oss;
    if (sigaltstack(&ss, NULL))
        DIE("sigaltstack");
    set_handler(SIGUSR2, h_alt, SA_ONSTACK);
    raise(SIGUSR2);
    CHECK(on_altstack == 1, "SA_ONSTACK handler ran on the alternate stack");
    sigaltstack(NULL, &oss);
    CHECK(oss.ss_sp == alt_lo && !(oss.ss_flags & SS_ONSTACK), "sigaltstack query after handler");

    /* pthread_kill targets one thread. */
    set_handler(SIGUSR1, h_thread, 0);
    pthread_create(&target_thread, NULL, sleeper, NULL);
    pthread_kill(target_thread, SIGUSR1);
    pthread_join(target_thread, NULL);
    CHECK(thread_got == 1, "pthread_kill delivered to the target thread");

    /* sigwaitinfo consumes a pending blocked signal synchronously. */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigqueue(getpid(), SIGUSR1, (union sigval){ .sival_int = 77 });
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    CHECK(s == SIGUSR1 && si.si_value.sival_int == 77 && si.si_code == SI_QUEUE,
          "sigwaitinfo returns the queued SIGUSR1 with its value");
    struct timespec ts = { 0, 10 * 1000 * 1000 };
    errno = 0;
    s = sigtimedwait(&set, &si, &ts);
    CHECK(s == -1 && errno == EAGAIN, "sigtimedwait with nothing pending: EAGAIN");

    /* kill(pid, 0) probes without sending. */
    CHECK(kill(getpid(), 0) == 0, "kill(self, 0) succeeds");
    return tu_done();
}
