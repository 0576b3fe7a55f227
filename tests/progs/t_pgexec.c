/* setpgid by the parent on a child that has performed execve is EACCES
 * (Linux's PF_FORKNOEXEC rule), on one that has not, 0; the rule's place
 * among the others (ESRCH for a process that is not a child, EPERM for a
 * child in another session, which comes first); the exec'd child may still
 * move itself. The child says it has exec'd only from the new program (a
 * byte on a pipe), so the parent's setpgid comes after its execve without
 * any wait for time; a vfork parent resumes after the child's execve, so
 * its setpgid right after vfork returns must be EACCES too. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include "testutil.h"

extern char **environ;

static const char *self;

/* The exec'd program: "exec'd UP DOWN [setsid|self]": reports on UP, then
 * waits on DOWN (EOF) before it exits. */
static int execd(int argc, char **argv)
{
    int up = atoi(argv[2]), down = atoi(argv[3]);
    const char *mode = argc > 4 ? argv[4] : "";
    int r = 0;
    if (!strcmp(mode, "self"))
        r = setpgid(0, 0) == 0 && getpgrp() == getpid() ? 0 : errno;
    char b = (char)r;
    if (write(up, &b, 1) != 1)
        return 3;
    while (read(down, &b, 1) > 0)
        ;
    return 0;
}

struct kid {
    pid_t pid;
    int up, down; /* our ends */
};

/* A child that execs this program in mode mode (setsid first if asked),
 * or, with no mode, waits without exec. Returns once the child is in its
 * new program (or forked, for none). */
static struct kid spawn_kid(const char *mode, bool do_exec, bool setsid_first)
{
    int up[2], down[2];
    if (pipe(up) || pipe(down))
        DIE("pipe");
    fflush(stdout);
    struct kid k = { fork(), up[0], down[1] };
    if (k.pid < 0)
        DIE("fork");
    if (k.pid == 0) {
        close(up[0]);
        close(down[1]);
        if (setsid_first && setsid() < 0)
            _exit(4);
        if (!do_exec) {
            char b = 0;
            if (write(up[1], &b, 1) != 1)
                _exit(3);
            while (read(down[0], &b, 1) > 0)
                ;
            _exit(0);
        }
        char u[16], d[16];
        snprintf(u, sizeof(u), "%d", up[1]);
        snprintf(d, sizeof(d), "%d", down[0]);
        char *argv[] = { (char *)self, "exec'd", u, d, (char *)mode, NULL };
        execve(self, argv, environ);
        _exit(127);
    }
    close(up[1]);
    close(down[0]);
    char b;
    if (read(k.up, &b, 1) != 1)
        DIE("the child's report");
    if (b)
        printf("the child's own setpgid: %s\n", errname(b));
    return k;
}

static void end_kid(struct kid *k, const char *what)
{
    close(k->down);
    close(k->up);
    int st;
    CHECK(waitpid(k->pid, &st, 0) == k->pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the child exited 0",
          what);
}

/* For a child that execs at once (vfork, posix_spawn): our ends close on
 * exec, so that its DOWN sees EOF when we close ours. */
static void kid_pipes(int up[2], int down[2])
{
    if (pipe2(up, O_CLOEXEC) || pipe2(down, O_CLOEXEC) || fcntl(up[1], F_SETFD, 0) ||
        fcntl(down[0], F_SETFD, 0))
        DIE("pipe");
}

static const char *res(int r)
{
    return r == 0 ? "0" : errname(errno);
}

/* One call's result on a line of its own (its errno read at once). */
static void show(const char *what, int r)
{
    printf("%s: %s\n", what, res(r));
}

int main(int argc, char **argv)
{
    int st;
    self = argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 3 && !strcmp(argv[1], "exec'd"))
        return execd(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "exit"))
        return 0;

    /* Before its execve: the parent may move it, and back. */
    struct kid k = spawn_kid("", false, false);
    int r = setpgid(k.pid, k.pid);
    printf("before exec: setpgid(child, child) = %s\n", res(r));
    CHECK(getpgid(k.pid) == k.pid, "before exec: the child leads its group");
    r = setpgid(k.pid, getpgrp());
    printf("before exec: setpgid(child, ours) = %s\n", res(r));
    CHECK(getpgid(k.pid) == getpgrp(), "before exec: the child is back in ours");
    end_kid(&k, "before exec");

    /* After: EACCES, whatever the group, and nothing changed. */
    k = spawn_kid("", true, false);
    r = setpgid(k.pid, k.pid);
    printf("after exec: setpgid(child, child) = %s\n", res(r));
    r = setpgid(k.pid, 0);
    printf("after exec: setpgid(child, 0) = %s\n", res(r));
    r = setpgid(k.pid, getpgrp());
    printf("after exec: setpgid(child, ours) = %s\n", res(r));
    CHECK(getpgid(k.pid) == getpgrp(), "after exec: the child is still in our group");
    end_kid(&k, "after exec");

    /* In another session too: EPERM comes first. */
    k = spawn_kid("", true, true);
    r = setpgid(k.pid, k.pid);
    printf("after setsid and exec: setpgid(child, child) = %s\n", res(r));
    end_kid(&k, "after setsid and exec");

    /* The exec'd child moves itself: allowed (its report is 0). */
    k = spawn_kid("self", true, false);
    CHECK(getpgid(k.pid) == k.pid, "the exec'd child made its own group");
    r = setpgid(k.pid, getpgrp());
    printf("after its own setpgid: setpgid(child, ours) = %s\n", res(r));
    end_kid(&k, "self");

    /* Not a child (a grandchild): ESRCH. The middle child ends it once we
     * are done (EOF on back). */
    int up[2], back[2];
    if (pipe(up) || pipe(back))
        DIE("pipe");
    fflush(stdout);
    pid_t mid = fork();
    if (mid == 0) {
        close(up[0]);
        close(back[1]);
        struct kid g = spawn_kid("", true, false);
        if (write(up[1], &g.pid, sizeof(g.pid)) != sizeof(g.pid))
            _exit(3);
        char b;
        while (read(back[0], &b, 1) > 0)
            ;
        end_kid(&g, "grandchild");
        _exit(tu_failures ? 1 : 0);
    }
    close(up[1]);
    close(back[0]);
    pid_t g;
    if (read(up[0], &g, sizeof(g)) != sizeof(g))
        DIE("the grandchild's pid");
    r = setpgid(g, g);
    printf("grandchild after exec: setpgid = %s\n", res(r));
    close(up[0]);
    close(back[1]);
    CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the middle child exited 0");

    /* A group whose only member is a zombie not reaped yet still exists:
     * a child may join it. */
    k = spawn_kid("", false, false);
    struct kid z = spawn_kid("", false, false);
    CHECK(setpgid(z.pid, z.pid) == 0, "a child leads a group of its own");
    close(z.down);
    siginfo_t si;
    CHECK(waitid(P_PID, z.pid, &si, WEXITED | WNOWAIT) == 0, "it exited, not reaped");
    r = setpgid(k.pid, z.pid);
    printf("joining the group of a zombie: %s\n", res(r));
    CHECK(getpgid(k.pid) == z.pid, "the other child is in that group");
    z.down = open("/dev/null", O_RDONLY);
    end_kid(&z, "zombie");
    end_kid(&k, "joined");

    /* A child killed by SIGKILL (no chance to say goodbye) is a zombie
     * until reaped: its group and session are still found. */
    k = spawn_kid("", false, false);
    CHECK(kill(k.pid, SIGKILL) == 0, "SIGKILL to a child");
    CHECK(waitid(P_PID, k.pid, &si, WEXITED | WNOWAIT) == 0 && si.si_code == CLD_KILLED, "it died, not reaped");
    show("killed child: getpgid is ours", getpgid(k.pid) == getpgrp() ? 0 : -1);
    show("killed child: getsid is ours", getsid(k.pid) == getsid(0) ? 0 : -1);
    printf("killed child: setpgid(child, ours) = %s\n", res(setpgid(k.pid, getpgrp())));
    close(k.down);
    close(k.up);
    CHECK(waitpid(k.pid, &st, 0) == k.pid && WIFSIGNALED(st), "killed child: reaped");
    printf("reaped child: getpgid %s\n", getpgid(k.pid) < 0 ? errname(errno) : "found");

    /* setsid while our pid still names a group (a child left in it, alive
     * or a zombie): EPERM; once that child is reaped: a new session. */
    fflush(stdout);
    mid = fork();
    if (mid == 0) {
        pid_t outer = getpgrp();
        k = spawn_kid("", false, false);
        if (setpgid(0, 0) || setpgid(k.pid, getpid()) || setpgid(0, outer))
            _exit(6);
        printf("setsid with a child in the group of our pid: %s\n", res(setsid()));
        close(k.down);
        CHECK(waitid(P_PID, k.pid, &si, WEXITED | WNOWAIT) == 0, "that child exited, not reaped");
        printf("setsid with a zombie there: %s\n", res(setsid()));
        CHECK(waitpid(k.pid, &st, 0) == k.pid, "that child reaped");
        printf("setsid then: %s\n", res(setsid() == getpid() ? 0 : -1));
        _exit(tu_failures ? 1 : 0);
    }
    CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the setsid child exited 0");

    /* The arguments' edge cases, in Linux's order of the checks (in a
     * child: no session leader on either side). */
    fflush(stdout);
    mid = fork();
    if (mid == 0) {
        show("setpgid(-1, 0)", setpgid(-1, 0));
        show("setpgid(-1, 5)", setpgid(-1, 5));
        show("setpgid(INT_MIN, 0)", setpgid(INT_MIN, 0));
        show("setpgid(0, -5)", setpgid(0, -5));
        show("setpgid(0, 4000000)", setpgid(0, 4000000));
        show("setpgid(0, 4194305)", setpgid(0, 4194305));
        show("setpgid(0, INT_MAX)", setpgid(0, INT_MAX));
        show("getpgid(-1)", getpgid(-1) < 0 ? -1 : 0);
        show("getsid(-1)", getsid(-1) < 0 ? -1 : 0);
        show("getpgid(INT_MIN)", getpgid(INT_MIN) < 0 ? -1 : 0);
        show("getpgid(4000000)", getpgid(4000000) < 0 ? -1 : 0);
        _exit(0);
    }
    CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the edge cases' child exited 0");

    /* vfork: the parent resumes once the child has exec'd. */
    int down[2], upv[2];
    kid_pipes(upv, down);
    char d[16], u[16];
    snprintf(d, sizeof(d), "%d", down[0]);
    snprintf(u, sizeof(u), "%d", upv[1]);
    char *vargv[] = { (char *)self, "exec'd", u, d, NULL };
    fflush(stdout);
    pid_t v = vfork();
    if (v == 0) {
        execve(self, vargv, environ);
        _exit(127);
    }
    r = setpgid(v, v);
    printf("vfork after exec: setpgid(child, child) = %s\n", res(r));
    close(down[0]);
    close(upv[1]);
    char b;
    CHECK(read(upv[0], &b, 1) == 1, "the vfork child ran its new program");
    struct kid vk = { v, upv[0], down[1] };
    end_kid(&vk, "vfork");

    /* The same at once, many times: a child that reports from the first
     * instruction of its new program's main, a vfork child not at all
     * (its parent resumes after the execve; Linux itself lets the parent
     * run a moment before the child is marked exec'd, so a few may be 0
     * natively). */
    volatile int moved_fork = 0, moved_vfork = 0, failed = 0;
    char *eargv[] = { (char *)self, "exit", NULL };
    for (volatile int i = 0; i < 100; i++) {
        k = spawn_kid("", true, false);
        if (setpgid(k.pid, k.pid) != -1 || errno != EACCES)
            moved_fork++;
        close(k.down);
        close(k.up);
        if (waitpid(k.pid, &st, 0) != k.pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
        v = vfork();
        if (v == 0) {
            execve(self, eargv, environ);
            _exit(127);
        }
        if (setpgid(v, v) != -1 || errno != EACCES)
            moved_vfork++;
        if (waitpid(v, &st, 0) != v || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed++;
    }
    fprintf(stderr, "not EACCES: after fork %d, after vfork %d\n", moved_fork, moved_vfork);
    printf("at once, 100 times: setpgid after fork and exec EACCES %s\n", moved_fork ? "not always" : "always");
    printf("at once, 100 times: setpgid after vfork and exec EACCES %s\n", moved_vfork < 20 ? "(nearly) always" : "often not");
    CHECK(!failed, "the 200 children exited 0");

    /* posix_spawn's POSIX_SPAWN_SETPGROUP: the child moves itself before
     * its execve. */
    kid_pipes(up, down);
    snprintf(u, sizeof(u), "%d", up[1]);
    snprintf(d, sizeof(d), "%d", down[0]);
    char *sargv[] = { (char *)self, "exec'd", u, d, NULL };
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t s;
    fflush(stdout);
    CHECK(posix_spawn(&s, self, NULL, &at, sargv, environ) == 0, "posix_spawn with SETPGROUP");
    close(up[1]);
    close(down[0]);
    CHECK(read(up[0], &b, 1) == 1, "the spawned child ran");
    CHECK(getpgid(s) == s, "the spawned child leads its own group");
    r = setpgid(s, getpgrp());
    printf("posix_spawn child: setpgid(child, ours) = %s\n", res(r));
    struct kid sk = { s, up[0], down[1] };
    end_kid(&sk, "posix_spawn");
    return tu_failures ? 1 : 0;
}
