/* Calls host system calls from the libos's own syscall instruction inside a
 * running picoprocess, the way an app that jumped there would, and prints
 * what the host answered. Used by hardening.t.
 *
 * usage: sitecall PID SITE_ADDRESS NR [NR...]
 * The picoprocess is stopped with ptrace, its registers pointed at the
 * site, the instruction single-stepped, and its registers restored. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sitecall PID SITE NR...\n");
        return 2;
    }
    pid_t pid = atoi(argv[1]);
    unsigned long site = strtoul(argv[2], NULL, 0);
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
        perror("ptrace attach");
        return 1;
    }
    int st;
    if (waitpid(pid, &st, __WALL) < 0) {
        perror("waitpid");
        return 1;
    }
    struct user_regs_struct saved, r;
    ptrace(PTRACE_GETREGS, pid, 0, &saved);
    for (int i = 3; i < argc; i++) {
        r = saved;
        r.rip = site;
        r.rax = strtoul(argv[i], NULL, 0);
        r.orig_rax = -1; /* not inside a syscall: no restart on resume */
        r.rdi = r.rsi = r.rdx = r.r10 = r.r8 = r.r9 = 0;
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
