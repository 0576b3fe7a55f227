/* Processes: fork and wait statuses, stop/continue, process groups, a pipe between parent and child,
 * execve (of an ELF and of a #! script, with argv and envp, and from a
 * process with more threads), an execve that fails and returns,
 * close-on-exec, death by a signal, WNOHANG, SIGCHLD, vfork and posix_spawn. */
#include "testutil.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t chld;

static void on_chld(int sig)
{
    (void)sig;
    chld++;
}

static void *idle_thread(void *arg)
{
    int p[2];
    char c;
    pipe(p);
    if (arg)
        read(p[0], &c, 1); /* blocked in the kernel when execve comes */
    for (;;)
        usleep(1000);
    return NULL;
}

static int cloexec_fd;

/* Also a close-on-exec and a plain fd far above the others (made by dup2,
 * fcntl F_DUPFD_CLOEXEC): the libos probes fds up to the highest it gave. */
#define HIGH_FD 700
#define HIGH_FD_PLAIN 701
#define STR(x) #x
#define XSTR(x) STR(x)
static void exec_sh(void)
{
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", cloexec_fd);
    char *argv[] = { "sh", "-c",
                     "echo \"$1 $GREETING\"; for f in \"$2\" /proc/self/fd/" XSTR(HIGH_FD) " /proc/self/fd/" XSTR(
                         HIGH_FD_PLAIN) "; do test -e $f && echo open || echo closed; done",
                     "sh", "args", fdpath, NULL };
    char *envp[] = { "GREETING=env", NULL };
    execve("/bin/sh", argv, envp);
}

static void exec_with_threads(void)
{
    pthread_t a, b;
    static int blocking = 1;
    pthread_create(&a, NULL, idle_thread, NULL);
    pthread_create(&b, NULL, idle_thread, &blocking);
    usleep(20000);
    char *argv[] = { "echo", "threads ended by execve", NULL };
    execve("/bin/echo", argv, environ);
}

static int wait_status(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid ? st : -1;
}

static void read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    for (ssize_t r; got + 1 < n && (r = read(fd, buf + got, n - 1 - got)) > 0;)
        got += r;
    buf[got] = 0;
}

/* Runs child_main in a child whose stdout is a pipe; returns its wait
 * status with what it printed in buf. */
static int capture(void (*child_main)(void), char *buf, size_t n)
{
    int fds[2];
    pipe(fds);
    pid_t p = fork();
    if (p == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        child_main();
        _exit(99);
    }
    close(fds[1]);
    read_all(fds[0], buf, n);
    close(fds[0]);
    return wait_status(p);
}

int main(void)
{
    /* SA_RESTART: the many SIGCHLDs below must not interrupt waits and reads. */
    struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_RESTART };
    sigaction(SIGCHLD, &sa, NULL);

    pid_t p = fork();
    if (p == 0)
        _exit(42);
    int st = wait_status(p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "child exit status 42 reaches waitpid");
    CHECK(chld >= 1, "SIGCHLD was delivered");

    int fds[2];
    pipe(fds);
    p = fork();
    if (p == 0) {
        close(fds[0]);
        dprintf(fds[1], "hello from pid-independent child %d", getppid() > 0);
        _exit(0);
    }
    close(fds[1]);
    char buf[256];
    read_all(fds[0], buf, sizeof(buf));
    close(fds[0]);
    wait_status(p);
    CHECK(!strcmp(buf, "hello from pid-independent child 1"), "pipe from child: %s", buf);

    p = fork();
    if (p == 0) {
        for (;;)
            pause();
    }
    kill(p, SIGTERM);
    st = wait_status(p);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "kill reaches the child; status says SIGTERM");

    p = fork();
    if (p == 0) {
        usleep(200000);
        _exit(0);
    }
    CHECK(waitpid(p, &st, WNOHANG) == 0, "WNOHANG on a running child returns 0");
    wait_status(p);
    CHECK(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "no children left: ECHILD");

    /* execve: output through a pipe, a close-on-exec fd must be gone. */
    cloexec_fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    CHECK(fcntl(cloexec_fd, F_DUPFD_CLOEXEC, HIGH_FD) == HIGH_FD && dup2(0, HIGH_FD_PLAIN) == HIGH_FD_PLAIN,
          "fds %d (close-on-exec) and %d", HIGH_FD, HIGH_FD_PLAIN);
    st = capture(exec_sh, buf, sizeof(buf));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strcmp(buf, "args env\nclosed\nclosed\nopen\n"),
          "execve /bin/sh with argv and envp; close-on-exec fds closed, the other kept: %s", buf);
    close(HIGH_FD);
    close(HIGH_FD_PLAIN);

    char *nope[] = { "nope", NULL };
    CHECK(execve("/no/such/program", nope, environ) < 0 && errno == ENOENT,
          "failed execve returns ENOENT and the caller goes on");

    FILE *f = fopen("script.sh", "w");
    fputs("#!/bin/sh -e\necho script got \"$1\"\nexit 5\n", f);
    fclose(f);
    chmod("script.sh", 0755);
    p = fork();
    if (p == 0) {
        char *argv[] = { "./script.sh", "one", NULL };
        execve("./script.sh", argv, environ);
        _exit(99);
    }
    st = wait_status(p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "#! script runs with its argument, exits 5");

    st = capture(exec_with_threads, buf, sizeof(buf));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0 && !strcmp(buf, "threads ended by execve\n"),
          "execve from a process with 3 threads");

    p = vfork();
    if (p == 0)
        _exit(7);
    st = wait_status(p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "vfork child exit status");

    p = fork();
    if (p == 0) {
        raise(SIGSTOP);
        _exit(6);
    }
    CHECK(waitpid(p, &st, WUNTRACED) == p && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
          "a child stopped by SIGSTOP: WUNTRACED reports it");
    kill(p, SIGCONT);
    CHECK(waitpid(p, &st, WCONTINUED) == p && (WIFCONTINUED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 6)),
          "SIGCONT continues it (WCONTINUED)");
    if (WIFCONTINUED(st))
        st = wait_status(p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 6, "the continued child exits 6");

    /* A process group of two: one kill(-pgid) ends both. */
    int ready[2];
    pipe(ready);
    p = fork();
    if (p == 0) {
        setpgid(0, 0);
        if (fork() == 0) {
            write(ready[1], "g", 1);
            for (;;)
                pause();
        }
        write(ready[1], "c", 1);
        for (;;)
            pause();
    }
    char two[3];
    read_all(ready[0], two, sizeof(two)); /* child and grandchild both ready */
    close(ready[1]);
    CHECK(getpgid(p) == p, "the child leads its own process group");
    CHECK(kill(-p, SIGTERM) == 0, "kill(-pgid) to the group");
    st = wait_status(p);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "the group leader died of SIGTERM");

    signal(SIGCHLD, SIG_IGN);
    p = fork();
    if (p == 0)
        _exit(0);
    CHECK(waitpid(p, &st, 0) < 0 && errno == ECHILD, "SIGCHLD ignored: the child is reaped unasked (ECHILD)");
    sigaction(SIGCHLD, &sa, NULL);

    char *sargv[] = { "true", NULL };
    CHECK(posix_spawn(&p, "/bin/true", NULL, NULL, sargv, environ) == 0, "posix_spawn /bin/true");
    st = wait_status(p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "posix_spawned child exits 0");
    return tu_done();
}
