/*
 * Test driver: simulated picoprocesses exercising nsd over its socket.
 *   nsd_testclient ADDR MODE [ARGS]
 * Scenario modes print TAP lines ("ok - ..."/"not ok - ..."); the .t
 * scripts add the plan.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>
#include "sim.h"
#include "apply.h"

static const char *addr;
static int failures;

static void check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s - ", cond ? "ok" : "not ok");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    failures += !cond;
}

/* A fresh sandbox per scenario, so scenarios never see each other's state. */
static void new_sandbox(char *name, size_t n, uint8_t *secret)
{
    snprintf(name, n, "t%d-%ld", (int)getpid(), (long)(sim_now_us() % 1000000));
    int r = sim_sandbox(addr, name, secret);
    if (r) {
        printf("Bail out! cannot create sandbox %s: %s\n", name, strerror(-r));
        exit(1);
    }
}

/* ---- registration, leases, exit and reaping ------------------------------------ */

static void mode_basic(void)
{
    char sb[64], st[16];
    uint8_t secret[NSD_SECRET_LEN];
    new_sandbox(sb, sizeof sb, secret);
    struct sim a, b, other;
    Nsd__Ids ids;
    Nsd__PidRange rng, r2;
    sim_connect(&a, addr, sb, secret);
    check(!sim_register(&a, 0, 0, 8, &ids, &rng), "root registers");
    uint32_t root = ids.pid;
    check(root == 1 && ids.pgid == 1 && ids.sid == 1 && ids.ppid == 0,
          "first process of a sandbox is pid 1, leads its own session (%u/%u/%u)", ids.pid, ids.pgid, ids.sid);
    check(rng.lo == 2 && rng.hi == 9 && rng.owner == 1, "root got the rest of its range [%u,%u]", rng.lo, rng.hi);

    /* A "fork": the child takes a pid from the parent's range locally. */
    sim_connect(&b, addr, sb, secret);
    check(!sim_register(&b, rng.lo, root, 0, &ids, NULL), "child registers with a pid from the parent's lease");
    uint32_t child = ids.pid;
    check(ids.ppid == root && ids.pgid == 1 && ids.sid == 1, "child inherits group and session");
    struct sim c2;
    sim_connect(&c2, addr, sb, secret);
    check(sim_register(&c2, rng.lo, root, 0, NULL, NULL) == -EEXIST, "the same pid cannot register twice");
    check(sim_register(&c2, 500, root, 0, NULL, NULL) == -EPERM, "a pid outside the parent's lease is refused");
    check(sim_register(&c2, 7, 42, 0, NULL, NULL) == -ESRCH, "an unknown parent is refused");

    int r = sim_lease(&a, root, 16, &r2);
    check(!r && r2.lo > rng.hi && r2.hi - r2.lo == 15, "lease of 16 more pids: [%u,%u]", r2.lo, r2.hi);
    check(sim_lease(&b, root, 4, NULL) == -EPERM, "a client cannot act for another client's process");

    check(!sim_lookup(&b, root, st, sizeof st) && !strcmp(st, "live"), "lookup finds the root live");
    check(sim_lookup(&b, 999, NULL, 0) == -ESRCH, "lookup of an unknown pid: ESRCH");
    /* A number no process has (a thread's tid) is found as its lease's. */
    uint32_t who = 0;
    check(!sim_lease_owner(&b, r2.lo + 3, &who) && who == root, "the holder of the lease of an unused pid: the root");
    check(!sim_lease_owner(&b, rng.hi, &who) && who == root, "and of its first lease's last pid");
    check(!sim_lease_owner(&b, child, &who) && who == child, "a process's own pid: that process");
    check(sim_lease_owner(&b, 999, &who) == -ESRCH, "a pid of no lease: ESRCH");
    check(sim_lookup(&b, r2.lo + 3, NULL, 0) == -ESRCH, "without thread_owner it is no process (ESRCH)");

    /* Exit makes a zombie; its pid is not leased again until reaped. */
    check(!sim_exit(&b, child, 3 << 8), "child exits");
    check(!sim_lookup(&a, child, st, sizeof st) && !strcmp(st, "zombie"), "child is a zombie");
    check(sim_exit(&b, child, 0) == -EPERM, "a zombie cannot exit again");
    /* The second child is a process of its own, which dies without exit. */
    int pfd[2];
    uint32_t c2pid = 0;
    if (pipe(pfd))
        abort();
    pid_t kid = fork();
    if (!kid) {
        struct sim d;
        sim_connect(&d, addr, sb, secret);
        check(!sim_register(&d, rng.lo + 1, root, 0, &ids, NULL), "second child registers");
        check(sim_reap(&d, ids.pid, child) == -ECHILD, "only the parent reaps");
        _exit(write(pfd[1], &ids.pid, sizeof ids.pid) != sizeof ids.pid);
    }
    close(pfd[1]);
    ssize_t got = read(pfd[0], &c2pid, sizeof c2pid);
    check(got == sizeof c2pid, "second child is pid %u", c2pid);
    close(pfd[0]);
    waitpid(kid, NULL, 0);
    check(!sim_reap(&a, root, child), "parent reaps the zombie");
    check(sim_lookup(&a, child, NULL, 0) == -ESRCH, "reaped pid is gone");

    /* A client that vanishes without exit: its processes are lost, at the
     * drop if the host shows the peer dead by then, else at the next sweep
     * (SWEEP_MS): wait for up to 10 s, generously past one sweep. */
    int lost = 0;
    for (int i = 0; i < 500 && !lost; i++) {
        usleep(20000);
        lost = !sim_lookup(&a, c2pid, st, sizeof st) && !strcmp(st, "lost");
    }
    check(lost, "dropped connection: its process is reported lost");

    /* Ranges of an exiting process are returned; with the root gone the
     * sandbox's pids are not reused while the zombie root's group exists. */
    check(!sim_exit(&a, root, 0), "root exits");
    sim_connect(&other, addr, sb, secret);
    r = sim_register(&other, 0, 0, 4, &ids, &rng);
    check(!r, "new root registers");
    check(ids.pid != root && ids.pid != child && ids.pid != c2pid && rng.lo > r2.hi,
          "no pid reused while referenced (got %u, range [%u,%u])", ids.pid, rng.lo, rng.hi);
    check(sim_members(&other, 0, 0, 1) == 1, "members(all) lists the one live process");

    /* Another sandbox's secret does not open this sandbox. */
    uint8_t bad[NSD_SECRET_LEN];
    memcpy(bad, secret, sizeof bad);
    bad[0] ^= 1;
    struct sim e;
    sim_connect(&e, addr, sb, bad);
    e.c.retry_ms = 0;
    check(sim_register(&e, 0, 0, 0, NULL, NULL) == -EACCES, "wrong secret: hello refused (%s)", e.c.err);

    /* Destroying the sandbox ends what its connected clients can do. */
    struct sim admin;
    Nsd__SandboxDestroy sd = NSD__SANDBOX_DESTROY__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    sd.name = sb;
    req.body_case = NSD__FRAME__BODY_SANDBOX_DESTROY;
    req.sandbox_destroy = &sd;
    sim_connect(&admin, addr, NULL, NULL);
    check(!sim_call(&admin, &req, NSD__FRAME__BODY_OK, NULL), "admin destroys the sandbox");
    sim_close(&admin);
    r = sim_lease(&other, ids.pid, 4, NULL);
    check(r == -ENOENT, "its clients' requests now fail with ENOENT (%s)", other.c.err);
    check(sim_lookup(&other, ids.pid, NULL, 0) == -ESRCH, "and its processes are gone");
    sim_close(&a);
    sim_close(&b);
    sim_close(&c2);
    sim_close(&other);
}

/* ---- process groups and sessions ------------------------------------------------ */

static void mode_pgrp(void)
{
    char sb[64];
    uint8_t secret[NSD_SECRET_LEN];
    new_sandbox(sb, sizeof sb, secret);
    struct sim sh, c1, c2, g1;
    Nsd__Ids ids;
    Nsd__PidRange rng;
    sim_connect(&sh, addr, sb, secret);
    sim_register(&sh, 0, 0, 16, &ids, &rng);
    uint32_t shell = ids.pid, p1 = rng.lo, p2 = rng.lo + 1;
    sim_connect(&c1, addr, sb, secret);
    sim_connect(&c2, addr, sb, secret);
    check(!sim_register(&c1, p1, shell, 4, &ids, NULL), "child 1 registers");
    check(!sim_register(&c2, p2, shell, 4, NULL, NULL), "child 2 registers");

    check(sim_setsid(&sh, shell, NULL) == -EPERM, "setsid by a group leader: EPERM");
    check(sim_setpgid(&sh, shell, shell, 0, NULL) == -EPERM, "setpgid of a session leader: EPERM");
    int r = sim_setpgid(&sh, shell, p1, 0, &ids);
    check(!r && ids.pgid == p1, "parent puts child 1 in a new group %u", p1);
    r = sim_setpgid(&c2, p2, 0, p1, &ids);
    check(!r && ids.pgid == p1, "child 2 joins group %u itself", p1);
    check(sim_setpgid(&c2, p2, 0, 4242, NULL) == -EPERM, "joining a group that does not exist: EPERM");
    check(sim_setpgid(&c1, p1, p2, 0, NULL) == -ESRCH, "setpgid of a sibling: ESRCH");
    check(sim_members(&sh, p1, 0, 0) == 2, "group %u has 2 members", p1);
    check(sim_members(&sh, 0, shell, 0) == 3, "session %u has 3 members", shell);

    /* A grandchild makes its own session; then it cannot be moved back. */
    Nsd__PidRange r1;
    sim_lease(&c1, p1, 4, &r1);
    sim_connect(&g1, addr, sb, secret);
    check(!sim_register(&g1, r1.lo, p1, 0, NULL, NULL), "grandchild registers from child 1's lease");
    r = sim_setsid(&g1, r1.lo, &ids);
    check(!r && ids.sid == r1.lo && ids.pgid == r1.lo, "grandchild setsid");
    check(sim_setpgid(&c1, p1, r1.lo, p1, NULL) == -EPERM, "child in another session: EPERM");
    check(sim_setpgid(&g1, r1.lo, 0, p1, NULL) == -EPERM, "a group of another session: EPERM");
    check(sim_members(&sh, 0, r1.lo, 0) == 1, "new session has 1 member");
    check(sim_setsid(&c1, p1, NULL) == -EPERM, "child 1 leads group %u: setsid EPERM", p1);
    r = sim_setsid(&c2, p2, &ids);
    check(!r && ids.sid == p2, "child 2 (not a leader) setsid works");
    check(sim_members(&sh, p1, 0, 0) == 1, "group %u has 1 member left", p1);

    /* After an execve (the owner registers again) its parent may not move
     * it (EACCES), nor one it saw exec (execed) that nsd does not know of;
     * it may move itself. */
    check(!sim_register(&c1, p1, shell, 0, NULL, NULL), "child 1 registers again after an execve");
    check(sim_setpgid(&sh, shell, p1, shell, NULL) == -EACCES, "setpgid of an exec'd child: EACCES");
    check(!sim_setpgid(&c1, p1, 0, 0, NULL), "the exec'd child moves itself");
    struct sim c3;
    uint32_t p3 = rng.lo + 2;
    sim_connect(&c3, addr, sb, secret);
    check(!sim_register(&c3, p3, shell, 0, NULL, NULL), "child 3 registers");
    check(sim_setpgid_execed(&sh, shell, p3, 0, true, NULL) == -EACCES, "setpgid of a child seen exec'd: EACCES");
    check(sim_setpgid_execed(&sh, shell, p3, 0, false, NULL) == 0, "the same child not seen so: moved");
    check(sim_setpgid_execed(&sh, shell, 4242, 0, true, NULL) == -ESRCH, "not a child: ESRCH first");
    sim_close(&c3);
    sim_close(&sh);
    sim_close(&c1);
    sim_close(&c2);
    sim_close(&g1);
}

/* ---- races: clients forked into one sandbox, reporting over a pipe ------------ */

struct race {
    char sb[64];
    uint8_t secret[NSD_SECRET_LEN];
    int n;              /* requests per client */
    int64_t base;       /* SysV: the first key */
};

/* Forks nproc clients, each exiting with client(race, i, fd); the lines they
 * write to fd come back to the caller as one stream. */
static FILE *fork_clients(int nproc, const struct race *race,
                          int (*client)(const struct race *race, int i, int fd))
{
    int pfd[2];
    if (pipe(pfd))
        abort();
    for (int i = 0; i < nproc; i++)
        if (fork() == 0)
            _exit(client(race, i, pfd[1]));
    close(pfd[1]);
    return fdopen(pfd[0], "r");
}

/* One line to the parent; a client that cannot report exits 3. */
static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
    char line[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (write(fd, line, n) != n)
        _exit(3);
}

/* ---- SysV keys ----------------------------------------------------------------- */

static int sysv_client(const struct race *race, int i, int fd)
{
    (void)i;
    struct sim s;
    sim_connect(&s, addr, race->sb, race->secret);
    if (sim_register(&s, 0, 0, 1, NULL, NULL))
        return 2;
    for (int k = 0; k < race->n; k++) {
        uint32_t id = 0;
        int created = 0;
        int r = sim_sysv_get(&s, s.pid, race->base + k, NSD__SYSV_KIND__SYSV_MSG,
                             NSD_IPC_CREAT | NSD_IPC_EXCL | 0600, &id, &created);
        report(fd, "%d %d %u\n", k, r, id);
    }
    return 0;
}

/* nproc clients race for the same keys with IPC_CREAT|IPC_EXCL. */
static void mode_sysv(int nproc, int nkeys)
{
    int64_t base = 0x5eed0000 + (getpid() & 0xfff) * 256;
    struct race race = { .n = nkeys, .base = base };
    new_sandbox(race.sb, sizeof race.sb, race.secret);
    FILE *f = fork_clients(nproc, &race, sysv_client);
    int *wins = calloc(nkeys, sizeof *wins), *eexist = calloc(nkeys, sizeof *eexist), other = 0;
    int k, r;
    unsigned id;
    while (fscanf(f, "%d %d %u", &k, &r, &id) == 3) {
        if (r == 0)
            wins[k]++;
        else if (r == -EEXIST)
            eexist[k]++;
        else
            other++;
    }
    fclose(f);
    while (wait(NULL) > 0)
        ;
    int exact = 1;
    for (k = 0; k < nkeys; k++)
        exact &= wins[k] == 1 && eexist[k] == nproc - 1;
    check(exact && !other, "%d clients x %d keys with IPC_CREAT|IPC_EXCL: exactly one winner per key", nproc, nkeys);

    struct sim s;
    uint32_t id1, id2, id3, idp1, idp2;
    int created;
    sim_connect(&s, addr, race.sb, race.secret);
    sim_register(&s, 0, 0, 1, NULL, NULL);
    int r0 = sim_sysv_get(&s, s.pid, base, NSD__SYSV_KIND__SYSV_MSG, NSD_IPC_CREAT, &id1, &created);
    check(!r0 && !created, "IPC_CREAT on an existing key returns it (id %u)", id1);
    check(sim_sysv_get(&s, s.pid, base + nkeys, NSD__SYSV_KIND__SYSV_MSG, 0, NULL, NULL) == -ENOENT,
          "missing key without IPC_CREAT: ENOENT");
    r0 = sim_sysv_get(&s, s.pid, base, NSD__SYSV_KIND__SYSV_SEM, NSD_IPC_CREAT, &id2, &created);
    /* ids are per kind, as Linux's: the set may have the queue's number */
    check(!r0 && created, "same key, other kind: a new semaphore set (id %u)", id2);
    r0 = sim_sysv_get(&s, s.pid, NSD_IPC_PRIVATE, NSD__SYSV_KIND__SYSV_MSG, 0, &idp1, NULL);
    r0 |= sim_sysv_get(&s, s.pid, NSD_IPC_PRIVATE, NSD__SYSV_KIND__SYSV_MSG, 0, &idp2, NULL);
    check(!r0 && idp1 != idp2, "IPC_PRIVATE always creates (%u, %u)", idp1, idp2);
    check(!sim_sysv_remove(&s, s.pid, id1), "remove id %u", id1);
    check(sim_sysv_remove(&s, s.pid, id1) == -EINVAL, "removing it again: EINVAL");
    r0 = sim_sysv_get(&s, s.pid, base, NSD__SYSV_KIND__SYSV_MSG, NSD_IPC_CREAT | NSD_IPC_EXCL, &id3, &created);
    check(!r0 && created && id3 != id1, "key can be created again after removal, with a new id %u", id3);
    check(sim_sysv_get(&s, s.pid, base, 7, NSD_IPC_CREAT, NULL, NULL) == -EINVAL, "unknown kind: EINVAL");
    sim_close(&s);
}

/* ---- concurrent range leasing --------------------------------------------------- */

struct span { uint32_t lo, hi; };

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int ranges_client(const struct race *race, int i, int fd)
{
    struct sim s;
    Nsd__Ids ids;
    Nsd__PidRange r;
    sim_connect(&s, addr, race->sb, race->secret);
    if (sim_register(&s, 0, 0, 4, &ids, &r))
        return 2;
    /* the pid itself and the rest of its first range */
    report(fd, "%u %u\n", ids.pid, r.hi);
    for (int k = 0; k < race->n; k++) {
        if (sim_lease(&s, s.pid, 1 + (k * 7 + i) % 32, &r))
            return 4;
        report(fd, "%u %u\n", r.lo, r.hi);
    }
    return 0;
}

static void mode_ranges(int nproc, int nlease)
{
    struct race race = { .n = nlease };
    new_sandbox(race.sb, sizeof race.sb, race.secret);
    FILE *f = fork_clients(nproc, &race, ranges_client);
    size_t cap = (size_t)nproc * (nlease + 1), n = 0;
    struct span *sp = calloc(cap + 1, sizeof *sp);
    while (n <= cap && fscanf(f, "%u %u", &sp[n].lo, &sp[n].hi) == 2)
        n++;
    fclose(f);
    int bad_exit = 0, st;
    while (wait(&st) > 0)
        bad_exit += !WIFEXITED(st) || WEXITSTATUS(st);
    check(!bad_exit && n == cap, "%d concurrent clients leased %d ranges each (%zu spans)", nproc, nlease, n);
    qsort(sp, n, sizeof *sp, cmp_span);
    int overlap = 0;
    for (size_t i = 1; i < n; i++)
        overlap += sp[i].lo <= sp[i - 1].hi;
    check(!overlap, "no two leased pid ranges overlap (%d overlaps)", overlap);
    free(sp);
}

/* ---- hostile input ------------------------------------------------------------------ */

static int raw_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", addr);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa))
        return -1;
    struct timeval tv = { 3, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads until EOF: 1 if the server closed the connection. */
static int closed_by_server(int fd)
{
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        ;
    close(fd);
    return r == 0;
}

static void send_raw(int fd, const void *p, size_t n)
{
    if (send(fd, p, n, MSG_NOSIGNAL) != (ssize_t)n)
        return;
}

static void send_body(int fd, const uint8_t *body, uint32_t len)
{
    uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };
    send_raw(fd, hdr, 4);
    send_raw(fd, body, len);
}

static void send_frame_raw(int fd, const Nsd__Frame *f)
{
    uint8_t buf[4096];
    size_t n = nsd__frame__pack(f, buf);
    send_body(fd, buf, n);
}

static void mode_bad(void)
{
    char sb[64], sb2[64];
    uint8_t secret[NSD_SECRET_LEN], secret2[NSD_SECRET_LEN];
    new_sandbox(sb, sizeof sb, secret);
    new_sandbox(sb2, sizeof sb2, secret2);
    /* A good client stays connected throughout and must keep being served. */
    struct sim good;
    sim_connect(&good, addr, sb, secret);
    sim_register(&good, 0, 0, 4, NULL, NULL);
    uint32_t gpid = good.pid;
    int fd, served = 1;
#define STILL_SERVED() (served &= sim_lookup(&good, gpid, NULL, 0) == 0)

    uint8_t junk[64];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = 0x80 | (i * 37);
    fd = raw_connect();
    send_body(fd, junk, sizeof junk);
    check(closed_by_server(fd) && STILL_SERVED(), "undecodable frame: connection closed, nsd serves others");

    fd = raw_connect();
    uint8_t huge[4] = { 0x7f, 0xff, 0xff, 0xff };
    send_raw(fd, huge, 4);
    check(closed_by_server(fd) && STILL_SERVED(), "oversized frame header: connection closed");

    fd = raw_connect();
    uint8_t trunc[6] = { 0, 0, 0, 100, 8, 1 };
    send_raw(fd, trunc, sizeof trunc);
    shutdown(fd, SHUT_WR);
    check(closed_by_server(fd) && STILL_SERVED(), "truncated frame then EOF: connection closed");

    Nsd__Frame f = NSD__FRAME__INIT;
    Nsd__Lookup lk = NSD__LOOKUP__INIT;
    f.req_id = 1;
    f.body_case = NSD__FRAME__BODY_LOOKUP;
    f.lookup = &lk;
    fd = raw_connect();
    send_frame_raw(fd, &f);
    check(closed_by_server(fd) && STILL_SERVED(), "request before hello (unauthenticated): closed");

    /* A frame whose only field is an unknown tag (field 100, varint). */
    uint8_t unknown[] = { 0x08, 0x05, 0xa0, 0x06, 0x01 };
    struct sim s;
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);   /* completes the hello */
    send_body(s.px.fd, unknown, sizeof unknown);
    check(closed_by_server(s.px.fd) && STILL_SERVED(), "unknown message type: closed");

    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    Nsd__Ps ps = NSD__PS__INIT;
    Nsd__SandboxCreate sc = NSD__SANDBOX_CREATE__INIT;
    sc.name = "evil";
    f.body_case = NSD__FRAME__BODY_SANDBOX_CREATE;
    f.sandbox_create = &sc;
    send_frame_raw(s.px.fd, &f);
    check(closed_by_server(s.px.fd) && STILL_SERVED(), "admin request from a picoprocess: closed");

    /* A node's word (a forwarded client's death) is never a client's: its
     * own processes are not made lost by it. */
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    uint32_t spid = s.pid;
    Nsd__PeerGone pg = NSD__PEER_GONE__INIT;
    f.body_case = NSD__FRAME__BODY_PEER_GONE;
    f.peer_gone = &pg;
    send_frame_raw(s.px.fd, &f);
    char pst[16] = "";
    check(closed_by_server(s.px.fd) && STILL_SERVED() && !sim_lookup(&good, spid, pst, sizeof pst) &&
          strcmp(pst, "lost"), "PeerGone from a picoprocess: closed, its process not taken for lost (%s)", pst);
    /* Nor are a follower's HostReport and the leader's HostSignal. */
    Nsd__HostEnd he = NSD__HOST_END__INIT, *hep = &he;
    Nsd__HostReport hr = NSD__HOST_REPORT__INIT;
    he.sandbox = 1;
    he.pid = good.pid;
    he.host_pid = getpid();
    hr.host = "elsewhere";
    hr.n_ends = 1;
    hr.ends = &hep;
    Nsd__HostSignal hs = NSD__HOST_SIGNAL__INIT;
    hs.host_pid = getpid();
    hs.sig = SIGKILL;
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    f.body_case = NSD__FRAME__BODY_HOST_REPORT;
    f.host_report = &hr;
    send_frame_raw(s.px.fd, &f);
    int hr_closed = closed_by_server(s.px.fd);
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    f.body_case = NSD__FRAME__BODY_HOST_SIGNAL;
    f.host_signal = &hs;
    send_frame_raw(s.px.fd, &f);
    check(hr_closed && closed_by_server(s.px.fd) && STILL_SERVED(),
          "HostReport and HostSignal from a picoprocess: closed, nothing done (we live)");

    /* The secret of another sandbox is never for a picoprocess. */
    Nsd__SandboxJoin sj = NSD__SANDBOX_JOIN__INIT;
    sj.name = sb2;
    f.body_case = NSD__FRAME__BODY_SANDBOX_JOIN;
    f.sandbox_join = &sj;
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    send_frame_raw(s.px.fd, &f);
    int refused = closed_by_server(s.px.fd);
    sj.name = sb;
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    send_frame_raw(s.px.fd, &f);
    check(refused && closed_by_server(s.px.fd) && STILL_SERVED(),
          "SandboxJoin (a sandbox's secret) from a picoprocess, of another sandbox or its own: closed");

    Nsd__Ok ok = NSD__OK__INIT;
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    f.body_case = NSD__FRAME__BODY_OK;
    f.ok = &ok;
    send_frame_raw(s.px.fd, &f);
    check(closed_by_server(s.px.fd) && STILL_SERVED(), "reply-only message type sent as a request: closed");

    /* SysvMemfd: nsd takes only a memfd of the peer itself (the fd numbers
     * are this client's); any other fd closes that connection only. */
    Nsd__SysvMemfd smf = NSD__SYSV_MEMFD__INIT;
    f.body_case = NSD__FRAME__BODY_SYSV_MEMFD;
    f.sysv_memfd = &smf;
    smf.offer = 1;
    int devnull = open("/dev/null", O_RDONLY);
    const int badfds[] = { devnull, 1000000, -1 };
    const char *bad_why[] = { "a file that is no memfd", "a number that is no open fd", "a negative fd" };
    for (int i = 0; i < 3; i++) {
        sim_connect(&s, addr, sb, secret);
        sim_register(&s, 0, 0, 0, NULL, NULL);
        smf.fd = badfds[i];
        send_frame_raw(s.px.fd, &f);
        check(closed_by_server(s.px.fd) && STILL_SERVED(), "SysvMemfd offer of %s: closed", bad_why[i]);
    }
    close(devnull);
    sim_connect(&s, addr, sb, secret);
    sim_register(&s, 0, 0, 0, NULL, NULL);
    smf.offer = 0;
    check(sim_call(&s, &f, NSD__FRAME__BODY_OK, NULL) == -ENOENT && STILL_SERVED(),
          "SysvMemfd request before any offer: ENOENT, still served");
    smf.offer = 1;
    smf.fd = memfd_create("t", MFD_CLOEXEC);
    check(!sim_call(&s, &f, NSD__FRAME__BODY_OK, NULL), "SysvMemfd offer of a memfd: taken");
    check(sim_call(&s, &f, NSD__FRAME__BODY_OK, NULL) == -EEXIST, "a second offer: EEXIST");
    close(smf.fd);

    /* The secret of sandbox 2 does not authenticate for sandbox 1, and a
     * picoprocess of sandbox 2 sees nothing of sandbox 1. */
    struct sim x;
    sim_connect(&x, addr, sb, secret2);
    x.c.retry_ms = 0;
    check(sim_register(&x, 0, 0, 0, NULL, NULL) == -EACCES && STILL_SERVED(),
          "hello for sandbox 1 with sandbox 2's secret: refused");
    sim_connect(&x, addr, sb2, secret2);
    check(!sim_register(&x, 0, 0, 0, NULL, NULL), "sandbox 2 process registers");
    Nsd__Ids ids;
    check(sim_lookup(&x, gpid + 1, NULL, 0) == -ESRCH || gpid + 1 == x.pid, "sandbox 2 cannot see sandbox 1's pids");
    check(sim_setpgid(&x, gpid, gpid, 0, &ids) == -EPERM, "acting as another sandbox's process: EPERM");
    Nsd__SysvMemfd ask = NSD__SYSV_MEMFD__INIT;
    f.body_case = NSD__FRAME__BODY_SYSV_MEMFD;
    f.sysv_memfd = &ask;
    check(sim_call(&x, &f, NSD__FRAME__BODY_OK, NULL) == -ENOENT,
          "sandbox 2 asking for SysV memory gets none (sandbox 1's is not its own)");
    ps.sandbox = sb;
    f.body_case = NSD__FRAME__BODY_PS;
    f.ps = &ps;
    Nsd__Frame *rep;
    int visible = -1;
    if (!sim_call(&x, &f, NSD__FRAME__BODY_PROC_LIST, &rep)) {
        visible = 0;
        for (size_t i = 0; i < rep->proc_list->n_procs; i++)
            visible += !strcmp(rep->proc_list->procs[i]->sandbox, sb);
        nsdc_free(&x.c, rep);
    }
    check(visible == 0, "ps from sandbox 2 naming sandbox 1 shows none of it");
    check(STILL_SERVED(), "the good client was served throughout");
    sim_close(&x);
    sim_close(&good);
}

/* ---- hello tickets (a fork child's hello without a round trip) ------------------------ */

/* Reads one frame from fd: NULL on EOF or garbage. */
static Nsd__Frame *read_frame_raw(int fd)
{
    uint8_t hdr[4], buf[4096];
    if (read(fd, hdr, 4) != 4)
        return NULL;
    uint32_t len = nsdc_frame_len(hdr);
    size_t got = 0;
    while (len <= sizeof buf && got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r <= 0)
            return NULL;
        got += (size_t)r;
    }
    return len <= sizeof buf ? nsd__frame__unpack(NULL, len, buf) : NULL;
}

/* A raw hello over nonce[0..len) as a ticket, its MAC keyed with key, sent
 * before the server hello is read: the body case of nsd's answer (HelloOk
 * or Error); *fresh says whether a HelloOk carried a new ticket. */
static int ticket_hello(const char *sb, const uint8_t *key, const uint8_t *nonce, size_t len, int *fresh)
{
    int fd = raw_connect();
    uint8_t cid[NSD_CLIENT_ID_LEN], in[NSD_MAC_INPUT_MAX], mac[NSD_MAC_LEN] = { 0 };
    randombytes_buf(cid, sizeof cid);
    if (len == NSD_NONCE_LEN)
        crypto_auth(mac, in, nsdc_mac_input(in, nonce, cid, sb), key);
    Nsd__Hello h = NSD__HELLO__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    h.version = NSD_PROTO_VERSION;
    h.role = NSD__ROLE__ROLE_PICO;
    h.sandbox = (char *)sb;
    h.client_id.data = cid;
    h.client_id.len = sizeof cid;
    h.mac.data = mac;
    h.mac.len = sizeof mac;
    h.ticket.data = (uint8_t *)nonce;
    h.ticket.len = len;
    f.body_case = NSD__FRAME__BODY_HELLO;
    f.hello = &h;
    send_frame_raw(fd, &f);
    int body = -1;
    Nsd__Frame *r;
    while (body < 0 && (r = read_frame_raw(fd))) {
        if (r->body_case != NSD__FRAME__BODY_SERVER_HELLO) {
            body = r->body_case;
            if (fresh)
                *fresh = body == NSD__FRAME__BODY_HELLO_OK && r->hello_ok->ticket.len == NSD_NONCE_LEN &&
                         memcmp(r->hello_ok->ticket.data, nonce, NSD_NONCE_LEN);
        }
        nsd__frame__free_unpacked(r, NULL);
    }
    close(fd);
    return body;
}

static void mode_ticket(void)
{
    char sb[64], sb2[64];
    uint8_t secret[NSD_SECRET_LEN], secret2[NSD_SECRET_LEN], t[NSD_NONCE_LEN], made_up[NSD_NONCE_LEN];
    new_sandbox(sb, sizeof sb, secret);
    new_sandbox(sb2, sizeof sb2, secret2);
    struct sim a;
    sim_connect(&a, addr, sb, secret);
    sim_register(&a, 0, 0, 4, NULL, NULL);
    Nsd__Ticket tk = NSD__TICKET__INIT;
    Nsd__Frame f = NSD__FRAME__INIT, *rep = NULL;
    f.body_case = NSD__FRAME__BODY_TICKET;
    f.ticket = &tk;
    int got = !sim_call(&a, &f, NSD__FRAME__BODY_TICKET, &rep) && rep->ticket->nonce.len == NSD_NONCE_LEN;
    if (got)
        memcpy(t, rep->ticket->nonce.data, sizeof t);
    nsdc_free(&a.c, rep);
    check(got, "a picoprocess gets a ticket");
    const int ok = NSD__FRAME__BODY_HELLO_OK, refused = NSD__FRAME__BODY_ERROR;
    check(ticket_hello(sb, secret2, t, sizeof t, NULL) == refused, "the ticket with a MAC of another key: refused");
    check(ticket_hello(sb2, secret2, t, sizeof t, NULL) == refused,
          "the ticket in a hello for another sandbox (its own secret): refused");
    check(ticket_hello(sb, secret, t, 5, NULL) == refused, "a ticket of the wrong size: refused");
    int fresh = 0;
    check(ticket_hello(sb, secret, t, sizeof t, &fresh) == ok && fresh,
          "the ticket with its sandbox's MAC, sent before the server hello: accepted (the refusals did not use "
          "it up), and the HelloOk carries a new one");
    check(ticket_hello(sb, secret, t, sizeof t, NULL) == refused, "the same ticket again: refused (one use)");
    randombytes_buf(made_up, sizeof made_up);
    check(ticket_hello(sb, secret, made_up, sizeof made_up, NULL) == refused, "a made-up ticket: refused");
    /* The client core: a refused ticket, then the ordinary hello by itself. */
    struct sim b;
    sim_connect(&b, addr, sb, secret);
    int r = b.px.ops.connect(b.px.ops.ctx);
    check(!r && !nsdc_hello_ticket(&b.c, t) && !sim_register(&b, 0, 0, 0, NULL, NULL),
          "nsdc with a used ticket says hello again the ordinary way and registers");
    check(sim_lookup(&a, a.pid, NULL, 0) == 0, "nsd serves the first client throughout");
    sim_close(&b);
    sim_close(&a);
}

/* ---- mutations sent back to back ----------------------------------------------------- */

static Nsd__Frame__BodyCase pushed[8];
static int npushed;

static void note_push(struct nsdc *c, const Nsd__Frame *f, void *arg)
{
    (void)c;
    (void)arg;
    if (npushed < 8)
        pushed[npushed++] = f->body_case;
}

/* Mutations a client sends without waiting, which nsd (stopped meanwhile:
 * they are all read at once) takes into one batch behind each other: each
 * is applied in order, a refused one does not stop the next, the replies
 * come in order, and a read behind them sees them all. */
static void mode_pipeline(pid_t nsd)
{
    char sb[64], st[16];
    uint8_t secret[NSD_SECRET_LEN];
    new_sandbox(sb, sizeof sb, secret);
    struct sim a, b;
    Nsd__Ids ids;
    Nsd__PidRange rng;
    sim_connect(&a, addr, sb, secret);
    sim_connect(&b, addr, sb, secret);
    check(!sim_register(&a, 0, 0, 8, &ids, &rng) && !sim_register(&b, rng.lo, ids.pid, 0, &ids, NULL),
          "a process and its child register");
    uint32_t root = rng.lo - 1, child = ids.pid;
    b.c.on_push = note_push;
    Nsd__SetPgid sp = NSD__SET_PGID__INIT;
    Nsd__Exit bad = NSD__EXIT__INIT, ex = NSD__EXIT__INIT;
    sp.caller = sp.pid = child;
    bad.pid = 999;
    ex.pid = child;
    ex.status = 7 << 8;
    Nsd__Frame f1 = NSD__FRAME__INIT, f2 = NSD__FRAME__INIT, f3 = NSD__FRAME__INIT;
    f1.body_case = NSD__FRAME__BODY_SETPGID;
    f1.setpgid = &sp;
    f2.body_case = f3.body_case = NSD__FRAME__BODY_EXIT;
    f2.exit = &bad;
    f3.exit = &ex;
    int sent = !kill(nsd, SIGSTOP);
    sent = sent && !nsdc_send(&b.c, &f1) && !nsdc_send(&b.c, &f2) && !nsdc_send(&b.c, &f3);
    kill(nsd, SIGCONT);
    check(sent, "setpgid, an exit of a pid not ours and the child's exit, sent at once");
    check(!sim_lookup(&b, child, st, sizeof st) && !strcmp(st, "zombie"),
          "a lookup behind them on the same connection sees the exit (%s)", st);
    check(npushed == 3 && pushed[0] == NSD__FRAME__BODY_IDS && pushed[1] == NSD__FRAME__BODY_ERROR &&
              pushed[2] == NSD__FRAME__BODY_OK,
          "answered in order: ids, the refusal, ok (%d replies)", npushed);
    Nsd__Lookup l = NSD__LOOKUP__INIT;
    Nsd__Frame q = NSD__FRAME__INIT, *rep = NULL;
    l.pid = child;
    q.body_case = NSD__FRAME__BODY_LOOKUP;
    q.lookup = &l;
    check(!sim_call(&a, &q, NSD__FRAME__BODY_PROC, &rep) && rep->proc->pgid == child && rep->proc->status == 7 << 8,
          "the setpgid was applied, and the exit's status");
    nsdc_free(&a.c, rep);
    check(!sim_reap(&a, root, child), "the parent reaps");
    /* A fork's pair: a mutation not awaited, which waits in a lazy batch,
     * and a Ticket behind it, which reads nothing the batch writes. */
    Nsd__LeaseRange lr = NSD__LEASE_RANGE__INIT;
    Nsd__Ticket tk = NSD__TICKET__INIT;
    Nsd__Frame f4 = NSD__FRAME__INIT, f5 = NSD__FRAME__INIT;
    lr.caller = root;
    f4.body_case = NSD__FRAME__BODY_LEASE_RANGE;
    f4.lease_range = &lr;
    f4.nowait = 1;
    f5.body_case = NSD__FRAME__BODY_TICKET;
    f5.ticket = &tk;
    a.c.on_push = note_push;
    npushed = 0;
    sent = !kill(nsd, SIGSTOP);
    sent = sent && !nsdc_send(&a.c, &f4) && !nsdc_send(&a.c, &f5);
    kill(nsd, SIGCONT);
    sent = sent && !nsdc_flush(&a.c);
    check(sent && npushed == 2 && pushed[0] == NSD__FRAME__BODY_TICKET &&
              pushed[1] == NSD__FRAME__BODY_RANGE,
          "a Ticket behind a lease not awaited is answered first, the lease after its commit (%d replies)",
          npushed);
    sim_close(&b);
    sim_close(&a);
}

/* ---- load for crash and failover tests ------------------------------------------------ */

static volatile sig_atomic_t load_stop;

static void load_term(int sig)
{
    (void)sig;
    load_stop = 1;
}

/* A load keeps at most this many of its queues: a sandbox has 32768 queue
 * ids (Linux's index space), and a fast machine under a long fault test
 * used them all. */
#define LOAD_KEEP 4096

/*
 * One picoprocess creating n IPC_PRIVATE queues (pausing pause_ms after each),
 * removing its oldest first once it holds LOAD_KEEP. Every acknowledged op is
 * written to `log` ("seq id" for a creation, "seq -id" for a removal) before
 * the next is sent. Prints the longest gap
 * between two acknowledgements (the unavailability seen by this client).
 * SIGTERM ends it after the op in flight, with status 0.
 */
static int mode_load(const char *sbname, const char *hexsecret, int n, const char *log, int pause_ms)
{
    uint8_t secret[NSD_SECRET_LEN];
    if (nsd_unhex(secret, sizeof secret, hexsecret))
        return 2;
    FILE *out = fopen(log, "w");
    if (!out)
        return 2;
    setvbuf(out, NULL, _IOLBF, 0);
    struct sim s;
    sim_connect(&s, addr, sbname, secret);
    int r = sim_register(&s, 0, 0, 1, NULL, NULL);
    if (r) {
        fprintf(stderr, "load: register: %s (%s)\n", strerror(-r), s.c.err);
        return 1;
    }
    fprintf(out, "pid %u client ", s.pid);
    for (size_t i = 0; i < NSD_CLIENT_ID_LEN; i++)
        fprintf(out, "%02x", s.c.client_id[i]);
    fprintf(out, "\n");
    int64_t last = sim_now_us(), gap = 0;
    signal(SIGTERM, load_term);
    static uint32_t kept[LOAD_KEEP];
    for (int i = 0; i < n && !load_stop; i++) {
        uint32_t id, *slot = &kept[i % LOAD_KEEP];
        if (i >= LOAD_KEEP) {
            r = sim_sysv_remove(&s, s.pid, *slot);
            if (r) {
                fprintf(stderr, "load: removal %d: %s (%s)\n", i, strerror(-r), s.c.err);
                return 1;
            }
            fprintf(out, "%llu -%u\n", (unsigned long long)s.c.seq, *slot);
        }
        r = sim_sysv_get(&s, s.pid, NSD_IPC_PRIVATE, NSD__SYSV_KIND__SYSV_MSG, 0, &id, NULL);
        if (r) {
            fprintf(stderr, "load: op %d: %s (%s)\n", i, strerror(-r), s.c.err);
            return 1;
        }
        int64_t now = sim_now_us();
        if (now - last > gap)
            gap = now - last;
        last = now;
        *slot = id;
        fprintf(out, "%llu %u\n", (unsigned long long)s.c.seq, id);
        if (pause_ms)
            usleep(pause_ms * 1000);
    }
    fclose(out);
    printf("max_gap_ms %.1f\n", gap / 1000.0);
    return 0;
}

/* Holds what the caller made until the test closes our stdin. */
static void await_stdin_eof(void)
{
    char buf[64];
    while (read(0, buf, sizeof buf) > 0)
        ;
}

/* Registers a small process tree with groups and SysV objects, prints
 * "ready", and keeps it until stdin closes (for graphenectl views). */
static int mode_hold(const char *sbname, const char *hexsecret)
{
    uint8_t secret[NSD_SECRET_LEN];
    if (nsd_unhex(secret, sizeof secret, hexsecret))
        return 2;
    struct sim root, kid;
    Nsd__Ids ids;
    Nsd__PidRange rng;
    sim_connect(&root, addr, sbname, secret);
    sim_connect(&kid, addr, sbname, secret);
    if (sim_register(&root, 0, 0, 8, &ids, &rng) || sim_register(&kid, rng.lo, ids.pid, 4, NULL, NULL) ||
        sim_setpgid(&kid, kid.pid, 0, 0, NULL) ||
        sim_sysv_get(&root, root.pid, 0x1234, NSD__SYSV_KIND__SYSV_MSG, NSD_IPC_CREAT | 0640, NULL, NULL) ||
        sim_sysv_get(&kid, kid.pid, 0x5678, NSD__SYSV_KIND__SYSV_SEM, NSD_IPC_CREAT | 0600, NULL, NULL))
        return 1;
    printf("ready %u %u\n", root.pid, kid.pid);
    fflush(stdout);
    await_stdin_eof();
    return 0;
}

/* many N LEN: registers N processes (a connection each) whose command
 * lines are LEN bytes long, more than one frame holds; prints their pids
 * and "ready" with the count of their sandbox's Members (all), and keeps
 * them until stdin closes (for paged ps and /proc listings). */
static int mode_many(const char *sbname, const char *hexsecret, int n, int len)
{
    uint8_t secret[NSD_SECRET_LEN];
    if (nsd_unhex(secret, sizeof secret, hexsecret) || n < 1 || len < 1)
        return 2;
    struct sim *s = calloc(n, sizeof *s);
    sim_arg = malloc(len + 1);
    if (!s || !sim_arg)
        return 2;
    memset(sim_arg, 'x', len);
    sim_arg[len] = 0;
    for (int i = 0; i < n; i++) {
        sim_connect(&s[i], addr, sbname, secret);
        int r = sim_register(&s[i], 0, 0, 1, NULL, NULL);
        if (r) {
            fprintf(stderr, "many: register %d: %s (%s)\n", i, strerror(-r), s[i].c.err);
            return 1;
        }
        printf("%u\n", s[i].pid);
    }
    printf("ready %d\n", sim_members(&s[0], 0, 0, 1));
    fflush(stdout);
    await_stdin_eof();
    return 0;
}

/* mark KEY: creates a SysV queue of that key and prints its id. lookup
 * KEY: prints the id of the queue of that key, as this node answers the
 * SysvLookup (status 1 and the error if it knows none). */
static int mode_mark(const char *sbname, const char *hexsecret, int64_t key, int lookup)
{
    uint8_t secret[NSD_SECRET_LEN];
    struct sim s;
    uint32_t id = 0;
    int r;
    if (nsd_unhex(secret, sizeof secret, hexsecret))
        return 2;
    sim_connect(&s, addr, sbname, secret);
    /* The tests park a lookup at a stopped or cut-off node and resume it
     * later, and mark right after a group's disks have space again: on a
     * loaded machine either took more than the usual 15 s. */
    s.c.retry_ms = 60000;
    if (lookup) {
        r = sim_sysv_lookup(&s, key, NSD__SYSV_KIND__SYSV_MSG, &id);
    } else {
        r = sim_register(&s, 0, 0, 1, NULL, NULL);
        if (!r)
            r = sim_sysv_get(&s, s.pid, key, NSD__SYSV_KIND__SYSV_MSG, NSD_IPC_CREAT | 0600, &id, NULL);
    }
    if (r) {
        printf("%s\n", strerror(-r));
        return 1;
    }
    printf("%u\n", id);
    sim_close(&s);
    return 0;
}

/* ---- the stream relay (StreamConnect) ------------------------------------------ */

/* listen SB SECRET NAME: a host process listening at the abstract name of
 * NAME (a NUL, then NAME), as a picoprocess's RPC listener does
 * (libos/rpc.c); with SB not "-", a simulated picoprocess of SB registered
 * with stream address NAME (SIM_STREAM and SIM_HOST_PID may lie about its
 * address and host pid).
 * Prints "ready PID" (its sandbox pid; 0 unregistered); then for each line
 * on stdin takes the connections that came (without waiting) and prints
 * how many came so far and what they sent ("-": nothing). */
static int mode_listen(const char *sbname, const char *hexsecret, const char *name)
{
    uint8_t secret[NSD_SECRET_LEN];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(name);
    if (n + 1 > sizeof sa.sun_path || (strcmp(sbname, "-") && nsd_unhex(secret, sizeof secret, hexsecret)))
        return 2;
    memcpy(sa.sun_path + 1, name, n);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (bind(l, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) || listen(l, 8)) {
        perror("listen");
        return 1;
    }
    struct sim s = { .pid = 0 };
    if (strcmp(sbname, "-")) {
        setenv("SIM_STREAM", name, 0); /* (a set one: a record naming another socket) */
        sim_connect(&s, addr, sbname, secret);
        if (sim_register(&s, 0, 0, 1, NULL, NULL))
            return 1;
    }
    printf("ready %u\n", s.pid);
    fflush(stdout);
    int count = 0;
    char line[64], got[256] = "";
    while (fgets(line, sizeof line, stdin)) {
        for (int c; (c = accept(l, NULL, NULL)) >= 0; close(c)) {
            char buf[64];
            count++;
            ssize_t r = recv(c, buf, sizeof buf - 1, MSG_DONTWAIT);
            buf[r > 0 ? r : 0] = 0;
            buf[strcspn(buf, "\n")] = 0;
            snprintf(got + strlen(got), sizeof got - strlen(got), " %s", r > 0 ? buf : "-");
        }
        printf("%d%s\n", count, got);
        fflush(stdout);
    }
    return 0;
}

/* relay SB SECRET PID: a picoprocess of SB asks nsd for a connection to
 * the RPC listener of its pid PID and writes "hello" on what it gets.
 * Prints "passed" (then "hello" was written) or the errno's name. */
static int mode_relay(const char *sbname, const char *hexsecret, uint32_t pid)
{
    uint8_t secret[NSD_SECRET_LEN];
    if (nsd_unhex(secret, sizeof secret, hexsecret))
        return 2;
    struct sim s;
    sim_connect(&s, addr, sbname, secret);
    if (sim_register(&s, 0, 0, 1, NULL, NULL))
        return 1;
    Nsd__StreamConnect sc = NSD__STREAM_CONNECT__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    sc.pid = pid;
    f.req_id = 1000;
    f.body_case = NSD__FRAME__BODY_STREAM_CONNECT;
    f.stream_connect = &sc;
    send_frame_raw(s.px.fd, &f);
    /* The fd comes with the reply's first bytes. */
    uint8_t hdr[4], body[4096];
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
    struct iovec iov = { hdr, sizeof hdr };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof u.b };
    int passed = -1;
    if (recvmsg(s.px.fd, &mh, MSG_WAITALL) != 4)
        return 1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&passed, CMSG_DATA(cm), sizeof passed);
    uint32_t len = nsdc_frame_len(hdr);
    if (len > sizeof body || recv(s.px.fd, body, len, MSG_WAITALL) != (ssize_t)len)
        return 1;
    Nsd__Frame *rep = nsd__frame__unpack(NULL, len, body);
    if (!rep)
        return 1;
    if (rep->body_case == NSD__FRAME__BODY_OK && passed >= 0 && write(passed, "hello\n", 6) == 6)
        printf("passed\n");
    else if (rep->body_case == NSD__FRAME__BODY_ERROR)
        printf("%s\n", strerrorname_np(rep->error->errnum));
    else
        printf("no fd\n");
    nsd__frame__free_unpacked(rep, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: nsd_testclient ADDR basic|pgrp|sysv|ranges|bad|ticket|pipeline NSD_PID|hold SB SECRET|mark|lookup SB SECRET KEY|load SB SECRET N LOG [PAUSE_MS]|many SB SECRET N LEN|listen SB SECRET NAME|relay SB SECRET PID\n");
        return 2;
    }
    addr = argv[1];
    const char *m = argv[2];
    signal(SIGPIPE, SIG_IGN);
    if (!strcmp(m, "basic"))
        mode_basic();
    else if (!strcmp(m, "pgrp"))
        mode_pgrp();
    else if (!strcmp(m, "sysv"))
        mode_sysv(argc > 3 ? atoi(argv[3]) : 8, argc > 4 ? atoi(argv[4]) : 50);
    else if (!strcmp(m, "ranges"))
        mode_ranges(argc > 3 ? atoi(argv[3]) : 50, argc > 4 ? atoi(argv[4]) : 20);
    else if (!strcmp(m, "bad"))
        mode_bad();
    else if (!strcmp(m, "ticket"))
        mode_ticket();
    else if (!strcmp(m, "pipeline") && argc == 4)
        mode_pipeline(atoi(argv[3]));
    else if (!strcmp(m, "hold") && argc == 5)
        return mode_hold(argv[3], argv[4]);
    else if ((!strcmp(m, "mark") || !strcmp(m, "lookup")) && argc == 6)
        return mode_mark(argv[3], argv[4], strtoll(argv[5], NULL, 0), !strcmp(m, "lookup"));
    else if (!strcmp(m, "load") && (argc == 7 || argc == 8))
        return mode_load(argv[3], argv[4], atoi(argv[5]), argv[6], argc == 8 ? atoi(argv[7]) : 0);
    else if (!strcmp(m, "many") && argc == 7)
        return mode_many(argv[3], argv[4], atoi(argv[5]), atoi(argv[6]));
    else if (!strcmp(m, "listen") && argc == 6)
        return mode_listen(argv[3], argv[4], argv[5]);
    else if (!strcmp(m, "relay") && argc == 6)
        return mode_relay(argv[3], argv[4], (uint32_t)atoi(argv[5]));
    else {
        fprintf(stderr, "nsd_testclient: unknown mode %s\n", m);
        return 2;
    }
    return failures ? 1 : 0;
}
