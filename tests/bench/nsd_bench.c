/*
 * nsd benchmark: operations per second and latency percentiles of register,
 * lease and lookup, with 1 and with several concurrent clients (each a
 * simulated picoprocess on its own connection).
 *   nsd_bench ADDR OPS_PER_CLIENT CLIENTS...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "apply.h"
#include "sim.h"

enum op { OP_REGISTER, OP_LEASE, OP_LOOKUP };
static const char *op_name[] = { "register", "lease", "lookup" };

static const char *addr;
static char sb[64];
static uint8_t secret[NSD_SECRET_LEN];

/* One client: nops timed operations; latencies (us) written to fd. */
static int client(enum op op, int nops, int fd)
{
    struct sim s;
    Nsd__Ids ids;
    Nsd__PidRange rng;
    sim_connect(&s, addr, sb, secret);
    if (sim_register(&s, 0, 0, RANGE_MAX, &ids, &rng))
        return 1;
    uint32_t root = ids.pid, next = rng.lo;
    int32_t *lat = malloc(nops * sizeof *lat);
    for (int i = 0; i < nops; i++) {
        int64_t t0 = sim_now_us();
        int r;
        switch (op) {
        case OP_REGISTER: {
            /* a forked child registering with a pid from the parent's lease
             * (sent on the parent's connection: only the pid's lease matters) */
            if (next > rng.hi && sim_lease(&s, root, RANGE_MAX, &rng) == 0)
                next = rng.lo;
            r = sim_register(&s, next++, root, 0, NULL, NULL);
            break;
        }
        case OP_LEASE:
            r = sim_lease(&s, root, 64, NULL);
            break;
        default:
            r = sim_lookup(&s, root, NULL, 0);
            break;
        }
        if (r) {
            fprintf(stderr, "nsd_bench: %s: %s\n", op_name[op], strerror(-r));
            return 1;
        }
        lat[i] = sim_now_us() - t0;
    }
    ssize_t len = (ssize_t)(nops * sizeof *lat);
    return write(fd, lat, len) == len ? 0 : 1;
}

static int cmp_i32(const void *a, const void *b)
{
    return *(const int32_t *)a - *(const int32_t *)b;
}

static void run(enum op op, int nclients, int nops)
{
    int pfd[2];
    if (pipe(pfd))
        exit(1);
    int64_t t0 = sim_now_us();
    for (int i = 0; i < nclients; i++)
        if (fork() == 0)
            _exit(client(op, nops, pfd[1]));
    close(pfd[1]);
    size_t total = (size_t)nclients * nops, got = 0;
    int32_t *lat = malloc(total * sizeof *lat);
    ssize_t r;
    while (got < total * sizeof *lat &&
           (r = read(pfd[0], (char *)lat + got, total * sizeof *lat - got)) > 0)
        got += r;
    close(pfd[0]);
    int st, bad = 0;
    while (wait(&st) > 0)
        bad += !WIFEXITED(st) || WEXITSTATUS(st);
    double secs = (sim_now_us() - t0) / 1e6;
    if (bad || got != total * sizeof *lat) {
        printf("%-9s %3d clients: FAILED\n", op_name[op], nclients);
        return;
    }
    qsort(lat, total, sizeof *lat, cmp_i32);
    printf("%-9s %3d clients  %8.0f ops/s   p50 %7.1f us   p99 %7.1f us\n", op_name[op], nclients,
           total / secs, (double)lat[total / 2], (double)lat[total * 99 / 100]);
    fflush(stdout);
    free(lat);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: nsd_bench ADDR OPS_PER_CLIENT CLIENTS...\n");
        return 2;
    }
    addr = argv[1];
    int nops = atoi(argv[2]);
    snprintf(sb, sizeof sb, "bench%d", (int)getpid());
    int r = sim_sandbox(addr, sb, secret);
    if (r) {
        fprintf(stderr, "nsd_bench: cannot create a sandbox at %s: %s\n", addr, strerror(-r));
        return 1;
    }
    for (int op = OP_REGISTER; op <= OP_LOOKUP; op++)
        for (int i = 3; i < argc; i++)
            run(op, atoi(argv[i]), nops);
    return 0;
}
