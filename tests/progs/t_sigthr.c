/* Signals and threads together, as Linux routes and queues them: a
 * process-directed signal that every thread blocks reaches the thread
 * waiting for it in sigwaitinfo (sent by the process itself and by another
 * process); blocked signals whose action is to ignore them stay queued;
 * a frame that cannot be written on a read-only alternate stack forces
 * SIGSEGV, as does an rt_sigreturn of a frame that cannot be read; the
 * errors of tgkill/rt_tgsigqueueinfo/rt_sigtimedwait; RLIMIT_SIGPENDING. */
#include "testutil.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int ready_pipe[2];
static void on_usr1(int sig);

/* Waits for SIGUSR1 (blocked in every thread) and reports what it got. */
static void *waiter(void *arg)
{
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    char c = 'r';
    if (write(ready_pipe[1], &c, 1) != 1)
        return (void *)-1L;
    /* Generous: only a lost signal reaches it. */
    struct timespec ts = { 30, 0 };
    siginfo_t si;
    return (void *)(long)sigtimedwait(&set, &si, &ts);
}

/* sender: 0 the process itself (main thread), 1 a child process. */
static void waited_signal(int sender)
{
    pthread_t t;
    char c;
    if (pthread_create(&t, NULL, waiter, NULL))
        DIE("pthread_create");
    if (read(ready_pipe[0], &c, 1) != 1)
        DIE("read");
    if (sender == 0) {
        kill(getpid(), SIGUSR1);
    } else {
        pid_t parent = getpid(), p = fork();
        if (p == 0)
            _exit(kill(parent, SIGUSR1) ? 1 : 0);
        int st;
        waitpid(p, &st, 0);
    }
    void *r;
    pthread_join(t, &r);
    if ((long)r != SIGUSR1) printf("waiter got %ld errno %d\n", (long)r, errno);
    CHECK((long)r == SIGUSR1, "%s: SIGUSR1 blocked everywhere reaches the thread in sigwaitinfo",
          sender ? "another process" : "this process");
}

static int timed_take(int sig)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    struct timespec zero = { 0, 0 };
    return sigtimedwait(&set, NULL, &zero);
}

static void ignored_but_blocked(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGWINCH);
    sigprocmask(SIG_BLOCK, &set, &old);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGRTMIN + 1, SIG_IGN);
    raise(SIGUSR2);
    union sigval v = { .sival_int = 7 };
    sigqueue(getpid(), SIGRTMIN + 1, v);
    sigqueue(getpid(), SIGRTMIN + 1, v);
    raise(SIGWINCH); /* ignored by default */
    sigset_t pend;
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR2) && sigismember(&pend, SIGRTMIN + 1) &&
              sigismember(&pend, SIGWINCH),
          "ignored signals sent while blocked are pending");
    CHECK(timed_take(SIGUSR2) == SIGUSR2, "sigtimedwait takes an ignored blocked SIGUSR2");
    CHECK(timed_take(SIGRTMIN + 1) == SIGRTMIN + 1 && timed_take(SIGRTMIN + 1) == SIGRTMIN + 1,
          "both ignored real-time signals were queued");
    CHECK(timed_take(SIGWINCH) == SIGWINCH, "a default-ignored SIGWINCH was queued");
    /* Unblocked, ignored signals are dropped at once. */
    sigprocmask(SIG_SETMASK, &old, NULL);
    raise(SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR2), "an unblocked ignored signal is dropped");
    /* Unblocking discards what was queued while blocked. */
    raise(SIGUSR2);
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigprocmask(SIG_BLOCK, &set, NULL);
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR2), "unblocking an ignored pending signal discards it");
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
}

/* SIG_IGN set by one thread discards what another thread has pending,
 * and so does SIG_DFL of a signal ignored by default. */
static pthread_barrier_t ign_barrier;
static int ign_sig;
static void *pending_holder(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&ign_barrier); /* the signal is queued to us */
    pthread_barrier_wait(&ign_barrier); /* the action is set */
    sigset_t pend;
    sigpending(&pend);
    return (void *)(long)sigismember(&pend, ign_sig);
}

static void ignore_discards_everywhere(int sig, void (*action)(int))
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_BLOCK, &set, &old);
    signal(sig, on_usr1);
    ign_sig = sig;
    pthread_barrier_init(&ign_barrier, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, pending_holder, NULL);
    pthread_kill(t, sig);
    pthread_barrier_wait(&ign_barrier);
    signal(sig, action);
    pthread_barrier_wait(&ign_barrier);
    void *r;
    pthread_join(t, &r);
    CHECK(r == 0, "setting %s for signal %d discards it where another thread has it pending",
          action == SIG_IGN ? "SIG_IGN" : "SIG_DFL", sig);
    signal(sig, SIG_DFL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    pthread_barrier_destroy(&ign_barrier);
}

static long tgsigqueue(int tgid, int tid, int sig, int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = code;
    errno = 0;
    return syscall(SYS_rt_tgsigqueueinfo, tgid, tid, sig, &si) ? errno : 0;
}

static long sigqueueinfo(int pid, int sig, int code)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = code;
    errno = 0;
    return syscall(SYS_rt_sigqueueinfo, pid, sig, &si) ? errno : 0;
}

static void *other_thread_queue(void *arg)
{
    (void)arg;
    return (void *)sigqueueinfo(getpid(), SIGUSR1, SI_USER);
}

static void errors(void)
{
    int me = getpid(), tid = gettid();
    errno = 0;
    CHECK(syscall(SYS_tgkill, -1, tid, 0) == -1 && errno == EINVAL, "tgkill(-1, tid) is EINVAL");
    errno = 0;
    CHECK(syscall(SYS_tgkill, 0, tid, 0) == -1 && errno == EINVAL, "tgkill(0, tid) is EINVAL");
    errno = 0;
    CHECK(syscall(SYS_tgkill, me, 0, 0) == -1 && errno == EINVAL, "tgkill(pid, 0) is EINVAL");
    errno = 0;
    CHECK(syscall(SYS_tkill, -1, 0) == -1 && errno == EINVAL, "tkill(-1) is EINVAL");
    printf("rt_tgsigqueueinfo(-1, tid): %s\n", errname(tgsigqueue(-1, tid, 0, SI_QUEUE)));
    printf("rt_tgsigqueueinfo(pid, 0): %s\n", errname(tgsigqueue(me, 0, 0, SI_QUEUE)));
    printf("rt_tgsigqueueinfo(pid, tid, 0): %s\n", errname(tgsigqueue(me, tid, 0, SI_QUEUE)));
    printf("rt_sigqueueinfo(pid, 0): %s\n", errname(sigqueueinfo(me, 0, SI_QUEUE)));
    printf("rt_sigqueueinfo(-1): %s\n", errname(sigqueueinfo(-1, 0, SI_QUEUE)));
    printf("rt_sigqueueinfo(pid, 65): %s\n", errname(sigqueueinfo(me, 65, SI_QUEUE)));
    /* si_code SI_USER may be given only to the calling thread itself. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    printf("rt_sigqueueinfo(self, SI_USER): %s\n", errname(sigqueueinfo(me, SIGUSR1, SI_USER)));
    siginfo_t si;
    struct timespec zero = { 0, 0 };
    CHECK(sigtimedwait(&set, &si, &zero) == SIGUSR1 && si.si_code == SI_USER,
          "the SI_USER info queued to self arrives as given");
    pthread_t t;
    void *r;
    struct timespec bad = { 0, 1000000000 };
    raise(SIGUSR1); /* pending: the bad timeout is still refused first */
    errno = 0;
    CHECK(sigtimedwait(&set, &si, &bad) == -1 && errno == EINVAL,
          "sigtimedwait with tv_nsec 1e9 is EINVAL, even with a signal pending");
    CHECK(sigtimedwait(&set, &si, &zero) == SIGUSR1, "the pending signal is still there");
    errno = 0;
    CHECK(syscall(SYS_rt_sigtimedwait, &set, NULL, &zero, 4) == -1 && errno == EINVAL,
          "rt_sigtimedwait with sigsetsize 4 is EINVAL");
    pthread_create(&t, NULL, other_thread_queue, NULL);
    pthread_join(t, &r);
    printf("rt_sigqueueinfo(pid, SI_USER) from another thread: %s\n", errname((long)r));
    printf("rt_tgsigqueueinfo(self, SI_TKILL): %s\n",
           errname(tgsigqueue(me, tid, SIGUSR1, SI_TKILL)));
    CHECK(sigtimedwait(&set, &si, &zero) == SIGUSR1, "the signal queued to the calling thread arrives");
    printf("its si_code: %d\n", si.si_code);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* body(arg) in a child process; its wait status. */
static int in_child(void (*body)(int), int arg)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        body(arg);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    return st;
}

/* At most the soft limit of real-time signals may be queued: EAGAIN then.
 * Linux counts the signals queued to every process of the user, so a
 * child does it natively as a user nobody else is (a test run as root
 * shares root's count with the machine); the libos counts per process. */
static void sigpending_limit_child(int unused)
{
    (void)unused;
    if (getuid() == 0 && setuid(54321) != 0) /* natively: a user of its own */
        errno = 0; /* the libos refuses it: its count is per process anyway */
    struct rlimit lim = { 4, 4 };
    if (setrlimit(RLIMIT_SIGPENDING, &lim))
        DIE("setrlimit");
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, &oldset);
    int n = 0, e = 0;
    union sigval v = { .sival_int = 1 };
    while (n < 64) {
        if (sigqueue(getpid(), SIGRTMIN + 2, v)) {
            e = errno;
            break;
        }
        n++;
    }
    CHECK(e == EAGAIN && n >= 1 && n <= 4, "sigqueue past RLIMIT_SIGPENDING 4 is EAGAIN");
    int taken = 0;
    while (timed_take(SIGRTMIN + 2) == SIGRTMIN + 2)
        taken++;
    CHECK(taken == n, "every queued signal is taken");
    CHECK(sigqueue(getpid(), SIGRTMIN + 2, v) == 0 && timed_take(SIGRTMIN + 2) == SIGRTMIN + 2,
          "queueing works again once they are taken");
    sigprocmask(SIG_SETMASK, &oldset, NULL);
    _exit(tu_failures);
}

static void sigpending_limit(void)
{
    if (in_child(sigpending_limit_child, 0))
        tu_failures++;
}

static char *altstack;
static void on_usr1(int sig) { (void)sig; }
static void on_segv(int sig) { (void)sig; _exit(42); }
static void *make_readonly(void *arg)
{
    (void)arg;
    mprotect(altstack, 65536, PROT_READ);
    return NULL;
}

/* fn handles sig on the alternate stack of 64 KiB at stack. */
static void handle_on_altstack(char *stack, int sig, void (*fn)(int))
{
    stack_t ss = { .ss_sp = stack, .ss_size = 65536 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = SA_ONSTACK;
    sigaction(sig, &sa, NULL);
}

/* SIGUSR1 on an alternate stack another thread made read-only;
 * catch_segv: with a SIGSEGV handler on the normal stack. */
static void readonly_altstack(int catch_segv)
{
    altstack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    handle_on_altstack(altstack, SIGUSR1, on_usr1);
    if (catch_segv)
        signal(SIGSEGV, on_segv);
    pthread_t t;
    pthread_create(&t, NULL, make_readonly, NULL);
    pthread_join(t, NULL);
    raise(SIGUSR1);
}

/* rt_sigreturn with a frame that cannot be read: Linux's badframe forces
 * SIGSEGV (on_altstack: a handler on an alternate stack runs). */
static void bad_sigreturn(int on_altstack)
{
    char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    if (on_altstack)
        handle_on_altstack(malloc(65536), SIGSEGV, on_segv);
    __asm__ volatile("mov %0, %%rsp; mov $15, %%eax; syscall; ud2" ::"r"(gone + 2048) : "memory");
}

int main(void)
{
    if (pipe(ready_pipe))
        DIE("pipe");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    waited_signal(0);
    waited_signal(1);
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    ignored_but_blocked();
    ignore_discards_everywhere(SIGUSR2, SIG_IGN);
    ignore_discards_everywhere(SIGWINCH, SIG_DFL);
    errors();
    sigpending_limit();

    int st = in_child(readonly_altstack, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
          "a frame on a read-only alternate stack kills by SIGSEGV");
    st = in_child(readonly_altstack, 1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42,
          "... or runs the app's SIGSEGV handler on its normal stack");
    st = in_child(bad_sigreturn, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "rt_sigreturn of an unreadable frame: SIGSEGV");
    st = in_child(bad_sigreturn, 1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "... which a handler on an alternate stack catches");
    return tu_done();
}
