/* ptrace helpers shared by the tools that drive a live picoprocess
 * (sitecall, fastcall, exitstep). */
#ifndef PTRACE_UTIL_H
#define PTRACE_UTIL_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>

/* Attaches to pid and waits until it is stopped; exits on failure. */
static inline void attach_stopped(pid_t pid)
{
    int st;
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
        perror("ptrace attach");
        exit(1);
    }
    if (waitpid(pid, &st, __WALL) < 0) {
        perror("waitpid");
        exit(1);
    }
}

/* Puts an int3 at `at` in the stopped pid; returns the word it replaced
 * (to put back with PTRACE_POKETEXT). Exits on failure. */
static inline long set_int3(pid_t pid, unsigned long at)
{
    errno = 0;
    long text = ptrace(PTRACE_PEEKTEXT, pid, at, 0);
    if (errno) {
        perror("ptrace peek");
        exit(1);
    }
    ptrace(PTRACE_POKETEXT, pid, at, (text & ~0xffL) | 0xcc);
    return text;
}

#endif
