/* signalfd: signals blocked by the process read as records, the fd polls
 * readable while one waits, the mask can change, SIGCHLD carries the
 * child's pid and status, a signal not in the mask stays pending, and a
 * signal queued before the signalfd existed is read too. */
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static int readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2); /* pending before the signalfd */

    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGUSR1);
    sigaddset(&want, SIGUSR2);
    int fd = signalfd(-1, &want, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK(fd >= 0, "signalfd");
    struct signalfd_siginfo si;
    CHECK(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR2,
          "a signal pending before reads from it");
    CHECK(read(fd, &si, sizeof(si)) < 0 && errno == EAGAIN, "then nothing: EAGAIN");
    CHECK(!readable(fd), "not readable");

    union sigval v = { .sival_int = 42 };
    sigqueue(getpid(), SIGUSR1, v);
    CHECK(readable(fd), "readable with a signal waiting");
    CHECK(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1 &&
          si.ssi_code == SI_QUEUE && si.ssi_int == 42 && si.ssi_pid == (uint32_t)getpid(),
          "SIGUSR1 from sigqueue: code, value and our pid");

    /* SIGCHLD is not in the mask yet: it stays pending. */
    pid_t child = fork();
    if (child == 0)
        _exit(7);
    siginfo_t info;
    CHECK(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) == 0, "the child exited (not reaped)");
    sigset_t pend;
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGCHLD), "SIGCHLD, not in the mask, stays pending");

    sigaddset(&want, SIGCHLD);
    CHECK(signalfd(fd, &want, 0) == fd, "the mask of an existing signalfd changes");
    CHECK(read(fd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGCHLD &&
          si.ssi_pid == (uint32_t)child && si.ssi_code == CLD_EXITED && si.ssi_status == 7,
          "the pending SIGCHLD reads now: the child's pid, CLD_EXITED, status 7");
    int st;
    CHECK(waitpid(child, &st, 0) == child && WEXITSTATUS(st) == 7, "the child is reaped");

    CHECK(signalfd(0, &want, 0) < 0 && errno == EINVAL, "signalfd of a non-signalfd fd: EINVAL");
    CHECK(signalfd(-1, &want, 0x1234) < 0 && errno == EINVAL, "bad flags: EINVAL");
    close(fd);
    return tu_failures ? 1 : 0;
}
