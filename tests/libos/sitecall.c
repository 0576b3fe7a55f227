/* Calls host system calls from the libos's own syscall instruction inside a
 * running picoprocess, the way an app that jumped there would, and prints
 * what the host answered. Used by hardening.t.
 *
 * usage: sitecall PID SITE_ADDRESS CALL [CALL...]
 * CALL is a syscall number (all arguments 0) or NR:PATH, called as
 * NR(AT_FDCWD, PATH, O_RDONLY) (openat's shape). The picoprocess is stopped
 * with ptrace, its registers pointed at the site, the instruction
 * single-stepped, and its registers restored. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include "ptrace_util.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sitecall PID SITE NR...\n");
        return 2;
    }
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
        if (*end == ':') {
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
        if (ret < 0 && ret > -4096)
            printf("%s %s\n", argv[i], strerror((int)-ret));
        else
            printf("%s ok\n", argv[i]);
    }
    ptrace(PTRACE_SETREGS, pid, 0, &saved);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return 0;
}
