/* A process acts on its child the moment fork() returned, and on a
 * grandchild the moment the child passed its pid on (issue 6: the
 * child's registration and RPC listener are set up while the app runs, so
 * a call that reaches nsd or the child too early found no one). Each
 * round forks a child that waits on a pipe; the parent at once calls
 * every kind of operation that takes a pid, and counts failures per
 * operation; then the child forks a grandchild and the same calls are made
 * on that one. As on Linux, none may fail. Round count: argv[1] (300). */
#include <fcntl.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "testutil.h"

enum {
    SETPRIO, GETPRIO, GETSCHED, GETAFFINITY, PRLIMIT, IOPRIO, KILL0, SIGQUEUE0, TGKILL0, GETPGID, GETSID,
    PIDFD, PROC_STAT, PROC_EXE, WAITID_NOHANG, SETPGID, NOPS
};
static const char *const names[NOPS] = {
    "setpriority", "getpriority", "sched_getscheduler", "sched_getaffinity", "prlimit", "ioprio_get", "kill 0",
    "sigqueue 0", "tgkill 0", "getpgid", "getsid", "pidfd_open", "/proc/PID/stat ppid", "/proc/PID/exe",
    "waitid WNOHANG", "setpgid",
};
static int fails[2][NOPS];
static int base;

/* The ppid field of /proc/pid/stat, -1 if unreadable. */
static int stat_ppid(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    int ppid = -1;
    return p && sscanf(p, ") %*c %d", &ppid) == 1 ? ppid : -1;
}

static bool exe_readable(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/exe", pid);
    return readlink(path, buf, sizeof(buf)) > 0;
}

/* Every call on pid, at once; *f counts the failures. parent: pid's. */
static void act_on(pid_t pid, pid_t parent, int *f)
{
    errno = 0;
    f[SETPRIO] += setpriority(PRIO_PROCESS, pid, base) != 0;
    errno = 0;
    f[GETPRIO] += getpriority(PRIO_PROCESS, pid) != base || errno;
    f[GETSCHED] += sched_getscheduler(pid) != SCHED_OTHER;
    cpu_set_t set;
    f[GETAFFINITY] += sched_getaffinity(pid, sizeof(set), &set) != 0;
    struct rlimit rl;
    f[PRLIMIT] += prlimit(pid, RLIMIT_NOFILE, NULL, &rl) != 0;
    f[IOPRIO] += syscall(SYS_ioprio_get, 1, pid) < 0;
    f[KILL0] += kill(pid, 0) != 0;
    f[SIGQUEUE0] += sigqueue(pid, 0, (union sigval){ 7 }) != 0;
    f[TGKILL0] += syscall(SYS_tgkill, pid, pid, 0) != 0;
    f[GETPGID] += getpgid(pid) != getpgid(0);
    f[GETSID] += getsid(pid) != getsid(0);
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    f[PIDFD] += pfd < 0;
    if (pfd >= 0)
        close(pfd);
    f[PROC_STAT] += stat_ppid(pid) != parent;
    f[PROC_EXE] += !exe_readable(pid);
}

/* The child: forks two grandchildren that wait on the same pipe (the
 * second with a lease already at hand, so its registration may be queued
 * behind the first's at nsd), hands the second's pid on, waits for them;
 * then waits for its own go. */
static void child(int go, int to_parent)
{
    pid_t g[2];
    for (int i = 0; i < 2; i++) {
        g[i] = fork();
        if (g[i] < 0)
            _exit(2);
        if (g[i] == 0) {
            char c;
            _exit(read(go, &c, 1) == 1 ? 0 : 3);
        }
    }
    if (write(to_parent, &g[1], sizeof(g[1])) != sizeof(g[1]))
        _exit(4);
    for (int i = 0; i < 2; i++) {
        int st;
        if (waitpid(g[i], &st, 0) != g[i] || !WIFEXITED(st) || WEXITSTATUS(st))
            _exit(5);
    }
    char c;
    _exit(read(go, &c, 1) == 1 ? 0 : 6);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    base = getpriority(PRIO_PROCESS, 0);
    int bad_exit = 0;
    for (int i = 0; i < rounds; i++) {
        int go[2], up[2];
        if (pipe(go) < 0 || pipe(up) < 0)
            DIE("pipe");
        pid_t c = fork();
        if (c < 0)
            DIE("fork");
        if (c == 0) {
            close(go[1]);
            close(up[0]);
            child(go[0], up[1]);
        }
        close(go[0]);
        close(up[1]);
        act_on(c, getpid(), fails[0]);
        siginfo_t si = { 0 };
        fails[0][WAITID_NOHANG] += waitid(P_PID, c, &si, WEXITED | WNOHANG) != 0 || si.si_pid != 0;
        pid_t g;
        if (read(up[0], &g, sizeof(g)) != sizeof(g))
            DIE("grandchild pid");
        act_on(g, c, fails[1]);
        fails[1][SETPGID] += setpgid(g, 0) == 0 || errno != ESRCH; /* not our child: ESRCH */
        fails[0][SETPGID] += setpgid(c, c) != 0;
        /* one byte for each grandchild, one for the child */
        if (write(go[1], "xxx", 3) != 3)
            DIE("write");
        int st;
        if (waitpid(c, &st, 0) != c)
            DIE("waitpid");
        bad_exit += !WIFEXITED(st) || WEXITSTATUS(st);
        close(go[1]);
        close(up[0]);
    }
    for (int w = 0; w < 2; w++)
        for (int op = 0; op < NOPS; op++)
            if (w == 0 || op != WAITID_NOHANG)
                CHECK(fails[w][op] == 0, "%s of the %s at once: %d of %d failed", names[op],
                      w ? "grandchild" : "child", fails[w][op], rounds);
    CHECK(bad_exit == 0, "every child exited 0 (%d did not)", bad_exit);
    return tu_done();
}
