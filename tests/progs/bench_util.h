/* Helpers of the benchmark programs (bench_proc.c, bench_sysv.c): a
 * monotonic clock in microseconds and the median of n samples, printed as
 * "NAME_us: X" for libos_bench.sh. */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline void report(const char *name, double *t, int n)
{
    qsort(t, n, sizeof(*t), cmp_double);
    printf("%s_us: %.2f\n", name, t[n / 2]);
}

#endif
