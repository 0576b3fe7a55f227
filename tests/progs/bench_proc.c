/* Multi-process costs, each the median of many single operations:
 *   fork_exit_wait   fork, the child _exits, the parent waits
 *   fork_exec_wait   fork, the child execs /bin/true, the parent waits
 *   signal_roundtrip SIGUSR1 to another process and its SIGUSR1 back
 *   pipe_roundtrip   one byte to another process over a pipe and back
 * Prints "NAME_us: X" lines for libos_bench.sh. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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

static void signal_roundtrip(int n)
{
    double t[n];
    sigset_t usr1, old;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    sigprocmask(SIG_BLOCK, &usr1, &old);
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

int main(void)
{
    fork_exit_wait(200);
    fork_exec_wait(100);
    signal_roundtrip(1000);
    pipe_roundtrip(2000);
    return 0;
}
