/* vfork and clone(CLONE_VM|CLONE_VFORK) as Linux runs them: the parent
 * waits until the child execs or exits, and sees what the child wrote
 * before (a global, the parent's locals, an exec error, glibc
 * posix_spawn's error report); CLONE_PARENT_SETTID written before the
 * child runs; the error of a failed posix_spawn, also from a process with
 * other threads; writes to memory mapped, or made writable, after earlier
 * vforks. */
#include "testutil.h"
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int global_word;
static volatile char big[3 * 4096];

static int reap(pid_t p)
{
    int st;
    if (waitpid(p, &st, 0) != p)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The child's writes reach the parent; the parent resumes only after the
 * child's last write (its _exit). */
static void vfork_writes(void)
{
    volatile int local = 1;
    global_word = 0;
    pid_t p = vfork();
    if (p == 0) {
        local = 2;
        global_word = 1;
        for (int i = 0; i < 1000; i++)
            sched_yield();
        global_word = 2;
        big[0] = 'a';
        big[sizeof(big) - 1] = 'z';
        _exit(5);
    }
    CHECK(global_word == 2 && local == 2, "vfork: the parent sees the child's last writes (%d %d)",
          global_word, local);
    CHECK(big[0] == 'a' && big[sizeof(big) - 1] == 'z', "vfork: writes across pages");
    CHECK(reap(p) == 5, "vfork: the child's exit status");
}

/* After a vfork, memory mapped since, then memory made writable since, is
 * the parent's too (the libos keeps the ranges between vforks). */
static void vfork_new_mappings(void)
{
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    pid_t p = vfork();
    if (p == 0)
        _exit(0);
    CHECK(ro != MAP_FAILED && reap(p) == 0, "vfork before the changes");
    char *fresh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p = vfork();
    if (p == 0) {
        fresh[0] = 'f';
        _exit(0);
    }
    CHECK(fresh != MAP_FAILED && reap(p) == 0 && fresh[0] == 'f',
          "vfork: the child's write to memory mapped since the last vfork (%d)", fresh[0]);
    CHECK(mprotect(ro, 4096, PROT_READ | PROT_WRITE) == 0, "mprotect");
    p = vfork();
    if (p == 0) {
        ro[0] = 'r';
        _exit(0);
    }
    CHECK(reap(p) == 0 && ro[0] == 'r', "vfork: the child's write to memory made writable since the last vfork (%d)",
          ro[0]);
}

/* Suspended until the exec: what the child wrote before it is seen. */
static void vfork_exec(void)
{
    global_word = 0;
    volatile int err = 0;
    pid_t p = vfork();
    if (p == 0) {
        global_word = 7;
        execl("/nonexistent/prog", "prog", (char *)NULL);
        err = errno; /* a failed exec returns in the child, still vforked */
        execl("/bin/true", "true", (char *)NULL);
        _exit(99);
    }
    CHECK(global_word == 7, "vfork+exec: the write before the exec is seen");
    CHECK(err == ENOENT, "vfork: the child's failed exec errno reaches the parent (%s)", errname(err));
    CHECK(reap(p) == 0, "vfork+exec: the program ran");
}

static int clone_child(void *arg)
{
    int *words = arg;
    words[0] = words[1]; /* the parent tid word, written before the child ran */
    words[2] = 42;
    return 3;
}

static void clone_vm_vfork(void)
{
    size_t sz = 256 * 1024;
    char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    int words[3] = { -1, -1, 0 };
    pid_t p = clone(clone_child, stack + sz, CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | SIGCHLD, words,
                    &words[1]);
    CHECK(p > 0 && words[2] == 42, "clone(CLONE_VM|CLONE_VFORK): the child's write is seen");
    CHECK(words[1] == p && words[0] == p, "CLONE_PARENT_SETTID: written before the child ran");
    CHECK(reap(p) == 3, "clone(CLONE_VM|CLONE_VFORK): exit status");
    munmap(stack, sz);
}

static void spawn(void)
{
    pid_t p;
    char *argv[] = { "true", NULL };
    int r = posix_spawn(&p, "/nonexistent/prog", NULL, NULL, argv, environ);
    CHECK(r == ENOENT, "posix_spawn of a missing program: %s", errname(r));
    if (r == 0)
        reap(p);
    r = posix_spawn(&p, "/bin/true", NULL, NULL, argv, environ);
    CHECK(r == 0 && reap(p) == 0, "posix_spawn of /bin/true");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 5, "/nonexistent/file", O_RDONLY, 0);
    r = posix_spawn(&p, "/bin/true", &fa, NULL, argv, environ);
    CHECK(r == ENOENT, "posix_spawn with a failing file action: %s", errname(r));
    if (r == 0)
        reap(p);
    posix_spawn_file_actions_destroy(&fa);
}

/* With another thread running: the caller's own stack (posix_spawn's
 * error report, the caller's locals) is what a vfork child shares. */
static pthread_barrier_t hold;
static void *held(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&hold);
    return NULL;
}

static void threaded(void)
{
    pthread_barrier_init(&hold, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, held, NULL);
    pid_t p;
    char *argv[] = { "true", NULL };
    int r = posix_spawn(&p, "/nonexistent/prog", NULL, NULL, argv, environ);
    CHECK(r == ENOENT, "threaded: posix_spawn of a missing program: %s", errname(r));
    volatile int err = 0;
    p = vfork();
    if (p == 0) {
        execl("/nonexistent/prog", "prog", (char *)NULL);
        err = errno;
        _exit(127);
    }
    CHECK(err == ENOENT && reap(p) == 127, "threaded: the vfork child's exec errno is seen");
    pthread_barrier_wait(&hold);
    pthread_join(t, NULL);
}

static void fork_settid(void)
{
    int ptid = -1;
    long p = syscall(SYS_clone, CLONE_PARENT_SETTID | SIGCHLD, 0, &ptid, NULL, 0);
    if (p == 0)
        _exit(ptid == -1 ? 0 : 1); /* a copy made before the write */
    CHECK(p > 0 && ptid == p, "fork with CLONE_PARENT_SETTID: the parent's word");
    CHECK(reap((pid_t)p) == 0, "... and the child's copy has the old value");
}

/* A child made with another exit signal than SIGCHLD: waited with
 * __WCLONE, and its exit signal's info names it (in sandbox pids). */
static volatile int usr1_pid, usr1_code, usr1_status;
static void on_exit_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    usr1_pid = si->si_pid;
    usr1_code = si->si_code;
    usr1_status = si->si_status;
}

static void other_exit_signal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_exit_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    long p = syscall(SYS_clone, SIGUSR1, 0, NULL, NULL, 0);
    if (p == 0)
        _exit(7);
    int st;
    CHECK(waitpid((pid_t)p, &st, __WCLONE) == p && WEXITSTATUS(st) == 7,
          "clone with exit signal SIGUSR1: waitpid(__WCLONE)");
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK(usr1_pid == p && usr1_code == CLD_EXITED && usr1_status == 7,
          "its SIGUSR1 names the child (pid, CLD_EXITED, status)");
    signal(SIGUSR1, SIG_DFL);
}

struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static void clone3_errors(void)
{
    static const struct { const char *what; struct clone_args_v0 a; size_t size; } cases[] = {
        { "exit signal 65", { .exit_signal = 65 }, 64 },
        { "exit signal in flags", { .flags = SIGCHLD }, 64 },
        { "CLONE_THREAD with an exit signal",
          { .flags = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD, .exit_signal = SIGCHLD }, 64 },
        { "a stack without a size", { .stack = 4096, .exit_signal = SIGCHLD }, 64 },
        { "a size without a stack", { .stack_size = 4096, .exit_signal = SIGCHLD }, 64 },
        { "size 32", { .exit_signal = SIGCHLD }, 32 },
        { "size 8192", { .exit_signal = SIGCHLD }, 8192 },
        { "CLONE_DETACHED", { .flags = CLONE_DETACHED, .exit_signal = SIGCHLD }, 64 },
    };
    static char big_args[8192];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(big_args, &cases[i].a, sizeof(cases[i].a));
        errno = 0;
        long r = syscall(SYS_clone3, big_args, cases[i].size);
        if (r == 0)
            _exit(0);
        if (r > 0)
            reap((pid_t)r);
        printf("clone3 with %s: %s\n", cases[i].what, r < 0 ? errname(errno) : "a child");
    }
}

int main(void)
{
    vfork_writes();
    vfork_exec();
    vfork_new_mappings();
    clone_vm_vfork();
    spawn();
    threaded();
    fork_settid();
    clone3_errors();
    other_exit_signal();
    return tu_done();
}
