/* nsd reads a queue's counts for `ns show` from a sandbox's SysV memory,
 * which the sandbox can write anything into (nsd/sysv.c sysv_count): first
 * a well-formed memory is counted right, then random layouts, slot bytes
 * and sizes are read (built with ASan/UBSan: no crash, no out-of-bounds
 * access), and a good memory is still counted right after. Before that, a
 * node that lost its dup (a new leader) takes the memory again from a
 * process of the sandbox (this one), by its tag: not a forged memfd of the
 * same name, and not for another sandbox that names this process.
 * Usage: nsd_sysv_count ROUNDS SEED */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sysv.h"
#include "../libos/include/sysv_layout.h"

static int failures;
static void check(int cond, const char *what)
{
    printf("%s - %s\n", cond ? "ok" : "not ok", what);
    failures += !cond;
}

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

/* A random value, often one at or next to a bound. */
static uint64_t edgy(uint64_t typical)
{
    switch (rnd() % 6) {
    case 0: return 0;
    case 1: return UINT64_MAX - rnd() % 16;
    case 2: return UINT32_MAX - rnd() % 16;
    case 3: return typical + rnd() % 16 - 8;
    case 4: return (uint64_t)INT64_MAX - rnd() % 16;
    default: return rnd();
    }
}

#define STRIDE 256
#define SLOTS 8
#define OFF 4096
#define SIZE (OFF + SLOTS * STRIDE)

static void put_slot(int fd, int i, int32_t id, uint32_t live, uint64_t qnum, uint64_t cbytes)
{
    uint8_t s[STRIDE] = { 0 };
    memcpy(s + 20, &id, 4);
    memcpy(s + 24, &live, 4);
    memcpy(s + 40, &qnum, 8);
    memcpy(s + 48, &cbytes, 8);
    pwrite(fd, s, sizeof s, OFF + i * STRIDE);
}

static int counted(uint32_t sb, uint32_t id, uint64_t *msgs, uint64_t *bytes)
{
    Nsd__SysvObj o = NSD__SYSV_OBJ__INIT;
    o.kind = NSD__SYSV_KIND__SYSV_MSG;
    o.id = id;
    sysv_count(sb, &o);
    *msgs = o.messages;
    *bytes = o.bytes;
    return o.counted;
}

int main(int argc, char **argv)
{
    long rounds = argc > 1 ? atol(argv[1]) : 20000;
    rng = argc > 2 ? strtoull(argv[2], NULL, 0) | 1 : 1;
    struct journal j;
    char db[] = "/tmp/nsd-sysv-count.XXXXXX";
    int dbfd = mkstemp(db);
    check(dbfd >= 0 && journal_open(&j, db, JOURNAL_SYNC_OFF) == 0, "a journal");
    for (int sb = 1; sb <= 2; sb++) {
        uint8_t secret[32];
        memset(secret, sb, sizeof secret);
        jexec(&j, "INSERT INTO sandboxes(id, name, secret, created_ms) VALUES(?, ?, ?, 0)", "isb",
              (int64_t)sb, sb == 1 ? "one" : "two", secret, (int)sizeof secret);
        /* both sandboxes name this process as theirs */
        jexec(&j, "INSERT INTO procs(sandbox, pid, ppid, pgid, sid, state, host, host_pid, client)"
                  " VALUES(?, 1, 0, 1, 1, 'live', 'localhost', ?, 'c')", "ii", (int64_t)sb, (int64_t)getpid());
    }
    /* a memfd of the libos's name with a good header and a wrong tag */
    int forged = memfd_create("graphene-sysv", MFD_CLOEXEC);
    int fd = memfd_create("graphene-sysv", MFD_CLOEXEC);
    uint8_t zeros[SYSV_TAG_LEN] = { 0 }, tag[SYSV_TAG_LEN];
    uint32_t magic = SYSV_MAGIC;
    struct sysv_layout good = { OFF, STRIDE, SLOTS, 20, 24, 40, 48 };
    ftruncate(fd, SIZE);
    pwrite(fd, &magic, 4, 0);
    pwrite(fd, &good, sizeof good, SYSV_LAYOUT_OFF);
    put_slot(fd, 3, 3 | 2 << 15, 1, 5, 77);
    put_slot(fd, 4, 4, 0, 9, 9);
    ftruncate(forged, SIZE);
    pwrite(forged, &magic, 4, 0);
    pwrite(forged, &good, sizeof good, SYSV_LAYOUT_OFF);
    check(sysv_memfd_get(&j, 1, "localhost") < 0, "no memfd with the sandbox's tag: none taken");
    check(sysv_memfd_take(&j, 1, getpid(), fd) == 0, "nsd takes the memfd");
    check(pread(fd, tag, sizeof tag, SYSV_TAG_OFF) == sizeof tag && memcmp(tag, zeros, sizeof tag),
          "and writes the sandbox's tag into it");
    check(sysv_memfd_take(&j, 1, getpid(), fd) == -EEXIST, "one per sandbox");
    int dev_null = open("/dev/null", 0);
    check(sysv_memfd_take(&j, 2, getpid(), dev_null) == -EBADF, "a file that is no memfd is refused");
    pwrite(forged, tag, sizeof tag, SYSV_TAG_OFF - 1); /* near misses of the tag */
    sysv_forget(&j, 1, 0, -1); /* the dup is lost (as on a new leader) */
    check(sysv_memfd_of(1) < 0, "the node lost its dup");
    check(sysv_memfd_get(&j, 2, "localhost") < 0, "another sandbox naming the process gets no memfd of it");
    int again = sysv_memfd_get(&j, 1, "localhost");
    struct stat st1, st2;
    check(again >= 0 && fstat(again, &st1) == 0 && fstat(fd, &st2) == 0 && st1.st_ino == st2.st_ino &&
          sysv_memfd_of(1) == again, "the sandbox's memfd is taken again from its process, not the forged one");
    uint64_t m, b;
    check(counted(1, 3 | 2 << 15, &m, &b) && m == 5 && b == 77, "a live queue: its messages and bytes");
    check(!counted(1, 3 | 1 << 15, &m, &b), "another seq at that index: not counted");
    check(!counted(1, 4, &m, &b), "a slot that is not live: not counted");
    check(!counted(1, SLOTS, &m, &b), "an index past the slots: not counted");
    check(!counted(2, 3 | 2 << 15, &m, &b), "another sandbox (no memory): not counted");
    Nsd__SysvObj sem = NSD__SYSV_OBJ__INIT;
    sem.kind = NSD__SYSV_KIND__SYSV_SEM;
    sem.id = 3 | 2 << 15;
    sysv_count(1, &sem);
    check(!sem.counted, "a semaphore set: no message counts");

    long bogus = 0;
    for (long r = 0; r < rounds; r++) {
        struct sysv_layout l = good;
        switch (rnd() % 8) {
        case 0: l.msq_off = edgy(OFF); break;
        case 1: l.msq_stride = (uint32_t)edgy(STRIDE); break;
        case 2: l.msq_slots = (uint32_t)edgy(SLOTS); break;
        case 3: l.id_off = (uint32_t)edgy(20); break;
        case 4: l.live_off = (uint32_t)edgy(24); break;
        case 5: l.qnum_off = (uint32_t)edgy(40); break;
        case 6: l.cbytes_off = (uint32_t)edgy(48); break;
        default: for (size_t k = 0; k < sizeof l; k++) ((uint8_t *)&l)[k] = (uint8_t)rnd();
        }
        uint32_t mg = rnd() % 16 ? SYSV_MAGIC : (uint32_t)rnd();
        ftruncate(fd, rnd() % 4 ? SIZE : (off_t)(rnd() % (SIZE + 64)));
        pwrite(fd, &mg, 4, 0);
        pwrite(fd, &l, sizeof l, SYSV_LAYOUT_OFF);
        int i = (int)(rnd() % SLOTS);
        put_slot(fd, i, (int32_t)rnd() % 3 ? i : (int32_t)rnd(), (uint32_t)(rnd() % 3), rnd(), rnd());
        uint32_t id = rnd() % 2 ? (uint32_t)i : (uint32_t)rnd();
        bogus += counted(1, id, &m, &b);
    }
    char what[96];
    snprintf(what, sizeof what, "%ld corrupted memories read: no crash (%ld counted)", rounds, bogus);
    check(1, what);
    /* Whatever it saw, it still counts a good memory right. */
    ftruncate(fd, 0);
    ftruncate(fd, SIZE);
    pwrite(fd, &magic, 4, 0);
    pwrite(fd, &good, sizeof good, SYSV_LAYOUT_OFF);
    put_slot(fd, 3, 3, 1, 6, 88);
    check(counted(1, 3, &m, &b) && m == 6 && b == 88, "then a good memory is counted right again");
    journal_close(&j);
    unlink(db);
    return failures != 0;
}
