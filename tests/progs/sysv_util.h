/* Helpers of the SysV test programs (t_sysv_*.c): results printed as
 * "what = value" or "what = -1 ERRNO", so a differential run compares every
 * return value and error, and handshakes between processes that never
 * depend on timing. */
#ifndef SYSV_UTIL_H
#define SYSV_UTIL_H

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

#define SHOW(what, expr)                                                         \
    do {                                                                         \
        errno = 0;                                                               \
        long show_r_ = (long)(expr);                                             \
        if (show_r_ == -1)                                                       \
            printf("%s = -1 %s\n", what, errname(errno));                        \
        else                                                                     \
            printf("%s = %ld\n", what, show_r_);                                 \
        fflush(stdout);                                                          \
    } while (0)

/* A child says it is about to make a blocking call (about_to_block); the
 * parent reads that (so the child's start-up, which may sleep too, is
 * over), then waits until the child sleeps (state S in /proc/pid/stat):
 * it is in the call. No timing decides the outcome. */
static int tu_block_pipe[2] = { -1, -1 };

static inline void sysv_test_init(void)
{
    if (pipe(tu_block_pipe) < 0) {
        printf("FATAL pipe\n");
        exit(2);
    }
}

static inline void about_to_block(void)
{
    if (write(tu_block_pipe[1], "b", 1) != 1)
        _exit(3);
}

static inline void wait_sleeping(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 20000; i++) {
        int fd = open(path, O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (fd >= 0)
            close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'S')
                return;
        }
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    printf("FATAL process never blocked\n");
    exit(2);
}

static inline void wait_blocked(pid_t pid)
{
    char c;
    if (read(tu_block_pipe[0], &c, 1) != 1) {
        printf("FATAL no word from the child\n");
        exit(2);
    }
    wait_sleeping(pid);
}

/* The child's exit status as text. */
static inline void show_wait(const char *what, pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        printf("%s: waitpid %s\n", what, errname(errno));
    else if (WIFEXITED(st))
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
    else
        printf("%s: signal %d\n", what, WTERMSIG(st));
    fflush(stdout);
}

#endif
