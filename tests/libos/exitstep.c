/* Delivers a signal at each given instruction of the syscall fast path's
 * way back to the app (host/fastpath.S, fastpath_exit to the final `ret` or
 * jump), in a picoprocess that checks its registers around each call: a
 * host signal there must reach the app as if it came right after the call,
 * with every register intact (fastpath_finish_exit). Used by fastpath.t.
 *
 * usage: exitstep PID ADDR...
 * For each ADDR: an int3 there, continue until it is hit, put the byte
 * back and deliver SIGUSR2 at exactly that instruction. Each signal's
 * handler returns through rt_sigreturn, whose way back is the jump, so both
 * ways are reached. Then it detaches and sends SIGUSR1 (the cue to report). */
#include <signal.h>
#include <sys/user.h>
#include "ptrace_util.h"

static pid_t pid;

/* Waits for a stop; returns its signal, 0 for the stop PTRACE_INTERRUPT
 * asked for. */
static int wait_stop(void)
{
    int st;
    if (waitpid(pid, &st, __WALL) < 0 || !WIFSTOPPED(st)) {
        fprintf(stderr, "exitstep: the picoprocess did not stop (status %#x)\n", st);
        exit(1);
    }
    return st >> 16 == PTRACE_EVENT_STOP ? 0 : WSTOPSIG(st);
}

/* Resumes with sig and stops again (passing on signals of its own). */
static void run_and_stop(int sig)
{
    ptrace(PTRACE_CONT, pid, 0, sig);
    ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    while ((sig = wait_stop()))
        ptrace(PTRACE_CONT, pid, 0, sig == SIGTRAP ? 0 : sig);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: exitstep PID ADDR...\n");
        return 2;
    }
    pid = atoi(argv[1]);
    attach_stopped(pid);
    int injected = 0;
    for (int i = 2; i < argc; i++) {
        unsigned long at = strtoul(argv[i], NULL, 0);
        long text = set_int3(pid, at);
        struct user_regs_struct r;
        for (int sig = 0;;) {
            ptrace(PTRACE_CONT, pid, 0, sig);
            sig = wait_stop();
            ptrace(PTRACE_GETREGS, pid, 0, &r);
            if (sig == SIGTRAP && r.rip == at + 1)
                break;
        }
        ptrace(PTRACE_POKETEXT, pid, at, text);
        r.rip = at;
        ptrace(PTRACE_SETREGS, pid, 0, &r);
        /* Delivered before the instruction at ADDR runs. */
        run_and_stop(SIGUSR2);
        injected++;
    }
    ptrace(PTRACE_DETACH, pid, 0, 0);
    kill(pid, SIGUSR1);
    printf("injected %d\n", injected);
    return 0;
}
