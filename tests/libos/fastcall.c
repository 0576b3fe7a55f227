/* Enters a picoprocess's syscall fast path the way a hijacked app could:
 * with ptrace, points the registers of a thread that is in app code at the
 * page-0 trampoline (rip = rax = NR), as if a call had come from SITE (a
 * rewritten syscall site: the return address SITE + 2 is pushed, where an
 * int3 catches the return), and prints what the call returned. Used by
 * fastpath.t to show that the fast path reaches only the libos's
 * emulation, never the host.
 *
 * usage: fastcall PID SITE NR [NR...]  (all arguments 0) */
#include <string.h>
#include <sys/user.h>
#include "ptrace_util.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: fastcall PID SITE NR...\n");
        return 2;
    }
    pid_t pid = atoi(argv[1]);
    unsigned long site = strtoul(argv[2], NULL, 0), ret = site + 2;
    attach_stopped(pid);
    struct user_regs_struct saved, r;
    ptrace(PTRACE_GETREGS, pid, 0, &saved);
    long text = set_int3(pid, ret);
    int st;
    for (int i = 3; i < argc; i++) {
        r = saved;
        r.orig_rax = -1; /* not inside a syscall: no restart on resume */
        r.rax = r.rip = strtoul(argv[i], NULL, 0);
        r.rdi = r.rsi = r.rdx = r.r10 = r.r8 = r.r9 = 0;
        r.rsp = ((saved.rsp - 4096) & ~15UL) - 8; /* clear of live data */
        ptrace(PTRACE_POKEDATA, pid, r.rsp, ret);
        ptrace(PTRACE_SETREGS, pid, 0, &r);
        ptrace(PTRACE_CONT, pid, 0, 0);
        if (waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) {
            printf("%s died\n", argv[i]);
            return 1;
        }
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        long v = (long)r.rax;
        if (WSTOPSIG(st) != SIGTRAP || r.rip != ret + 1)
            printf("%s stopped by signal %d at %#llx\n", argv[i], WSTOPSIG(st), r.rip);
        else if (v < 0 && v > -4096)
            printf("%s %s\n", argv[i], strerror((int)-v));
        else
            printf("%s = %ld\n", argv[i], v);
    }
    ptrace(PTRACE_POKETEXT, pid, ret, text);
    ptrace(PTRACE_SETREGS, pid, 0, &saved);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return 0;
}
