/* Start-up timing driver for libos_bench.sh.
 *
 * usage: runtime N CMD [ARGS...]
 * fork+execs CMD N times (stdout/stderr to /dev/null, one at a time) and
 * prints
 *   median_us=<median wall time of fork..wait4, microseconds>
 *   maxrss_kb=<largest ru_maxrss reported by wait4 over the runs>
 *   failures=<runs that did not exit 0>
 * wait4's rusage covers the child and the descendants it reaped, so a
 * launcher that forks the picoprocess is still counted. With
 * RUNTIME_FRESH_DIR=PREFIX, run i gets GRAPHENE_RUNTIME_DIR=PREFIX.i, so
 * every `graphene run` has to start its own embedded nsd. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s N CMD [ARGS...]\n", argv[0]);
        return 2;
    }
    int n = atoi(argv[1]);
    if (n < 1)
        n = 1;
    long long *us = calloc(n, sizeof(*us));
    long maxrss = 0;
    int failures = 0;
    const char *fresh = getenv("RUNTIME_FRESH_DIR");
    for (int i = 0; i < n; i++) {
        struct timespec t0, t1;
        char dir[4096];
        if (fresh) {
            snprintf(dir, sizeof dir, "%s.%d", fresh, i);
            setenv("GRAPHENE_RUNTIME_DIR", dir, 1);
        }
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 2;
        }
        if (pid == 0) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 1);
            dup2(null, 2);
            execvp(argv[2], argv + 2);
            _exit(127);
        }
        int status;
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) != pid) {
            perror("wait4");
            return 2;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        us[i] = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
        if (ru.ru_maxrss > maxrss)
            maxrss = ru.ru_maxrss;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failures++;
    }
    qsort(us, n, sizeof(*us), cmp_ll);
    long long med = n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2;
    printf("median_us=%lld\nmaxrss_kb=%ld\nfailures=%d\n", med, maxrss, failures);
    return 0;
}
