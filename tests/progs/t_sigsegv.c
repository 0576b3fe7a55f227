/* Synchronous faults turned into signals and recovered with siglongjmp:
 * SIGSEGV on an unmapped address (SEGV_MAPERR) and on a write to a read-only
 * page (SEGV_ACCERR), SIGFPE from integer division by zero (FPE_INTDIV),
 * SIGILL from ud2, SIGSEGV from stack overflow handled on a sigaltstack.
 * The libos must deliver these with the right si_signo/si_code/si_addr and
 * let the handler leave via siglongjmp (restoring the signal mask). */
#include "testutil.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile sig_atomic_t got_sig, got_code;
static void *volatile got_addr;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

static void install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL))
        DIE("sigaction");
}

static volatile int zero = 0;
static volatile long sink;

/* The bound is never reached (the 8 MiB stack overflows first); it only
 * keeps the recursion from being provably infinite. */
static volatile long depth_limit = 1L << 40;
static long recurse(long depth)
{
    volatile char pad[1024];
    if (depth > depth_limit)
        return 0;
    pad[0] = (char)depth;
    return recurse(depth + 1) + pad[0];
}

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    install(SIGSEGV, 0);
    install(SIGFPE, 0);
    install(SIGILL, 0);

    /* 1. Unmapped address: map then unmap a page so the address is known free. */
    char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, pg);
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0)
        *(volatile char *)(p + 16) = 1;
    CHECK(got_sig == SIGSEGV && got_code == SEGV_MAPERR && got_addr == p + 16,
          "write to unmapped page: SIGSEGV/SEGV_MAPERR at the faulting address");

    /* 2. Read-only page: reading works, writing faults with SEGV_ACCERR. */
    p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0) {
        sink = p[5];
        p[5] = 1;
    }
    CHECK(got_sig == SIGSEGV && got_code == SEGV_ACCERR && got_addr == p + 5,
          "write to read-only page: SIGSEGV/SEGV_ACCERR");
    munmap(p, pg);

    /* 3. The handler ran with SIGSEGV blocked; siglongjmp(env, 1) with a
     *    savemask sigsetjmp must have restored the mask: fault again. */
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0)
        *(volatile int *)0 = 1;
    CHECK(got_sig == SIGSEGV && got_addr == NULL, "NULL write caught a second time");
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    CHECK(!sigismember(&cur, SIGSEGV), "SIGSEGV unblocked after siglongjmp");

    /* 4. Integer division by zero. */
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0)
        sink = 100 / zero;
    CHECK(got_sig == SIGFPE && got_code == FPE_INTDIV, "division by zero: SIGFPE/FPE_INTDIV");

    /* 5. INT_MIN / -1 also raises #DE on x86-64. */
    got_sig = 0;
    volatile long long mn = INT64_MIN, m1 = -1;
    if (sigsetjmp(env, 1) == 0)
        sink = (long)(mn / m1);
    CHECK(got_sig == SIGFPE, "INT64_MIN / -1: SIGFPE");

    /* 6. Invalid opcode. */
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0)
        __asm__ volatile("ud2");
    CHECK(got_sig == SIGILL && got_code == ILL_ILLOPN, "ud2: SIGILL/ILL_ILLOPN");

    /* 7. Stack overflow: only deliverable on an alternate stack. */
    stack_t ss = { .ss_sp = malloc(SIGSTKSZ * 4), .ss_size = SIGSTKSZ * 4 };
    if (sigaltstack(&ss, NULL))
        DIE("sigaltstack");
    install(SIGSEGV, SA_ONSTACK);
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0)
        sink = recurse(0);
    CHECK(got_sig == SIGSEGV, "stack overflow caught on the alternate stack");

    /* 8. After recovering, ordinary work still runs. */
    char *q = malloc(1 << 20);
    memset(q, 7, 1 << 20);
    CHECK(fnv1a(q, 1 << 20, FNV_INIT) == fnv1a(q, 1 << 20, FNV_INIT), "process still healthy");
    return tu_done();
}
