/* Shared helpers for the differential test programs.
 *
 * Every program prints only deterministic facts to stdout (no pids, addresses,
 * timings, host paths), so its stdout can be compared byte for byte between a
 * native run and a graphene run.  Failed self-checks are reported on stdout too
 * (so the diff shows them) and make the program exit 1 at the end: a broken
 * libos shows up both as an output diff and as an exit-status mismatch with
 * the native run. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int tu_failures;

/* CHECK(cond, what): print "ok what" or "FAIL what (errno)" and count
 * failures. errno is the one cond's calls left (taken before, it showed
 * the errno of some earlier call: 0 for a setpriority that failed). */
#define CHECK(cond, ...)                                                    \
    do {                                                                    \
        bool tu_ok_ = (cond);                                               \
        int tu_e_ = errno;                                                  \
        if (tu_ok_) {                                                       \
            printf("ok ");                                                  \
            printf(__VA_ARGS__);                                            \
            printf("\n");                                                   \
        } else {                                                            \
            tu_failures++;                                                  \
            printf("FAIL ");                                                \
            printf(__VA_ARGS__);                                            \
            printf(" [%s:%d errno=%s]\n", __FILE__, __LINE__,               \
                   strerrorname_np(tu_e_) ? strerrorname_np(tu_e_) : "?"); \
        }                                                                   \
        fflush(stdout);                                                     \
    } while (0)

/* Fatal setup failure: nothing after it would be meaningful. */
#define DIE(...)                                                            \
    do {                                                                    \
        printf("FATAL ");                                                   \
        printf(__VA_ARGS__);                                                \
        printf(" [%s:%d errno=%s]\n", __FILE__, __LINE__,                   \
               strerrorname_np(errno) ? strerrorname_np(errno) : "?");     \
        exit(2);                                                            \
    } while (0)

static inline const char *errname(int e)
{
    const char *n = strerrorname_np(e);
    return n ? n : "?";
}

/* One int over a pipe: the handshake between the processes of a test
 * (-1 at EOF); a failed write ends the writer with 99. */
static inline int tu_get_int(int fd)
{
    int v = -1;
    return read(fd, &v, sizeof(v)) == sizeof(v) ? v : -1;
}

static inline void tu_put_int(int fd, int v)
{
    if (write(fd, &v, sizeof(v)) != sizeof(v))
        _exit(99);
}

/* A siginfo as sigqueue(3) makes it, from us, with value v: for
 * rt_sigqueueinfo, rt_tgsigqueueinfo and pidfd_send_signal. */
static inline siginfo_t tu_queue_info(int sig, int v)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = v;
    return si;
}

/* SIGUSR1, SIGUSR2 and SIGRTMIN: what the thread signal tests send. */
static inline void tu_usr_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGUSR1);
    sigaddset(set, SIGUSR2);
    sigaddset(set, SIGRTMIN);
}

/* Takes one of them (not glibc's sigwaitinfo, which shows SI_TKILL as
 * SI_USER); the limit only makes a signal never sent fail the test
 * instead of hanging it. */
static inline int tu_usr_wait(siginfo_t *si)
{
    sigset_t set;
    tu_usr_signals(&set);
    struct timespec limit = { 20, 0 };
    return (int)syscall(SYS_rt_sigtimedwait, &set, si, &limit, 8);
}

/* The names the signal tests print (SIGRTMIN is no constant in glibc). */
static inline const char *tu_signame(int sig)
{
    return sig == SIGUSR1 ? "SIGUSR1" : sig == SIGUSR2 ? "SIGUSR2" : sig == SIGRTMIN ? "SIGRTMIN" : "?";
}

static inline const char *tu_codename(int code)
{
    return code == SI_TKILL ? "SI_TKILL" : code == SI_QUEUE ? "SI_QUEUE" : code == SI_USER ? "SI_USER" : "other";
}

/* Exit status of the whole program: 0 only if every CHECK passed. */
static inline int tu_done(void)
{
    printf("%s: %d failure(s)\n", tu_failures ? "FAILED" : "PASSED", tu_failures);
    return tu_failures ? 1 : 0;
}

/* Cheap, deterministic checksum used to compare buffer contents. */
static inline unsigned long long fnv1a(const void *p, size_t n, unsigned long long h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ULL;
    }
    return h;
}
#define FNV_INIT 14695981039346656037ULL

#endif
