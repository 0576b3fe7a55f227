/* Cost of a passthrough system call: a 1-byte write(2) to /dev/null, which
 * the libos hands to the host as it is. Prints "ns_per_call: X" for
 * libos_bench.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || n <= 0)
        return 1;
    for (int i = 0; i < 1000; i++)
        write(fd, "x", 1);
    double t0 = now_ns();
    for (long i = 0; i < n; i++)
        write(fd, "x", 1);
    double t1 = now_ns();
    printf("ns_per_call: %.1f\n", (t1 - t0) / n);
    return 0;
}
