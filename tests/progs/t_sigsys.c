/* SIGSYS sent by another process (kill) is an ordinary signal:
 * it reaches the app's handler with the sender's siginfo, or kills by its
 * default action. Only the kernel's seccomp trap (si_code SYS_SECCOMP) is
 * the libos's own business. */
#include "testutil.h"
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, code, from_child;
static pid_t child;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    code = si->si_code;
    from_child = si->si_pid == child;
}

/* A child sends SIGSYS to us; it is blocked until sigsuspend. (sigqueue
 * to another process is not emulated yet: see sys/signal.c.) */
static void from_another_process(const char *what)
{
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGSYS);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &block, NULL);
    got = 0;
    child = fork();
    if (child == 0) {
        _exit(kill(getppid(), SIGSYS) == 0 ? 0 : 1);
    }
    int st;
    CHECK(child > 0 && waitpid(child, &st, 0) == child && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: sent", what);
    sigsuspend(&none);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    CHECK(got == SIGSYS, "%s: handler ran", what);
    printf("%s: si_code %s, from the child %s\n", what, code == SI_USER ? "SI_USER" : "other",
           from_child ? "yes" : "no");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGSYS, &sa, NULL) == 0, "SIGSYS handler");
    from_another_process("kill");

    /* The default action kills: a child waits on a pipe, gets kill(SIGSYS). */
    int p[2];
    CHECK(pipe(p) == 0, "pipe");
    pid_t c = fork();
    if (c == 0) {
        signal(SIGSYS, SIG_DFL);
        close(p[0]);
        (void)!write(p[1], "r", 1);
        for (;;)
            pause();
    }
    char ch;
    close(p[1]);
    CHECK(read(p[0], &ch, 1) == 1, "child ready");
    kill(c, SIGSYS);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st), "child killed");
    printf("child killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return tu_done();
}
