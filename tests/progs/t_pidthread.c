/* Thread pidfds (pidfd_open's PIDFD_THREAD, Linux 6.9): of a thread of
 * ours and of a thread of another process (a child's second thread):
 * pidfd_send_signal reaches that thread (SI_TKILL, or the queued info),
 * PIDFD_SIGNAL_THREAD_GROUP its process, PIDFD_SIGNAL_THREAD a process
 * pidfd's leader; poll says readable once the thread has exited while its
 * process lives, and a signal then is ESRCH; waitid on it is ECHILD; a
 * fork child signals our thread through the thread pidfd it inherited;
 * without PIDFD_THREAD a thread other than the leader is ENOENT;
 * PIDFD_SIGNAL_PROCESS_GROUP of a process that leads no group is ESRCH
 * (signal 0 only: nothing is sent to any group). A tid of ours names our
 * process for kill, rt_sigqueueinfo, getpgid, getsid; setpgid of it is
 * EINVAL. A thread's /proc/<tid> (not listed, reachable) and
 * /proc/<pid>/task/<tid> show that thread (Pid, stat's first field), ours
 * and a child's (whose /proc/<tid> is found by asking the process whose
 * pid lease the tid is of). */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "testutil.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define PIDFD_SIGNAL_THREAD 1
#define PIDFD_SIGNAL_THREAD_GROUP 2
#define PIDFD_SIGNAL_PROCESS_GROUP 4

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int send_sig(int fd, int sig, siginfo_t *info, unsigned flags)
{
    return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static const char *res(int r) { return r >= 0 ? "0" : errname(errno); }

/* The number after "key:" in a /proc status file, or -1. */
static long status_num(const char *text, const char *key)
{
    size_t n = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, n) && l[n] == ':')
            return strtol(l + n + 1, NULL, 10);
    return -1;
}

static int read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return 0;
}

/* What dir's status and stat say of thread tid of process pid (parent
 * ppid), as lines that do not depend on the pids. */
static void show_thread(const char *who, const char *dir, pid_t pid, pid_t tid, pid_t ppid)
{
    char path[96], buf[4096];
    snprintf(path, sizeof(path), "%s/status", dir);
    int r = read_text(path, buf, sizeof(buf));
    if (r < 0) {
        printf("%s status: %s\n", who, errname(-r));
    } else {
        char *name = strstr(buf, "Name:\t"), *state = strstr(buf, "\nState:\t");
        int nl = name ? (int)strcspn(name + 6, "\n") : 0;
        printf("%s status: Name %.*s, State line %s, Tgid pid %d, Pid tid %d, PPid %d\n", who, nl,
               name ? name + 6 : "", state ? "yes" : "no", status_num(buf, "Tgid") == pid,
               status_num(buf, "Pid") == tid, status_num(buf, "PPid") == ppid);
    }
    snprintf(path, sizeof(path), "%s/stat", dir);
    r = read_text(path, buf, sizeof(buf));
    if (r < 0) {
        printf("%s stat: %s\n", who, errname(-r));
    } else {
        char *e = strrchr(buf, ')'), *o = strchr(buf, '(');
        long f4 = e ? strtol(e + 4, NULL, 10) : -1;
        printf("%s stat: field 1 tid %d, comm %.*s, field 4 ppid %d\n", who, atoi(buf) == tid,
               e && o ? (int)(e - o + 1) : 0, o ? o : "", f4 == ppid);
    }
}

/* A thread that tells its tid on p[1], takes n signals (all blocked
 * everywhere, so each taken here) and reports them on p[1], then waits
 * for EOF on q[0] and exits. */
struct waiter {
    int p[2], q[2], n;
};

static void *waiter(void *arg)
{
    struct waiter *w = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(w->p[1], &tid, sizeof(tid)) != sizeof(tid))
        _exit(3);
    for (int i = 0; i < w->n; i++) {
        siginfo_t si;
        int sig = tu_usr_wait(&si);
        char line[160];
        int len = snprintf(line, sizeof(line), "thread took %s code %s value %d\n",
                           tu_signame(sig), tu_codename(si.si_code),
                           sig == SIGRTMIN ? si.si_value.sival_int : 0);
        if (write(w->p[1], line, (size_t)len) != len)
            _exit(4);
    }
    char b;
    while (read(w->q[0], &b, 1) > 0)
        ;
    return NULL;
}

static void start_waiter(struct waiter *w, pthread_t *t, int n)
{
    w->n = n;
    if (pipe(w->p) || pipe(w->q) || pthread_create(t, NULL, waiter, w) != 0)
        DIE("waiter");
}

static pid_t read_tid(int fd)
{
    pid_t tid;
    if (read(fd, &tid, sizeof(tid)) != sizeof(tid))
        DIE("tid");
    return tid;
}

static void print_reports(int fd)
{
    char buf[1024];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0)
        fwrite(buf, 1, (size_t)n, stdout);
}

/* One report line of a waiter. */
static void print_line(int fd)
{
    char line[160];
    int n = 0;
    while (n < (int)sizeof(line) - 1 && read(fd, line + n, 1) == 1 && line[n++] != '\n')
        ;
    line[n] = 0;
    printf("%s", line);
}

/* poll of a pidfd: without waiting, or until it is readable */
static int readable(int fd, int timeout_ms)
{
    struct pollfd p = { fd, POLLIN, 0 };
    int r = poll(&p, 1, timeout_ms);
    return r == 1 && (p.revents & POLLIN);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t set;
    tu_usr_signals(&set);
    sigprocmask(SIG_BLOCK, &set, NULL);

    /* A thread of ours. */
    struct waiter w;
    pthread_t t;
    start_waiter(&w, &t, 1);
    pid_t tid = read_tid(w.p[0]);
    printf("own thread, pidfd_open without PIDFD_THREAD: %s\n", res(pidfd_open(tid, 0)));
    /* A tid names its process for kill, getpgid and getsid; setpgid of a
     * thread but the leader is EINVAL. */
    printf("own thread: kill(tid, 0) %s\n", res(kill(tid, 0)));
    siginfo_t q0 = tu_queue_info(0, 0);
    printf("own thread: rt_sigqueueinfo(tid, 0) %s\n", res((int)syscall(SYS_rt_sigqueueinfo, tid, 0, &q0)));
    CHECK(getpgid(tid) == getpgrp(), "own thread: getpgid(tid) is ours");
    CHECK(getsid(tid) == getsid(0), "own thread: getsid(tid) is ours");
    printf("own thread: setpgid(tid, 0) %s\n", res(setpgid(tid, 0)));
    char dir[64], buf[64];
    snprintf(dir, sizeof(dir), "/proc/%d", tid);
    show_thread("own thread /proc/<tid>", dir, getpid(), tid, getppid());
    snprintf(dir, sizeof(dir), "/proc/%d/comm", tid);
    int cr = read_text(dir, buf, sizeof(buf));
    printf("own thread /proc/<tid>/comm: %s", cr < 0 ? errname(-cr) : buf);
    if (cr < 0)
        printf("\n");
    snprintf(dir, sizeof(dir), "/proc/%d/task/%d", getpid(), tid);
    show_thread("own thread task/<tid>", dir, getpid(), tid, getppid());
    snprintf(dir, sizeof(dir), "/proc/%d/task/%d", getpid(), getpid());
    show_thread("own main thread task/<pid>", dir, getpid(), getpid(), getppid());
    int fd = pidfd_open(tid, PIDFD_THREAD);
    CHECK(fd >= 0, "own thread: pidfd_open(PIDFD_THREAD)");
    CHECK(!readable(fd, 0), "own thread: not readable while it runs");
    CHECK(send_sig(fd, SIGUSR1, NULL, 0) == 0, "own thread: pidfd_send_signal");
    print_reports(w.p[0]);
    close(w.q[1]);
    pthread_join(t, NULL);
    CHECK(readable(fd, 20000), "own thread: readable once it has exited");
    printf("own thread gone: pidfd_send_signal %s\n", res(send_sig(fd, 0, NULL, 0)));
    close(fd);

    /* A thread pidfd inherited by a fork child: it signals our thread. */
    start_waiter(&w, &t, 1);
    tid = read_tid(w.p[0]);
    fd = pidfd_open(tid, PIDFD_THREAD);
    fflush(stdout);
    pid_t k = fork();
    if (k == 0)
        _exit(send_sig(fd, SIGUSR1, NULL, 0) == 0 ? 0 : errno);
    int kst;
    CHECK(waitpid(k, &kst, 0) == k && WIFEXITED(kst), "a child with our thread's pidfd ended");
    printf("the child's pidfd_send_signal to our thread: %s\n", WEXITSTATUS(kst) ? errname(WEXITSTATUS(kst)) : "0");
    print_reports(w.p[0]);
    close(w.q[1]);
    pthread_join(t, NULL);
    close(fd);

    /* A thread of a child: its pipes are made here, before the fork. */
    struct waiter cw;
    int quit[2];
    if (pipe(cw.p) || pipe(cw.q) || pipe(quit))
        DIE("pipe");
    cw.n = 3;
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        DIE("fork");
    if (c == 0) {
        close(quit[1]);
        close(cw.q[1]);
        if (pthread_create(&t, NULL, waiter, &cw) != 0)
            _exit(2);
        pthread_join(t, NULL);
        char b;
        while (read(quit[0], &b, 1) > 0)
            ;
        _exit(0);
    }
    close(quit[0]);
    close(cw.q[0]);
    close(cw.p[1]);
    tid = read_tid(cw.p[0]);
    CHECK(tid != c, "the child's second thread has a tid of its own");
    int pfd = pidfd_open(c, 0);
    CHECK(pfd >= 0, "the child: pidfd_open");
    fd = pidfd_open(tid, PIDFD_THREAD);
    CHECK(fd >= 0, "child's thread: pidfd_open(PIDFD_THREAD)");
    CHECK(!readable(fd, 0), "child's thread: not readable while it runs");
    siginfo_t wi;
    printf("child's thread: waitid(P_PIDFD) %s\n", res(waitid(P_PIDFD, fd, &wi, WEXITED | WNOHANG)));
    printf("child's thread: signal 0 %s\n", res(send_sig(fd, 0, NULL, 0)));
    printf("child's thread: PIDFD_SIGNAL_PROCESS_GROUP, signal 0: %s\n",
           res(send_sig(fd, 0, NULL, PIDFD_SIGNAL_PROCESS_GROUP)));
    printf("child: PIDFD_SIGNAL_PROCESS_GROUP, signal 0 (it leads none): %s\n",
           res(send_sig(pfd, 0, NULL, PIDFD_SIGNAL_PROCESS_GROUP)));
    printf("child: PIDFD_SIGNAL_THREAD, signal 0 (its leader): %s\n", res(send_sig(pfd, 0, NULL, PIDFD_SIGNAL_THREAD)));
    printf("child: both thread flags: %s\n",
           res(send_sig(pfd, 0, NULL, PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP)));
    /* each report read before the next signal: the order they are taken
     * in is then the order they were sent */
    CHECK(send_sig(fd, SIGUSR1, NULL, 0) == 0, "child's thread: SIGUSR1 to the thread");
    print_line(cw.p[0]);
    CHECK(send_sig(fd, SIGUSR2, NULL, PIDFD_SIGNAL_THREAD_GROUP) == 0, "child's thread: SIGUSR2 to its process");
    print_line(cw.p[0]);
    siginfo_t qi = tu_queue_info(SIGRTMIN, 7);
    CHECK(send_sig(fd, SIGRTMIN, &qi, 0) == 0, "child's thread: SIGRTMIN with a value");
    print_line(cw.p[0]);
    snprintf(dir, sizeof(dir), "/proc/%d/task/%d", c, tid);
    show_thread("child's thread task/<tid>", dir, c, tid, getpid());
    snprintf(dir, sizeof(dir), "/proc/%d", tid);
    show_thread("child's thread /proc/<tid>", dir, c, tid, getpid());
    close(cw.q[1]); /* it exits */
    CHECK(readable(fd, 20000), "child's thread: readable once it has exited");
    /* Linux makes a thread pidfd readable at the thread's exit, a moment
     * before the thread is released and a signal finds it gone. */
    int gone, tries = 0;
    while ((gone = send_sig(fd, 0, NULL, 0)) == 0 && tries++ < 10000)
        usleep(1000);
    printf("child's thread gone: pidfd_send_signal %s\n", res(gone));
    CHECK(!readable(pfd, 0), "the child still runs");
    close(quit[1]);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child exited 0");
    return tu_failures ? 1 : 0;
}
