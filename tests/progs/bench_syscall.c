/* Cost of one system call, for libos_bench.sh: getppid(2), which cannot be
 * served from the vDSO or a libc cache, so every iteration enters the kernel
 * (natively) or the libos (under graphene); or, with "write", a 1-byte
 * write(2) to /dev/null, which the libos passes to the host as it is.
 * Prints "ns_per_call: X" and "ns_least_block: Y" (the least of its blocks
 * of 10000 calls).  usage: bench_syscall N [getppid|write] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 10000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int null_fd;

static void one_getppid(void) { syscall(SYS_getppid); }
static void one_write(void) { write(null_fd, "x", 1); }

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    void (*call)(void) = one_getppid;
    if (argc > 2 && !strcmp(argv[2], "write")) {
        call = one_write;
        if ((null_fd = open("/dev/null", O_WRONLY)) < 0)
            return 1;
    }
    if (n <= 0)
        n = 1;
    /* Warm up: the first calls fault in libos code and data, and teach the
     * fast path the site. */
    for (int i = 0; i < 1000; i++)
        call();
    /* Also the least of its blocks of BLOCK calls: on a loaded machine
     * the blocks no other process interrupted say what the call costs. */
    double t0 = now_ns(), least = 0;
    for (long done = 0; done < n;) {
        long k = n - done < BLOCK ? n - done : BLOCK;
        double b0 = now_ns();
        for (long i = 0; i < k; i++)
            call();
        double ns = (now_ns() - b0) / k;
        if (!done || ns < least)
            least = ns;
        done += k;
    }
    double t1 = now_ns();
    printf("ns_per_call: %.1f\n", (t1 - t0) / n);
    printf("ns_least_block: %.1f\n", least);
    return 0;
}
