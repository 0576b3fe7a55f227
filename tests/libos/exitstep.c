/* Delivers a signal at each given instruction of the syscall fast path's
 * way back to the app (host/fastpath.S, fastpath_exit to the final `ret` or
 * jump), in a picoprocess that checks its registers around each call: a
 * host signal there must reach the app as if it came right after the call,
 * with every register intact (fastpath_finish_exit), and its handler must
 * run before the app goes on after the call. Used by fastpath.t.
 *
 * usage: exitstep PID HANDLER RETURN ADDR...
 * HANDLER is the app's SIGUSR2 handler, RETURN the instruction after the
 * rewritten call. For each ADDR: an int3 there, continue until it is hit,
 * put the byte back and deliver SIGUSR2 at exactly that instruction, with
 * int3s at HANDLER and RETURN: HANDLER must be reached first ("late ADDR"
 * otherwise). The next ADDR's int3 is set while the handler is stopped, so
 * its way back (rt_sigreturn returns by the jump) cannot run past it
 * unseen: every ADDR is reached, whatever the scheduling. Then it detaches
 * and sends SIGUSR1 (the cue to report). */
#include <signal.h>
#include <sys/user.h>
#include "ptrace_util.h"

static pid_t pid;

/* Continues with sig (passing on the picoprocess's own signals) until an
 * int3 at one of at[0..n) stops it; returns its index, with rip set back
 * to that instruction. */
static int run_to(int sig, const unsigned long *at, int n)
{
    for (;;) {
        int st;
        ptrace(PTRACE_CONT, pid, 0, sig);
        if (waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) {
            fprintf(stderr, "exitstep: the picoprocess did not stop (status %#x)\n", st);
            exit(1);
        }
        sig = WSTOPSIG(st);
        if (sig != SIGTRAP)
            continue;
        sig = 0;
        struct user_regs_struct r;
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        for (int i = 0; i < n; i++) {
            if (r.rip == at[i] + 1) {
                r.rip = at[i];
                ptrace(PTRACE_SETREGS, pid, 0, &r);
                return i;
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: exitstep PID HANDLER RETURN ADDR...\n");
        return 2;
    }
    pid = atoi(argv[1]);
    unsigned long watch[2] = { strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0) };
    attach_stopped(pid);
    int injected = 0, late = 0;
    unsigned long at = strtoul(argv[4], NULL, 0);
    long text = set_int3(pid, at);
    run_to(0, &at, 1);
    for (int i = 4; i < argc; i++) {
        ptrace(PTRACE_POKETEXT, pid, at, text);
        long wtext[2];
        wtext[0] = set_int3(pid, watch[0]);
        wtext[1] = set_int3(pid, watch[1]);
        /* Delivered before the instruction at `at` runs. */
        int first = run_to(SIGUSR2, watch, 2);
        ptrace(PTRACE_POKETEXT, pid, watch[1], wtext[1]);
        ptrace(PTRACE_POKETEXT, pid, watch[0], wtext[0]);
        injected++;
        if (first != 0) {
            printf("late %#lx\n", at);
            late++;
        }
        if (i + 1 < argc) {
            at = strtoul(argv[i + 1], NULL, 0);
            text = set_int3(pid, at);
            run_to(0, &at, 1);
        }
    }
    ptrace(PTRACE_DETACH, pid, 0, 0);
    kill(pid, SIGUSR1);
    printf("injected %d\n", injected);
    return late != 0;
}
