/* Cost of one trapped system call: getppid(2) cannot be served from the vDSO
 * or a libc cache, so every iteration enters the kernel (natively) or the
 * libos (under graphene).  Prints "ns_per_call: X" for libos_bench.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (n <= 0)
        n = 1;
    /* Warm up (first trap may fault in libos code and data). */
    for (int i = 0; i < 1000; i++)
        syscall(SYS_getppid);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    double t1 = now_ns();
    printf("ns_per_call: %.1f\n", (t1 - t0) / n);
    return 0;
}
