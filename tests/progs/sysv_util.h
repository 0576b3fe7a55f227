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

/* Waits until process pid sleeps (state S in /proc/pid/stat): a blocked
 * msgrcv or semop, after the child said it is about to make it. Polls
 * the state, so no timing decides the outcome. */
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
