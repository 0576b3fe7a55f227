/* System calls from every kind of site, run natively and under graphene,
 * where the syscall fast path (libos/fastpath.c) rewrites the sites it can
 * prove safe at their first trap and leaves the others to the trap:
 *   - code written at run time (RWX, and RW then RX): never rewritten;
 *   - a `syscall` reached by a jump into the middle of a longer instruction:
 *     served, and the longer instruction must keep its bytes;
 *   - a leaf keeping data in its red zone across a syscall, and a syscall
 *     made with %rsp at memory that cannot be written;
 *   - a library dlopen'ed late;
 *   - two threads reaching a fresh site at once (a barrier);
 *   - registers across a call, and every syscall number from 512 to 8192
 *     through one site (each is a different entry point into the trampoline,
 *     or none), and numbers that are not even addresses;
 *   - signals while a fast-path read (made by the fast path itself) or
 *     recvfrom (served by the dispatcher) blocks, with and without SA_RESTART, and
 *     signals landing at any point around fast-path calls, and a storm of
 *     them with no pause between the kills;
 *   - fork and execve made through rewritten sites;
 *   - a call through a NULL function pointer, which with the trampoline in
 *     page 0 must still be a SIGSEGV at address 0, not a system call.
 * With the argument "report" it prints, instead of the checks, which of its
 * sites are rewritten (tests/libos/fastpath.t; not deterministic natively). */
#include "testutil.h"
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A leaf that keeps nothing below %rsp: the fast path may rewrite it. */
__attribute__((noinline)) static long raw_getppid(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
    return r;
}

/* read(2) through a site of its own (libc's read has two, and which one
 * runs depends on whether a thread was ever created). */
__attribute__((noinline)) static long raw_read(int fd, void *buf, size_t n)
{
    long r;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_read), "D"((long)fd), "S"(buf), "d"(n)
                     : "rcx", "r11", "memory");
    return r;
}

/* recvfrom(2) through a site of its own: a blocking call that the
 * dispatcher serves (reads and writes the libos passes through are made by
 * the fast path itself, without it). */
__attribute__((noinline)) static long raw_recv(int fd, void *buf, size_t n)
{
    long r;
    register long flags __asm__("r10") = 0;
    register long addr __asm__("r8") = 0;
    register long addrlen __asm__("r9") = 0;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "0"((long)SYS_recvfrom), "D"((long)fd), "S"(buf), "d"(n), "r"(flags), "r"(addr),
                       "r"(addrlen)
                     : "rcx", "r11", "memory");
    return r;
}

/* overlap(nr, 1) jumps into the immediate of the movabs, whose first bytes
 * are `syscall; ret`; overlap(nr, 0) returns that immediate. The function
 * has an FDE (CFI), so the fast path decodes it and must see that the site
 * is not an instruction of its own. */
long overlap(long nr, long mid);
__asm__(".text\n"
        ".globl overlap\n"
        ".type overlap, @function\n"
        "overlap:\n"
        ".cfi_startproc\n"
        "    mov %rdi, %rax\n"
        "    test %rsi, %rsi\n"
        "    jnz overlap_mid\n"
        "    .byte 0x48, 0xb9\n" /* movabs $imm64, %rcx */
        "overlap_mid:\n"
        "    .byte 0x0f, 0x05, 0xc3, 0x90, 0x90, 0x90, 0x90, 0x90\n"
        "    mov %rcx, %rax\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size overlap, .-overlap\n");
extern char overlap_mid[];
#define OVERLAP_IMM 0x9090909090c3050fUL

/* redzone(): a leaf that keeps a value just below %rsp (its red zone)
 * across a getppid and returns it. The rewritten call would push its return
 * address right there, so the fast path must leave this site trapping. */
long redzone(void);
__asm__(".text\n"
        ".globl redzone\n"
        ".type redzone, @function\n"
        "redzone:\n"
        ".cfi_startproc\n"
        "    movq $0x5a5a5a5a, -8(%rsp)\n"
        "    mov $110, %eax\n" /* SYS_getppid */
        "    syscall\n"
        "    mov -8(%rsp), %rax\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size redzone, .-redzone\n");

/* on_stack(sp): getppid with %rsp = sp for the duration of the syscall,
 * which does not touch the stack, so sp may point at memory that cannot be
 * written. */
long on_stack(void *sp);
__asm__(".text\n"
        ".globl on_stack\n"
        ".type on_stack, @function\n"
        "on_stack:\n"
        ".cfi_startproc\n"
        "    mov %rsp, %r8\n"
        "    mov %rdi, %rsp\n"
        "    mov $110, %eax\n"
        "    syscall\n"
        "    mov %r8, %rsp\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size on_stack, .-on_stack\n");

/* read_on_stack(fd, buf, sp): a 1-byte read with %rsp = sp, as on_stack;
 * rewritten, its `call` cannot push there and faults, and the libos serves
 * the read from that fault. */
long read_on_stack(int fd, void *buf, void *sp);
__asm__(".text\n"
        ".globl read_on_stack\n"
        ".type read_on_stack, @function\n"
        "read_on_stack:\n"
        ".cfi_startproc\n"
        "    mov %rsp, %r8\n"
        "    mov %rdx, %rsp\n"
        "    mov $1, %edx\n"
        "    xor %eax, %eax\n"
        "    syscall\n"
        "    mov %r8, %rsp\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size read_on_stack, .-read_on_stack\n");

/* A signal restorer with no unwind entry: the fast path cannot find its
 * function, so its rt_sigreturn always traps (leaving the trap path's
 * exit state behind, see test_fault_signals). */
void trapping_restorer(void);
__asm__(".text\n"
        ".globl trapping_restorer\n"
        "trapping_restorer:\n"
        "    mov $15, %eax\n"
        "    syscall\n"
        "    hlt\n");

/* The same with an unwind entry: its rt_sigreturn gets rewritten. */
void fast_restorer(void);
__asm__(".text\n"
        ".globl fast_restorer\n"
        ".type fast_restorer, @function\n"
        "fast_restorer:\n"
        ".cfi_startproc\n"
        "    mov $15, %eax\n"
        "    syscall\n"
        "    hlt\n"
        ".cfi_endproc\n"
        ".size fast_restorer, .-fast_restorer\n");

/* sig's handler, on the altstack with SA_RESTART, returning by restorer. */
static void set_restorer(int sig, void (*handler)(int), void (*restorer)(void))
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        unsigned long mask;
    } ka = { (void *)handler, SA_RESTART | SA_ONSTACK | 0x04000000 /* SA_RESTORER */, (void *)restorer, 0 };
    if (syscall(SYS_rt_sigaction, sig, &ka, NULL, 8))
        DIE("rt_sigaction");
}

/* The first syscall site (0f 05 or ff d0) at or after p. */
static const unsigned char *find_site(const void *p)
{
    const unsigned char *b = p;
    for (int i = 0; i < 256; i++)
        if ((b[i] == 0x0f && b[i + 1] == 0x05) || (b[i] == 0xff && b[i + 1] == 0xd0))
            return b + i;
    return NULL;
}

static const char *state(const unsigned char *site)
{
    return !site ? "missing" : site[0] == 0xff ? "rewritten" : "trapping";
}

/* --- JIT */
static const unsigned char jit_code[] = {
    0xb8, SYS_getppid, 0, 0, 0, /* mov $SYS_getppid, %eax */
    0x0f, 0x05,                 /* syscall */
    0xc3,                       /* ret */
};

static unsigned char *jit(int rwx)
{
    unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | (rwx ? PROT_EXEC : 0),
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    memcpy(p, jit_code, sizeof(jit_code));
    if (!rwx && mprotect(p, 4096, PROT_READ | PROT_EXEC))
        return NULL;
    return p;
}

static void test_jit(void)
{
    long ppid = getppid();
    for (int rwx = 1; rwx >= 0; rwx--) {
        unsigned char *p = jit(rwx);
        CHECK(p != NULL, "JIT page mapped (%s)", rwx ? "RWX" : "RW then RX");
        if (!p)
            continue;
        long (*fn)(void) = (long (*)(void))p;
        int good = 1;
        for (int i = 0; i < 100; i++)
            good &= fn() == ppid;
        CHECK(good, "JIT-generated getppid answers 100 times (%s)", rwx ? "RWX" : "RW then RX");
        CHECK(p[5] == 0x0f && p[6] == 0x05, "JIT code keeps its bytes (%s)", rwx ? "RWX" : "RW then RX");
        munmap(p, 4096);
    }
}

/* --- a syscall inside another instruction */
static void test_overlap(void)
{
    long ppid = getppid(), good = 1;
    for (int i = 0; i < 100; i++)
        good &= overlap(SYS_getppid, 1) == ppid;
    CHECK(good, "syscall reached in the middle of an instruction answers 100 times");
    CHECK((unsigned long)overlap(0, 0) == OVERLAP_IMM, "the instruction around it is unchanged");
}

/* --- the app's stack */
static void test_stack(void)
{
    long ppid = getppid(), good = 1;
    for (int i = 0; i < 100; i++)
        good &= redzone() == 0x5a5a5a5a;
    CHECK(good, "a leaf's red zone survives its syscall 100 times");
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        DIE("mmap");
    good = 1;
    for (int i = 0; i < 100; i++) /* a good stack first: the site gets learnt */
        good &= on_stack(page + 8192) == ppid;
    mprotect(page, 8192, PROT_READ);
    for (int i = 0; i < 100; i++)
        good &= on_stack(page + 8192) == ppid;
    munmap(page, 8192);
    CHECK(good, "a syscall with %%rsp at read-only memory answers (nothing is pushed)");
}

/* --- dlopen */
static void *dl;
static long (*dl_getppid)(void);

static int open_dl(const char *argv0)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s", argv0);
    char *slash = strrchr(path, '/');
    if (!slash)
        return -1;
    snprintf(slash + 1, sizeof(path) - (size_t)(slash + 1 - path), "libfpdl.so");
    dl = dlopen(path, RTLD_NOW);
    dl_getppid = dl ? (long (*)(void))dlsym(dl, "fpdl_getppid") : NULL;
    return dl_getppid ? 0 : -1;
}

static void test_dlopen(const char *argv0)
{
    CHECK(open_dl(argv0) == 0, "dlopen of a library after start-up");
    if (!dl_getppid)
        return;
    long ppid = getppid(), good = 1;
    for (int i = 0; i < 1000; i++)
        good &= dl_getppid() == ppid;
    CHECK(good, "a syscall in the dlopen'ed library answers 1000 times");
    /* Unmapped and mapped again (likely at the same address): what was
     * learnt about the old mapping must not outlive it. */
    for (int round = 0; round < 3; round++) {
        dlclose(dl);
        dl_getppid = NULL;
        if (open_dl(argv0))
            break;
        for (int i = 0; i < 100; i++)
            good &= dl_getppid() == ppid;
    }
    CHECK(good && dl_getppid, "dlclose and dlopen again, three times: its syscall still answers");
}

/* --- registers and the whole trampoline */
/* One getppid with known values in every register but rax, rcx and r11,
 * which must survive it, as with the kernel. */
/* The flags each call of registers_kept is made with, in turn: the
 * arithmetic ones (CF PF AF ZF SF OF) in several mixes, and DF set in half
 * (the fast path's way back sets the arithmetic flags alone, and takes
 * popfq for the rest). Static: the call's push may not meet a red zone. */
static const unsigned long call_flags[] = { 0x202, 0x202 | 0x8d5, 0x202 | 0x400 | 0x045,
                                            0x202 | 0x400 | 0x890 };
#define FLAGS_KEPT 0xcd5 /* CF PF AF ZF SF DF OF */
static unsigned long flags_in, flags_out, flags_turn;

__attribute__((noinline)) static int registers_kept(long ppid)
{
    int good = 1;
    flags_in = call_flags[flags_turn++ % (sizeof(call_flags) / sizeof(call_flags[0]))];
    {
        register long r8 __asm__("r8") = 0x1111, r9 __asm__("r9") = 0x2222, r10 __asm__("r10") = 0x3333;
        register long r12 __asm__("r12") = 0x4444, r13 __asm__("r13") = 0x5555;
        register long r14 __asm__("r14") = 0x6666, r15 __asm__("r15") = 0x7777;
        long rax = SYS_getppid, rdi = 0x8888, rsi = 0x9999, rdx = 0xaaaa, rbx = 0xbbbb;
        __asm__ volatile("pushq %[in]\n popfq\n syscall\n pushfq\n popq %[out]\n cld"
                         : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+b"(rbx), "+r"(r8), "+r"(r9),
                           "+r"(r10), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15), [out] "=m"(flags_out)
                         : [in] "m"(flags_in)
                         : "rcx", "r11", "memory", "cc");
        good &= rax == ppid && rdi == 0x8888 && rsi == 0x9999 && rdx == 0xaaaa && rbx == 0xbbbb &&
                r8 == 0x1111 && r9 == 0x2222 && r10 == 0x3333 && r12 == 0x4444 && r13 == 0x5555 &&
                r14 == 0x6666 && r15 == 0x7777 && (flags_out & FLAGS_KEPT) == (flags_in & FLAGS_KEPT);
    }
    return good;
}

/* The SSE registers across one call through a site of its own, as the
 * kernel keeps them: the libos's protobuf-c code (Debian's, built for user
 * space) uses xmm0-2 when it packs a 64-bit varint. */
__attribute__((noinline)) static int sse_kept(long nr, long a1, long a2, long a3, long *ret)
{
    unsigned long in[8][2], out[8][2];
    for (int i = 0; i < 8; i++) {
        in[i][0] = 0x0123456789abcdefUL * (unsigned long)(i + 1);
        in[i][1] = ~in[i][0];
    }
    long r = nr;
    __asm__ volatile("movdqu 0(%[in]), %%xmm0\n movdqu 16(%[in]), %%xmm1\n movdqu 32(%[in]), %%xmm2\n"
                     "movdqu 48(%[in]), %%xmm3\n movdqu 64(%[in]), %%xmm4\n movdqu 80(%[in]), %%xmm5\n"
                     "movdqu 96(%[in]), %%xmm6\n movdqu 112(%[in]), %%xmm7\n"
                     "syscall\n"
                     "movdqu %%xmm0, 0(%[out])\n movdqu %%xmm1, 16(%[out])\n movdqu %%xmm2, 32(%[out])\n"
                     "movdqu %%xmm3, 48(%[out])\n movdqu %%xmm4, 64(%[out])\n movdqu %%xmm5, 80(%[out])\n"
                     "movdqu %%xmm6, 96(%[out])\n movdqu %%xmm7, 112(%[out])\n"
                     : "+a"(r)
                     : [in] "r"(in), [out] "r"(out), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
    *ret = r;
    return !memcmp(in, out, sizeof(in));
}

static void test_registers(void)
{
    int good = 1;
    for (int i = 0; i < 100; i++)
        good &= registers_kept(getppid());
    CHECK(good, "registers but rax, rcx and r11 are preserved, and the flags (DF and the arithmetic ones)");
    long enosys = 0;
    for (long nr = 512; nr <= 8192; nr++)
        enosys += syscall(nr, 1, 2, 3, 4, 5, 6) == -1 && errno == ENOSYS;
    CHECK(enosys == 8192 - 512 + 1, "every number from 512 to 8192 answers ENOSYS (%ld did)", enosys);
    static const long odd[] = { -1, -4096, 0x7fffffffffffL };
    enosys = 0;
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        enosys += syscall(odd[i]) == -1 && errno == ENOSYS;
    CHECK(enosys == 3, "so do -1, -4096 and 2^47-1");
    /* The kernel reads the number as an int. */
    CHECK(syscall((1L << 32) | SYS_getppid) == getppid() &&
              syscall((long)(0x8000000000000000UL | SYS_getppid)) == getppid(),
          "getppid with bits above 31 set (2^32, and a non-canonical address)");
    CHECK(syscall(SYS_getppid) == getppid(), "and a real call after them");
    /* A key no one made (negative: its varint is 10 bytes), looked up
     * with nsd under graphene; more calls than the fast path waits. */
    long r = 0, lost = 0;
    for (int i = 0; i < 40; i++)
        lost += !sse_kept(SYS_shmget, (int)0x8f5a17e3, 4096, 0600, &r);
    CHECK(lost == 0 && r == -ENOENT, "xmm0-7 kept across 40 shmget lookups of a missing key (%ld lost)", lost);
}

/* --- threads at one fresh site */
#define THREADS 4
static pthread_barrier_t barrier;

static void *hammer(void *arg)
{
    long ppid = (long)arg, good = 1;
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < 2000; i++)
        good &= raw_getppid() == ppid;
    return (void *)good;
}

static void test_threads(void)
{
    pthread_t t[THREADS];
    long good = 1;
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, hammer, (void *)(long)getppid());
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        good &= (long)r;
    }
    CHECK(good, "%d threads released at once onto a fresh site: all answers right", THREADS);
}

/* --- signals landing anywhere around fast-path calls */
#define STORM_CALLS 20000
static volatile int storm_done;
static volatile long storm_hits;
static pthread_t storm_target;

static void on_storm(int sig)
{
    (void)sig;
    storm_hits++;
}

static void *storm(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&storm_done, __ATOMIC_ACQUIRE)) {
        pthread_kill(storm_target, SIGUSR2);
        sched_yield();
    }
    return NULL;
}

static void test_storm(void)
{
    struct sigaction sa = { .sa_handler = on_storm, .sa_flags = SA_RESTART };
    sigaction(SIGUSR2, &sa, NULL);
    storm_target = pthread_self();
    pthread_t t;
    pthread_create(&t, NULL, storm, NULL);
    long ppid = getppid();
    int good = 1;
    for (int i = 0; i < STORM_CALLS; i++)
        good &= registers_kept(ppid);
    /* At least one signal, however the threads were scheduled. */
    while (!storm_hits)
        sched_yield();
    __atomic_store_n(&storm_done, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    signal(SIGUSR2, SIG_DFL);
    CHECK(good, "%d calls with signals landing around them: every register kept", STORM_CALLS);
}

/* --- signals while a read blocks */
static volatile int handled;
static volatile int reader_done;
static int pipefd[2];

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* The blocking call of the signal cases: raw_read on a pipe, or raw_recv
 * on a socket pair (pipefd then holds the pair). */
static long (*blocking_call)(int fd, void *buf, size_t n) = raw_read;

/* Reads through the blocking call's site more often than the fast path
 * waits before learning a site (report checks that it is then rewritten). */
static void warm_read(void)
{
    char c = 'x';
    for (int i = 0; i < 20; i++)
        if (write(pipefd[1], &c, 1) != 1 || blocking_call(pipefd[0], &c, 1) != 1)
            DIE("pipe write/read");
}

struct reader_result {
    long r;
};

static void *reader(void *arg)
{
    struct reader_result *res = arg;
    char c;
    res->r = blocking_call(pipefd[0], &c, 1);
    __atomic_store_n(&reader_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void make_pipe(void)
{
    if (blocking_call == raw_recv ? socketpair(AF_UNIX, SOCK_STREAM, 0, pipefd) : pipe(pipefd))
        DIE("pipe");
}

static const char *call_name(void)
{
    return blocking_call == raw_recv ? "recvfrom" : "read";
}

static void test_signals(int restart)
{
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
    sigaction(SIGUSR1, &sa, NULL);
    make_pipe();
    /* The site is rewritten before the reader blocks on it. */
    char c = 'x';
    warm_read();
    handled = 0;
    reader_done = 0;
    struct reader_result res = { 0 };
    pthread_t t;
    pthread_create(&t, NULL, reader, &res);
    if (restart) {
        /* However many signals land (before or during the read), it must
         * go on; then data ends it. */
        while (handled < 20) {
            pthread_kill(t, SIGUSR1);
            sched_yield();
        }
        write(pipefd[1], &c, 1);
        pthread_join(t, NULL);
        CHECK(res.r == 1, "SA_RESTART: the blocked %s survives the signals and reads the byte", call_name());
    } else {
        /* Signal until one lands while the read blocks: it returns EINTR. */
        while (!__atomic_load_n(&reader_done, __ATOMIC_ACQUIRE)) {
            pthread_kill(t, SIGUSR1);
            sched_yield();
        }
        pthread_join(t, NULL);
        CHECK(res.r == -EINTR, "no SA_RESTART: the blocked %s ends with EINTR", call_name());
    }
    CHECK(handled > 0, "the handler ran (%s, %s)", call_name(), restart ? "SA_RESTART" : "no SA_RESTART");
    close(pipefd[0]);
    close(pipefd[1]);
}

/* A thread blocked in a fast-path read, signalled by another with no pause
 * between the kills: each kill is a host kick to the reader, and before
 * kicks were one at a time a sender faster than the reader's handler queued
 * them without bound (85000 seen), the reader only ever taking kicks. */
static void test_kill_storm(void)
{
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    int ended = 0;
    for (int round = 0; round < 50; round++) {
        make_pipe();
        warm_read();
        reader_done = 0;
        struct reader_result res = { 0 };
        pthread_t t;
        pthread_create(&t, NULL, reader, &res);
        while (!__atomic_load_n(&reader_done, __ATOMIC_ACQUIRE))
            pthread_kill(t, SIGUSR1);
        pthread_join(t, NULL);
        ended += res.r == -EINTR;
        close(pipefd[0]);
        close(pipefd[1]);
    }
    CHECK(ended == 50, "50 reads stormed by pthread_kill with no pause each end with EINTR (%d did)", ended);
}

/* --- signals while a read served from a fault blocks: the read's call
 * faults (no stack for its push), so the libos serves it inside its SIGSEGV
 * handler; each signal's handler returns by a trapping rt_sigreturn, whose
 * exit state must not be taken for this call's by the next signal. */
static volatile int fault_stage;
static char *ro_stack;

static void *fault_reader(void *arg)
{
    static char alt[65536];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
    sigaltstack(&ss, NULL);
    static char stack[4096] __attribute__((aligned(16)));
    char c;
    for (int i = 0; i < 20; i++) /* a good stack first: the site gets learnt */
        read_on_stack(pipefd[0], &c, stack + sizeof(stack));
    __atomic_store_n(&fault_stage, 1, __ATOMIC_RELEASE);
    *(long *)arg = read_on_stack(pipefd[0], &c, ro_stack + 4096);
    return NULL;
}

static void test_fault_signals(void)
{
    set_restorer(SIGUSR1, on_usr1, trapping_restorer);
    if (pipe(pipefd))
        DIE("pipe");
    ro_stack = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro_stack == MAP_FAILED)
        DIE("mmap");
    char c[20] = { 0 };
    write(pipefd[1], c, sizeof(c));
    handled = 0;
    long r = 0;
    pthread_t t;
    pthread_create(&t, NULL, fault_reader, &r);
    while (!__atomic_load_n(&fault_stage, __ATOMIC_ACQUIRE))
        sched_yield();
    while (handled < 20) {
        pthread_kill(t, SIGUSR1);
        sched_yield();
    }
    write(pipefd[1], c, 1);
    pthread_join(t, NULL);
    CHECK(r == 1, "a read served from its call's fault survives 20 signals (SA_RESTART, trapping restorer) and reads the byte");
    signal(SIGUSR1, SIG_DFL);
    munmap(ro_stack, 4096);
    close(pipefd[0]);
    close(pipefd[1]);
}

/* --- fork and execve */
#define FORKS 20 /* more than the fast path waits before learning a site */

static void test_fork_exec(const char *argv0)
{
    int good = 1;
    pid_t self = getpid();
    for (int i = 0; i < FORKS; i++) {
        pid_t pid = fork();
        if (pid == 0) /* raw_getppid's site was rewritten before the fork */
            _exit(raw_getppid() == self ? 40 + i : 1);
        int st = 0;
        waitpid(pid, &st, 0);
        good &= WIFEXITED(st) && WEXITSTATUS(st) == 40 + i;
    }
    CHECK(good, "%d forks: each child runs the parent's rewritten site and exits as told", FORKS);
    pid_t pid = fork();
    if (pid == 0) {
        /* Failing execs teach the fast path their site; then one runs. */
        char *const bad[] = { "/nonexistent", NULL };
        for (int i = 0; i < FORKS; i++)
            execv("/nonexistent/program", bad);
        char *const args[] = { (char *)argv0, "child", NULL };
        execv(argv0, args);
        _exit(99);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "fork, then execve of this program, which exits 7");
}

/* --- NULL function pointers */
static sigjmp_buf null_env;
static volatile int null_code;
static void *volatile null_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    null_code = si->si_code;
    null_addr = si->si_addr;
    siglongjmp(null_env, 1);
}

static void test_null_call(void)
{
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO };
    sigaction(SIGSEGV, &sa, NULL);
    /* rax = 39 (getpid) as if a syscall number: still no system call. */
    static long (*volatile fn)(void);
    for (long target = 0; target <= 39; target += 39) {
        null_code = 0;
        null_addr = (void *)1;
        if (sigsetjmp(null_env, 1) == 0) {
            fn = (long (*)(void))target;
            __asm__ volatile("call *%%rax" : : "a"(fn) : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory");
        }
        CHECK(null_code == SEGV_MAPERR && null_addr == (void *)target,
              "call *%%rax to %ld: SIGSEGV/SEGV_MAPERR at that address", target);
    }
    signal(SIGSEGV, SIG_DFL);
}

/* Each site runs more often than the fast path waits before learning one
 * (LEARN_AFTER in libos/fastpath.c). */
#define REPORT_CALLS 30

/* "stepped": calls through the fast path, checking registers, until
 * SIGUSR1 (tests/libos/exitstep.c meanwhile signals it at every point of
 * the return path), then reports. */
static volatile int stepped_done;

static void on_done(int sig)
{
    (void)sig;
    stepped_done = 1;
}

static int stepped(void)
{
    struct sigaction sa = { .sa_handler = on_storm, .sa_flags = SA_RESTART };
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGUSR1, on_done);
    long ppid = getppid(), calls = 0;
    int good = 1;
    /* For exitstep: the handler, and where the app goes on after the call. */
    printf("ready %p %p\n", (void *)on_storm, (void *)(find_site((const void *)registers_kept) + 2));
    fflush(stdout);
    while (!stepped_done) {
        good &= registers_kept(ppid);
        calls++;
    }
    printf("%s after %ld signals\n", good ? "registers kept" : "registers lost", storm_hits);
    return 0;
}

/* "faultstepped": getppid on a read-only stack (served inside its call's
 * fault, fastpath_fault) until SIGUSR1, while exitstep delivers SIGUSR2 as
 * that fault's handler returns: after its last delivery check. */
static int faultstepped(void)
{
    static char alt[65536];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof(alt) };
    sigaltstack(&ss, NULL);
    /* On the altstack: the app's stack cannot take a frame. The handler
     * returns by a rewritten rt_sigreturn, so that every host sigreturn
     * exitstep stops at is a fault's. */
    set_restorer(SIGUSR2, on_storm, fast_restorer);
    for (int i = 0; i < REPORT_CALLS; i++)
        raise(SIGUSR2);
    storm_hits = 0;
    struct sigaction sa = { .sa_handler = on_done, .sa_flags = SA_ONSTACK };
    sigaction(SIGUSR1, &sa, NULL);
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        DIE("mmap");
    long ppid = getppid(), calls = 0;
    int good = 1;
    for (int i = 0; i < REPORT_CALLS; i++) /* a good stack first: the site gets learnt */
        good &= on_stack(page + 4096) == ppid;
    mprotect(page, 4096, PROT_READ);
    printf("ready %p %p\n", (void *)on_storm, (void *)(find_site((const void *)on_stack) + 2));
    fflush(stdout);
    while (!stepped_done) {
        good &= on_stack(page + 4096) == ppid;
        calls++;
    }
    printf("%s after %ld signals\n", good ? "answers kept" : "answers wrong", storm_hits);
    return 0;
}

static void report(const char *argv0)
{
    for (int i = 0; i < REPORT_CALLS; i++) {
        raw_getppid();
        syscall(SYS_getppid);
    }
    printf("raw_getppid %s\n", state(find_site((const void *)raw_getppid)));
    printf("syscall() %s\n", state(find_site((const void *)syscall)));
    if (open_dl(argv0) == 0) {
        for (int i = 0; i < REPORT_CALLS; i++)
            dl_getppid();
        printf("dlopen %s\n", state(find_site((const void *)dl_getppid)));
    }
    char *const bad[] = { "/nonexistent", NULL };
    for (int i = 0; i < REPORT_CALLS; i++)
        execv("/nonexistent/program", bad);
    printf("execve %s\n", state(find_site((const void *)execve)));
    if (pipe(pipefd))
        DIE("pipe");
    warm_read();
    printf("raw_read %s\n", state(find_site((const void *)raw_read)));
    close(pipefd[0]);
    close(pipefd[1]);
    blocking_call = raw_recv;
    make_pipe();
    warm_read();
    printf("raw_recv %s\n", state(find_site((const void *)raw_recv)));
    blocking_call = raw_read;
    unsigned char *p = jit(1);
    for (int i = 0; p && i < REPORT_CALLS; i++)
        ((long (*)(void))p)();
    printf("jit %s\n", p ? state(p + 5) : "missing");
    for (int i = 0; i < REPORT_CALLS; i++)
        overlap(SYS_getppid, 1);
    printf("overlap %s\n", state((const unsigned char *)overlap_mid));
    for (int i = 0; i < REPORT_CALLS; i++)
        redzone();
    printf("redzone %s\n", state(find_site((const void *)redzone)));
    static char stack[4096] __attribute__((aligned(16)));
    for (int i = 0; i < REPORT_CALLS; i++)
        on_stack(stack + sizeof(stack));
    printf("on_stack %s\n", state(find_site((const void *)on_stack)));
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        /* Through the fast path from the start: the new program's sites
         * are learnt afresh. */
        return raw_getppid() == getppid() && raw_getppid() == getppid() ? 7 : 1;
    }
    if (argc > 1 && !strcmp(argv[1], "stepped"))
        return stepped();
    if (argc > 1 && !strcmp(argv[1], "faultstepped"))
        return faultstepped();
    if (argc > 1 && !strcmp(argv[1], "report")) {
        report(argv[0]);
        return 0;
    }
    test_jit();
    test_overlap();
    test_stack();
    test_dlopen(argv[0]);
    test_registers();
    test_threads();
    test_signals(1);
    test_signals(0);
    blocking_call = raw_recv;
    test_signals(1);
    test_signals(0);
    blocking_call = raw_read;
    test_kill_storm();
    test_fault_signals();
    test_storm();
    test_fork_exec(argv[0]);
    test_null_call();
    return tu_done();
}
