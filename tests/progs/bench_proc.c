/* Multi-process costs, each the median of many single operations:
 *   fork_exit_wait   fork, the child _exits, the parent waits
 *   fork_exec_wait   fork, the child execs /bin/true, the parent waits
 *   signal_roundtrip SIGUSR1 to another process and its SIGUSR1 back
 *   pipe_roundtrip   one byte to another process over a pipe and back
 *   kill_group       (only with argument "kill_group": natively it must run
 *                    in a PID namespace of its own) SIGUSR1 by kill(-pgid) to
 *                    a process group of 8 children, until each has answered
 *                    with a byte on a pipe
 * Prints "NAME_us: X" lines for libos_bench.sh. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

static void fork_exit_wait(int n)
{
    double t[n];
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        pid_t p = fork();
        if (p == 0)
            _exit(0);
        waitpid(p, NULL, 0);
        t[i] = now_us() - t0;
    }
    report("fork_exit_wait", t, n);
}

static void fork_exec_wait(int n)
{
    double t[n];
    char *argv[] = { "true", NULL }, *envp[] = { NULL };
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        pid_t p = fork();
        if (p == 0) {
            execve("/bin/true", argv, envp);
            _exit(127);
        }
        waitpid(p, NULL, 0);
        t[i] = now_us() - t0;
    }
    report("fork_exec_wait", t, n);
}

static void on_usr1(int sig)
{
    (void)sig;
}

/* SIGUSR1 caught by a no-op handler and blocked, so that only sigsuspend
 * (with the mask *old) takes it. */
static void catch_usr1_blocked(sigset_t *old)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    sigprocmask(SIG_BLOCK, &usr1, old);
}

static void signal_roundtrip(int n)
{
    double t[n];
    sigset_t old;
    catch_usr1_blocked(&old);
    pid_t parent = getpid(), p = fork();
    if (p == 0) {
        for (int i = 0; i < n; i++) {
            sigsuspend(&old);
            kill(parent, SIGUSR1);
        }
        _exit(0);
    }
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        kill(p, SIGUSR1);
        sigsuspend(&old);
        t[i] = now_us() - t0;
    }
    waitpid(p, NULL, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    report("signal_roundtrip", t, n);
}

static void pipe_roundtrip(int n)
{
    double t[n];
    int ping[2], pong[2];
    char c = 'x';
    pipe(ping);
    pipe(pong);
    pid_t p = fork();
    if (p == 0) {
        for (int i = 0; i < n; i++)
            if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
                _exit(1);
        _exit(0);
    }
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
            exit(1);
        t[i] = now_us() - t0;
    }
    waitpid(p, NULL, 0);
    report("pipe_roundtrip", t, n);
}

#define GROUP 8
static void kill_group(int n)
{
    double t[n];
    int ack[2];
    char c = 'x';
    sigset_t old;
    catch_usr1_blocked(&old);
    if (pipe(ack))
        exit(1);
    pid_t kids[GROUP], pgid = 0;
    for (int k = 0; k < GROUP; k++) {
        pid_t p = fork();
        if (p == 0) {
            /* one byte when in the group, then one per signal */
            if (setpgid(0, pgid) || write(ack[1], &c, 1) != 1)
                _exit(1);
            for (int i = 0; i < n; i++) {
                sigsuspend(&old);
                if (write(ack[1], &c, 1) != 1)
                    _exit(1);
            }
            _exit(0);
        }
        setpgid(p, pgid ? pgid : p); /* either side first: no race */
        if (!pgid)
            pgid = p;
        kids[k] = p;
    }
    for (int k = 0; k < GROUP; k++)
        if (read(ack[0], &c, 1) != 1)
            exit(1);
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        kill(-pgid, SIGUSR1);
        for (int k = 0; k < GROUP; k++)
            if (read(ack[0], &c, 1) != 1)
                exit(1);
        t[i] = now_us() - t0;
    }
    for (int k = 0; k < GROUP; k++)
        waitpid(kids[k], NULL, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    report("kill_group", t, n);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "kill_group")) {
        kill_group(500);
        return 0;
    }
    fork_exit_wait(200);
    fork_exec_wait(100);
    signal_roundtrip(1000);
    pipe_roundtrip(2000);
    return 0;
}
