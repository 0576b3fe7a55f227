/* Calls host system calls from the libos's own syscall instruction inside a
 * running picoprocess, the way an app that jumped there would, and prints
 * what the host answered. Used by hardening.t.
 *
 * usage: sitecall PID SITE_ADDRESS CALL [CALL...]
 * CALL is a syscall number (all arguments 0), NR:PATH, called as
 * NR(AT_FDCWD, PATH, O_RDONLY) (openat's shape), or NR,ARG,ARG... with up
 * to six arguments, each a number (strtoll, base 0), s:STRING (a pointer
 * to that string), x:HEX (a pointer to those bytes), b:N (a pointer to N
 * zero bytes) or r:K (what the K-th CALL returned, counting from 1). Pointed-to data is written well below the picoprocess's
 * stack pointer. The picoprocess is stopped with ptrace, its registers
 * pointed at the site, the instruction single-stepped, and its registers
 * restored. Prints "CALL ok" or "CALL <strerror>" per call. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "ptrace_util.h"

/* Writes n bytes at *at (moving *at down first) in the tracee. */
static unsigned long poke(pid_t pid, unsigned long *at, const void *data, size_t n)
{
    *at = (*at - n - 8) & ~15UL;
    for (size_t off = 0; off < n; off += sizeof(long)) {
        long word = 0;
        memcpy(&word, (const char *)data + off, n - off < sizeof(long) ? n - off : sizeof(long));
        ptrace(PTRACE_POKEDATA, pid, *at + off, word);
    }
    return *at;
}

static long *rets; /* what each CALL returned */

/* One NR,ARG... argument. */
static unsigned long arg_value(pid_t pid, unsigned long *at, char *a)
{
    if (!strncmp(a, "r:", 2))
        return (unsigned long)rets[atoi(a + 2) - 1];
    if (!strncmp(a, "s:", 2))
        return poke(pid, at, a + 2, strlen(a + 2) + 1);
    if (!strncmp(a, "b:", 2)) {
        size_t n = strtoul(a + 2, NULL, 0);
        char *zero = calloc(1, n + 1);
        unsigned long p = poke(pid, at, zero, n);
        free(zero);
        return p;
    }
    if (!strncmp(a, "x:", 2)) {
        size_t n = strlen(a + 2) / 2;
        unsigned char *bytes = calloc(1, n + 1);
        for (size_t i = 0; i < n; i++)
            sscanf(a + 2 + 2 * i, "%2hhx", &bytes[i]);
        unsigned long p = poke(pid, at, bytes, n);
        free(bytes);
        return p;
    }
    return (unsigned long)strtoll(a, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sitecall PID SITE NR...\n");
        return 2;
    }
    rets = calloc((size_t)argc, sizeof(*rets));
    pid_t pid = atoi(argv[1]);
    unsigned long site = strtoul(argv[2], NULL, 0);
    attach_stopped(pid);
    int st;
    struct user_regs_struct saved, r;
    ptrace(PTRACE_GETREGS, pid, 0, &saved);
    for (int i = 3; i < argc; i++) {
        char *end;
        r = saved;
        r.rip = site;
        r.rax = strtoul(argv[i], &end, 0);
        r.orig_rax = -1; /* not inside a syscall: no restart on resume */
        r.rdi = r.rsi = r.rdx = r.r10 = r.r8 = r.r9 = 0;
        if (*end == ',') {
            unsigned long at = saved.rsp - 8192;
            unsigned long long *regs[] = { &r.rdi, &r.rsi, &r.rdx, &r.r10, &r.r8, &r.r9 };
            char *copy = strdup(end + 1), *save = NULL;
            int n = 0;
            for (char *a = strtok_r(copy, ",", &save); a && n < 6; a = strtok_r(NULL, ",", &save))
                *regs[n++] = arg_value(pid, &at, a);
            free(copy);
        } else if (*end == ':') {
            /* The path goes well below the stack pointer, clear of live data. */
            unsigned long at = (saved.rsp - 8192) & ~15UL;
            size_t len = strlen(end + 1) + 1;
            for (size_t off = 0; off < len; off += sizeof(long)) {
                long word = 0;
                memcpy(&word, end + 1 + off, len - off < sizeof(long) ? len - off : sizeof(long));
                ptrace(PTRACE_POKEDATA, pid, at + off, word);
            }
            r.rdi = (unsigned long)AT_FDCWD;
            r.rsi = at;
            r.rdx = O_RDONLY;
        }
        ptrace(PTRACE_SETREGS, pid, 0, &r);
        ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        waitpid(pid, &st, __WALL);
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        long ret = (long)r.rax;
        rets[i - 3] = ret;
        if (ret < 0 && ret > -4096)
            printf("%s %s\n", argv[i], strerror((int)-ret));
        else
            printf("%s ok\n", argv[i]);
    }
    ptrace(PTRACE_SETREGS, pid, 0, &saved);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return 0;
}
