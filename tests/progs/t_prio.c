/* Scheduling, priorities and limits of other processes (issue 9 item 2):
 * a parent renices, affines, reschedules, limits and sets the I/O priority
 * of its child, which reads its own values back; a nobody child is refused
 * where Linux refuses; setpriority/getpriority over a process group of 3
 * and over a uid. Runs as root, natively in a PID namespace (PRIO_USER
 * sees only the namespace's processes). Nice values are printed relative
 * to the start (the run may itself be niced); only raising them is tried,
 * which needs no privilege on the host. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#define IOPRIO_BE(level) (2 << 13 | (level))

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t prio;
    uint64_t runtime, deadline, period;
};

static int base;

static int nice_of(int which, int who)
{
    errno = 0;
    int n = getpriority(which, who);
    return errno ? -100 - errno : n - base;
}

/* A child that waits for a byte on *go, then runs fn and exits. */
static pid_t spawn(int go[2], void (*fn)(void))
{
    if (pipe(go) < 0)
        DIE("pipe");
    fflush(stdout);
    pid_t p = fork();
    if (p < 0)
        DIE("fork");
    if (p == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        fn();
        fflush(stdout);
        _exit(tu_failures ? 1 : 0);
    }
    close(go[0]);
    return p;
}

/* Lets the child go and waits for it: its output comes in order. */
static void finish(int go[2], pid_t p)
{
    int st;
    if (write(go[1], "x", 1) != 1)
        DIE("write");
    close(go[1]);
    if (waitpid(p, &st, 0) != p)
        DIE("waitpid");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited 0");
}

static void read_own(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set),
          "child: its affinity is cpu 0 only");
    printf("child: nice %+d policy %d\n", nice_of(PRIO_PROCESS, 0), sched_getscheduler(0));
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 100 && rl.rlim_max == 200,
          "child: RLIMIT_NOFILE is 100/200");
    CHECK(getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_cur == 0 && rl.rlim_max == 0, "child: RLIMIT_CORE is 0/0");
    CHECK(syscall(SYS_ioprio_get, 1, 0) == IOPRIO_BE(4), "child: its I/O priority is best-effort 4");
}

static void parent_sets_child(void)
{
    int go[2];
    pid_t c = spawn(go, read_own);
    CHECK(setpriority(PRIO_PROCESS, c, base + 2) == 0, "setpriority(child, +2)");
    printf("getpriority(child): %+d\n", nice_of(PRIO_PROCESS, c));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CHECK(sched_setaffinity(c, sizeof(set), &set) == 0, "sched_setaffinity(child, cpu 0)");
    CPU_ZERO(&set);
    int n = (int)syscall(SYS_sched_getaffinity, c, sizeof(set), &set);
    CHECK(n > 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set), "sched_getaffinity(child): cpu 0 only");
    struct sched_param sp = { 0 };
    CHECK(sched_setscheduler(c, SCHED_BATCH, &sp) == 0, "sched_setscheduler(child, SCHED_BATCH)");
    printf("sched_getscheduler(child): %d\n", sched_getscheduler(c));
    sp.sched_priority = 5;
    CHECK(sched_getparam(c, &sp) == 0 && sp.sched_priority == 0, "sched_getparam(child): priority 0");
    CHECK(sched_setparam(c, &sp) == 0, "sched_setparam(child, 0)");
    struct timespec ts;
    CHECK(sched_rr_get_interval(c, &ts) == 0, "sched_rr_get_interval(child)");
    struct attr a = { .size = sizeof(a), .policy = SCHED_BATCH, .nice = base + 3 };
    CHECK(syscall(SYS_sched_setattr, c, &a, 0) == 0, "sched_setattr(child, SCHED_BATCH, nice +3)");
    memset(&a, 0xff, sizeof(a));
    CHECK(syscall(SYS_sched_getattr, c, &a, sizeof(a), 0) == 0 && a.size == sizeof(a) &&
              a.policy == SCHED_BATCH && a.nice == base + 3,
          "sched_getattr(child): SCHED_BATCH, nice +3");
    struct rlimit rl = { 100, 200 }, old;
    CHECK(prlimit(c, RLIMIT_NOFILE, &rl, NULL) == 0, "prlimit(child, RLIMIT_NOFILE, 100/200)");
    CHECK(prlimit(c, RLIMIT_NOFILE, NULL, &old) == 0 && old.rlim_cur == 100 && old.rlim_max == 200,
          "prlimit(child, RLIMIT_NOFILE) reads 100/200");
    rl = (struct rlimit){ 300, 100 };
    CHECK(prlimit(c, RLIMIT_NOFILE, &rl, NULL) < 0 && errno == EINVAL, "prlimit(child) soft above hard: EINVAL");
    rl = (struct rlimit){ 0, 0 };
    CHECK(prlimit(c, RLIMIT_CORE, &rl, &old) == 0, "prlimit(child, RLIMIT_CORE, 0/0)");
    CHECK(syscall(SYS_ioprio_set, 1, c, IOPRIO_BE(4)) == 0, "ioprio_set(child, best-effort 4)");
    CHECK(syscall(SYS_ioprio_get, 1, c) == IOPRIO_BE(4), "ioprio_get(child): best-effort 4");
    finish(go, c);
    CHECK(setpriority(PRIO_PROCESS, c, base + 2) < 0 && errno == ESRCH, "setpriority(reaped child): ESRCH");
    CHECK(prlimit(c, RLIMIT_NOFILE, NULL, &old) < 0 && errno == ESRCH, "prlimit(reaped child): ESRCH");
}

static int tid_pipe[2], thread_go[2];

static void *thread_reads(void *arg)
{
    (void)arg;
    pid_t tid = gettid();
    char ch;
    if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid) || read(thread_go[0], &ch, 1) != 1)
        _exit(3);
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set),
          "thread: its affinity is cpu 0 only");
    printf("thread: nice %+d\n", nice_of(PRIO_PROCESS, 0));
    return NULL;
}

/* Another process's thread, by its tid: that thread is changed, not its
 * process's main thread; a tid names its process for prlimit. */
static void other_thread(void)
{
    if (pipe(tid_pipe) < 0 || pipe(thread_go) < 0)
        DIE("pipe");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, thread_reads, NULL) != 0)
            DIE("pthread_create");
        pthread_join(t, NULL);
        printf("thread's main thread: nice %+d\n", nice_of(PRIO_PROCESS, 0));
        fflush(stdout);
        _exit(tu_failures ? 1 : 0);
    }
    pid_t tid;
    if (read(tid_pipe[0], &tid, sizeof(tid)) != sizeof(tid))
        DIE("tid");
    CHECK(setpriority(PRIO_PROCESS, tid, base + 9) == 0, "setpriority(another process's thread, +9)");
    printf("getpriority(that thread): %+d\n", nice_of(PRIO_PROCESS, tid));
    printf("getpriority(its process): %+d\n", nice_of(PRIO_PROCESS, c));
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CHECK(sched_setaffinity(tid, sizeof(set), &set) == 0, "sched_setaffinity(that thread, cpu 0)");
    struct rlimit rl = { 0, 0 }, old;
    CHECK(prlimit(tid, RLIMIT_CORE, &rl, NULL) == 0 && prlimit(c, RLIMIT_CORE, NULL, &old) == 0 &&
              old.rlim_max == 0,
          "prlimit(that thread) sets its process's limit");
    int st;
    if (write(thread_go[1], "x", 1) != 1 || waitpid(c, &st, 0) != c)
        DIE("thread child");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child exited 0");
}

static pid_t victim;

static void nobody_tries(void)
{
    if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
        DIE("setresuid");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    struct sched_param sp = { 0 };
    struct rlimit rl;
    struct attr a = { .size = sizeof(a), .policy = SCHED_OTHER, .nice = base + 1 };
    printf("nobody: setpriority %s\n", setpriority(PRIO_PROCESS, victim, 19) < 0 ? errname(errno) : "ok");
    printf("nobody: getpriority %+d\n", nice_of(PRIO_PROCESS, victim));
    printf("nobody: setaffinity %s\n", sched_setaffinity(victim, sizeof(set), &set) < 0 ? errname(errno) : "ok");
    printf("nobody: getaffinity %s\n", sched_getaffinity(victim, sizeof(set), &set) < 0 ? errname(errno) : "ok");
    printf("nobody: setscheduler %s\n",
           sched_setscheduler(victim, SCHED_BATCH, &sp) < 0 ? errname(errno) : "ok");
    printf("nobody: getscheduler %d\n", sched_getscheduler(victim));
    printf("nobody: setattr %s\n", syscall(SYS_sched_setattr, victim, &a, 0) < 0 ? errname(errno) : "ok");
    printf("nobody: prlimit read %s\n", prlimit(victim, RLIMIT_NOFILE, NULL, &rl) < 0 ? errname(errno) : "ok");
    rl = (struct rlimit){ 10, 10 };
    printf("nobody: prlimit set %s\n", prlimit(victim, RLIMIT_NOFILE, &rl, NULL) < 0 ? errname(errno) : "ok");
    printf("nobody: ioprio_set %s\n",
           syscall(SYS_ioprio_set, 1, victim, IOPRIO_BE(7)) < 0 ? errname(errno) : "ok");
    printf("nobody: ioprio_get %ld\n", syscall(SYS_ioprio_get, 1, victim));
    printf("nobody: setpriority(PRIO_USER, 0) %s\n", setpriority(PRIO_USER, 0, 19) < 0 ? errname(errno) : "ok");
    printf("nobody: own nice %+d\n", nice_of(PRIO_PROCESS, 0));
}

static void victim_reads(void)
{
    struct rlimit rl;
    printf("victim: nice %+d policy %d\n", nice_of(PRIO_PROCESS, 0), sched_getscheduler(0));
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != 10, "victim: RLIMIT_NOFILE unchanged");
}

static void nobody_refused(void)
{
    int vgo[2], ngo[2];
    victim = spawn(vgo, victim_reads);
    CHECK(setpriority(PRIO_PROCESS, victim, base + 1) == 0, "setpriority(victim, +1)");
    pid_t n = spawn(ngo, nobody_tries);
    finish(ngo, n);
    finish(vgo, victim);
}

static void print_nice(void)
{
    printf("member: nice %+d ioprio %#lx\n", nice_of(PRIO_PROCESS, 0), syscall(SYS_ioprio_get, 1, 0));
}

static void ioprio_of(const char *what, int which, int who)
{
    long r = syscall(SYS_ioprio_get, which, who);
    printf("ioprio_get(%s): %s\n", what, r < 0 ? errname(errno) : "");
    if (r >= 0)
        printf("  %#lx\n", r);
}

static void group_of_3(void)
{
    int go[3][2];
    pid_t m[3];
    for (int i = 0; i < 3; i++) {
        m[i] = spawn(go[i], print_nice);
        /* both sides, as a shell does: the group exists whoever runs first */
        if (setpgid(m[i], m[0]) < 0)
            DIE("setpgid");
    }
    pid_t pg = m[0];
    CHECK(setpriority(PRIO_PGRP, pg, base + 4) == 0, "setpriority(PRIO_PGRP of 3, +4)");
    printf("getpriority(PRIO_PGRP): %+d\n", nice_of(PRIO_PGRP, pg));
    CHECK(setpriority(PRIO_PROCESS, m[1], base + 6) == 0, "setpriority(one member, +6)");
    printf("getpriority(PRIO_PGRP) after one at +6: %+d\n", nice_of(PRIO_PGRP, pg));
    CHECK(setpriority(PRIO_PROCESS, m[0], base + 7) == 0 && setpriority(PRIO_PROCESS, m[2], base + 7) == 0,
          "setpriority(the others, +7)");
    printf("getpriority(PRIO_PGRP) after two at +7: %+d\n", nice_of(PRIO_PGRP, pg));
    printf("getpriority(PRIO_PGRP, no such group): %+d\n", nice_of(PRIO_PGRP, 9999));
    CHECK(setpriority(PRIO_PGRP, 9999, 19) < 0 && errno == ESRCH, "setpriority(PRIO_PGRP, no such group): ESRCH");
    printf("own nice after the group's: %+d\n", nice_of(PRIO_PROCESS, 0));
    CHECK(syscall(SYS_ioprio_set, 2, pg, IOPRIO_BE(3)) == 0, "ioprio_set(IOPRIO_WHO_PGRP of 3, best-effort 3)");
    ioprio_of("IOPRIO_WHO_PGRP", 2, pg);
    CHECK(syscall(SYS_ioprio_set, 1, m[2], IOPRIO_BE(1)) == 0, "ioprio_set(one member, best-effort 1)");
    ioprio_of("IOPRIO_WHO_PGRP after one at 1", 2, pg);
    ioprio_of("IOPRIO_WHO_PGRP, no such group", 2, 9999);
    CHECK(syscall(SYS_ioprio_set, 2, 9999, IOPRIO_BE(3)) < 0 && errno == ESRCH,
          "ioprio_set(IOPRIO_WHO_PGRP, no such group): ESRCH");
    ioprio_of("own", 1, 0);
    for (int i = 0; i < 3; i++)
        finish(go[i], m[i]);
}

static void by_user(void)
{
    int go[2][2], ready[2][2];
    pid_t u[2];
    for (int i = 0; i < 2; i++) {
        if (pipe(ready[i]) < 0 || pipe(go[i]) < 0)
            DIE("pipe");
        fflush(stdout);
        u[i] = fork();
        if (u[i] == 0) {
            char ch;
            if (setresuid(1234, 1234, 1234) < 0)
                DIE("setresuid");
            if (write(ready[i][1], "r", 1) != 1 || read(go[i][0], &ch, 1) != 1)
                _exit(3);
            print_nice();
            fflush(stdout);
            _exit(0);
        }
        char ch;
        if (read(ready[i][0], &ch, 1) != 1)
            DIE("ready");
    }
    CHECK(setpriority(PRIO_USER, 1234, base + 5) == 0, "setpriority(PRIO_USER 1234, +5)");
    CHECK(setpriority(PRIO_PROCESS, u[1], base + 8) == 0, "setpriority(one of them, +8)");
    printf("getpriority(PRIO_USER 1234): %+d\n", nice_of(PRIO_USER, 1234));
    printf("getpriority(PRIO_USER, no such uid): %+d\n", nice_of(PRIO_USER, 4321));
    CHECK(setpriority(PRIO_USER, 4321, 19) < 0 && errno == ESRCH, "setpriority(PRIO_USER, no such uid): ESRCH");
    printf("own nice after the user's: %+d\n", nice_of(PRIO_PROCESS, 0));
    CHECK(syscall(SYS_ioprio_set, 3, 1234, IOPRIO_BE(6)) == 0, "ioprio_set(IOPRIO_WHO_USER 1234, best-effort 6)");
    ioprio_of("IOPRIO_WHO_USER 1234", 3, 1234);
    ioprio_of("IOPRIO_WHO_USER, no such uid", 3, 4321);
    ioprio_of("own", 1, 0);
    for (int i = 0; i < 2; i++)
        finish(go[i], u[i]);
}

int main(void)
{
    base = getpriority(PRIO_PROCESS, 0);
    if (base > 10)
        DIE("started with nice %d: no room to raise it", base);
    parent_sets_child();
    other_thread();
    nobody_refused();
    group_of_3();
    by_user();
    return tu_done();
}
