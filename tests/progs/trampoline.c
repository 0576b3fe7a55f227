/* Tries to change the syscall fast path's trampoline (page 0) through the
 * calls an app has, and prints what each one answered; tests/libos/fastpath.t
 * runs it under graphene. The libos must refuse them all, as it refuses
 * them on its own image and arena.
 * With "spin": teaches the fast path one site, prints its address, then
 * spins in app code (for tests/libos/fastcall.c to enter the trampoline). */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static sigjmp_buf env;
/* volatile: the compiler must not see (and warn about) the address. */
static volatile unsigned char *volatile zero_page = (volatile unsigned char *)0;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(env, 1);
}

static void show(const char *what, long r)
{
    printf("%s %s\n", what, r == -1 ? strerrorname_np(errno) : "succeeded");
}

__attribute__((noinline)) static long raw_getppid(void)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
    return r;
}

static volatile int forever = 1;

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "spin")) {
        for (int i = 0; i < 20; i++)
            raw_getppid();
        const unsigned char *p = (const unsigned char *)raw_getppid;
        while (!(p[0] == 0xff && p[1] == 0xd0) && !(p[0] == 0x0f && p[1] == 0x05))
            p++;
        printf("%p %s\n", (const void *)p, p[0] == 0xff ? "rewritten" : "trapping");
        fflush(stdout);
        while (forever)
            ;
        return 0;
    }
    volatile unsigned char *zero = zero_page;
    show("mprotect", mprotect(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
    show("munmap", munmap(NULL, 4096));
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    show("mmap-fixed", p == MAP_FAILED ? -1 : 0);
    show("mremap", mremap((void *)0, 4096, 8192, 0) == MAP_FAILED ? -1 : 0);
    show("madvise", madvise(NULL, 4096, MADV_DONTNEED));
    signal(SIGSEGV, on_segv);
    if (sigsetjmp(env, 1) == 0) {
        zero[100] = 0xcc;
        printf("write succeeded\n");
    } else {
        printf("write SIGSEGV\n");
    }
    /* Still the trampoline: a jump (eb) or its REX prefix (4e); without
     * the fast path page 0 is not mapped at all. */
    if (sigsetjmp(env, 1) == 0)
        printf("byte0 %02x\n", zero[0]);
    else
        printf("byte0 unmapped\n");
    return 0;
}
