/* tkill, tgkill and rt_tgsigqueueinfo to a thread other than the main one
 * of another process (the child's second thread): the signal reaches that
 * thread with SI_TKILL (or the sender's code) and the sender's pid, as on
 * Linux; tkill of a tid of no one is ESRCH, and so is a tgkill or
 * rt_tgsigqueueinfo whose tid is not a thread of tgid (ours, the child's
 * named with another child's pid), which delivers nothing. Under graphene
 * nsd records processes, not threads: the process that has the tid
 * answers. */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include "testutil.h"

static int up[2];

/* Takes the two signals sent to it (both blocked in every thread, so only
 * a thread-directed one is taken here) and reports them to the parent,
 * which prints them in order with its own. */
static void *second(void *arg)
{
    (void)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(up[1], &tid, sizeof(tid)) != sizeof(tid))
        _exit(3);
    for (int i = 0; i < 3; i++) {
        siginfo_t si;
        int sig = tu_usr_wait(&si);
        char line[128];
        int n = snprintf(line, sizeof(line), "child's thread: %s code %s from the parent %s value %d\n",
               tu_signame(sig), tu_codename(si.si_code),
               si.si_pid == getppid() ? "yes" : "no", sig == SIGRTMIN ? si.si_value.sival_int : 0);
        if (write(up[1], line, (size_t)n) != n)
            _exit(4);
    }
    return NULL;
}

/* A thread of ours that tells its tid and waits for the process's end. */
static void *ours_thread(void *arg)
{
    int *p = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(p[1], &tid, sizeof(tid)) != sizeof(tid))
        _exit(3);
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    if (pipe(up) < 0)
        DIE("pipe");
    sigset_t set;
    tu_usr_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        DIE("fork");
    if (c == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, second, NULL) != 0)
            _exit(2);
        pthread_join(t, NULL);
        _exit(0);
    }
    pid_t tid;
    if (read(up[0], &tid, sizeof(tid)) != sizeof(tid))
        DIE("tid");
    CHECK(tid != c, "the child's second thread has a tid of its own");
    CHECK(syscall(SYS_tkill, tid, 0) == 0, "tkill(its tid, 0): it exists");
    CHECK(syscall(SYS_tgkill, c, tid, 0) == 0, "tgkill(child, its tid, 0): it exists");
    /* A thread's tid names its process for kill, getpgid and getsid; a
     * pidfd of it needs PIDFD_THREAD (Linux 6.9: ENOENT without). */
    CHECK(kill(tid, 0) == 0, "kill(its tid, 0): the child's thread names the child");
    CHECK(getpgid(tid) == getpgid(c) && getsid(tid) == getsid(c), "getpgid/getsid of its tid: the child's");
    CHECK(syscall(SYS_pidfd_open, tid, 0) == -1 && errno == ENOENT, "pidfd_open(its tid, 0): ENOENT");
    /* Mismatched: nothing may reach the child (its thread would take it). */
    int hold[2];
    if (pipe(hold))
        DIE("pipe");
    fflush(stdout);
    pid_t other = fork();
    if (other == 0) {
        close(hold[1]);
        char b;
        while (read(hold[0], &b, 1) > 0) /* until we close it */
            ;
        _exit(0);
    }
    close(hold[0]);
    pthread_t ours;
    int ours_up[2];
    if (pipe(ours_up) || pthread_create(&ours, NULL, ours_thread, ours_up) != 0)
        DIE("our thread");
    pid_t our_tid;
    if (read(ours_up[0], &our_tid, sizeof(our_tid)) != sizeof(our_tid))
        DIE("our thread's tid");
    CHECK(syscall(SYS_tgkill, c, getpid(), SIGUSR1) == -1 && errno == ESRCH, "tgkill(child, our pid): ESRCH");
    CHECK(syscall(SYS_tgkill, c, our_tid, SIGUSR1) == -1 && errno == ESRCH, "tgkill(child, our thread): ESRCH");
    CHECK(syscall(SYS_tgkill, c, our_tid, 0) == -1 && errno == ESRCH, "tgkill(child, our thread, 0): ESRCH");
    CHECK(syscall(SYS_tgkill, getpid(), tid, SIGUSR1) == -1 && errno == ESRCH, "tgkill(us, the child's thread): ESRCH");
    CHECK(syscall(SYS_tgkill, other, tid, SIGUSR1) == -1 && errno == ESRCH,
          "tgkill(another child, the child's thread): ESRCH");
    CHECK(syscall(SYS_tgkill, other, tid, 0) == -1 && errno == ESRCH,
          "tgkill(another child, the child's thread, 0): ESRCH");
    CHECK(syscall(SYS_tgkill, c, other, SIGUSR1) == -1 && errno == ESRCH, "tgkill(child, another child's pid): ESRCH");
    siginfo_t qi = tu_queue_info(SIGRTMIN, 0);
    CHECK(syscall(SYS_rt_tgsigqueueinfo, other, tid, SIGRTMIN, &qi) == -1 && errno == ESRCH,
          "rt_tgsigqueueinfo(another child, the child's thread): ESRCH");
    CHECK(syscall(SYS_tkill, tid, SIGUSR1) == 0, "tkill(its tid, SIGUSR1)");
    CHECK(syscall(SYS_tgkill, c, tid, SIGUSR2) == 0, "tgkill(child, its tid, SIGUSR2)");
    int st;
    siginfo_t si = tu_queue_info(SIGRTMIN, 5);
    CHECK(waitpid(c, &st, WNOHANG) == 0, "the child still runs");
    CHECK(syscall(SYS_rt_tgsigqueueinfo, c, tid, SIGRTMIN, &si) == 0, "rt_tgsigqueueinfo(child, its tid, SIGRTMIN)");
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child exited 0");
    close(up[1]);
    close(hold[1]);
    CHECK(waitpid(other, &st, 0) == other && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the other child exited 0");
    char buf[512];
    ssize_t n = read(up[0], buf, sizeof(buf)); /* both lines: written before the child ended */
    if (n > 0)
        fwrite(buf, 1, (size_t)n, stdout);
    CHECK(syscall(SYS_tkill, tid, SIGUSR1) == -1 && errno == ESRCH, "tkill of the reaped child's thread: ESRCH");
    CHECK(kill(tid, 0) == -1 && errno == ESRCH, "kill of the reaped child's thread: ESRCH");
    CHECK(getpgid(tid) == -1 && errno == ESRCH, "getpgid of the reaped child's thread: ESRCH");
    CHECK(syscall(SYS_pidfd_open, tid, 0) == -1 && errno == ESRCH, "pidfd_open of the reaped child's thread: ESRCH");
    CHECK(syscall(SYS_tkill, 4000000, SIGUSR1) == -1 && errno == ESRCH, "tkill of a tid of no one: ESRCH");
    return tu_done();
}
