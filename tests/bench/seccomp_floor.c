/* The floor a seccomp filter puts under a passthrough call (for
 * seccomp_floor.sh, not a test): ns per 1-byte write(2) to /dev/null, the
 * loop of tests/progs/bench_syscall.c, natively under one of these filters,
 * each allowing everything:
 *   none  no filter
 *   nr2   load the syscall number, allow (2 instructions: the kernel's
 *         action cache can answer it without running the filter)
 *   ip2   load the instruction pointer, allow (2 instructions; as the
 *         libos's filter must, to trap every site but its own)
 *   ip22  load the instruction pointer, 20 comparisons that fall through,
 *         allow (the filter's length, not its invocation)
 * Prints "ns_per_call: X" and "ns_least_block: Y" (as bench_syscall).
 * usage: seccomp_floor N none|nr2|ip2|ip22 */
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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

static int install(const char *mode)
{
    struct sock_filter f[22];
    int n = 0;
    if (!strcmp(mode, "none"))
        return 0;
    if (!strcmp(mode, "nr2")) {
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    } else if (!strcmp(mode, "ip2") || !strcmp(mode, "ip22")) {
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                              offsetof(struct seccomp_data, instruction_pointer));
        while (!strcmp(mode, "ip22") && n < 21)
            f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x1000u + n, 0, 0);
    } else {
        fprintf(stderr, "seccomp_floor: unknown filter %s\n", mode);
        return -1;
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
        perror("seccomp_floor: seccomp");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: seccomp_floor N none|nr2|ip2|ip22\n");
        return 2;
    }
    long n = atol(argv[1]);
    int fd = open("/dev/null", O_WRONLY);
    if (n <= 0 || fd < 0 || install(argv[2]))
        return 1;
    for (int i = 0; i < 1000; i++)
        write(fd, "x", 1);
    /* The least block as bench_syscall.c reports it. */
    double t0 = now_ns(), least = 0;
    for (long done = 0; done < n;) {
        long k = n - done < BLOCK ? n - done : BLOCK;
        double b0 = now_ns();
        for (long i = 0; i < k; i++)
            write(fd, "x", 1);
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
