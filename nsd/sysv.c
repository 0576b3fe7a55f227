/* SysV ids and attributes. nsd leads only the names (key -> id, creation,
 * removal); the objects' data lives in memory shared by the sandbox's
 * picoprocesses (libos/sys/sysv.c), at the index of the id, so the index
 * must be below the libos's capacity, which it sends as mni. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/pidfd.h>
#include <sodium.h>
#include "sysv.h"
#include "util.h"
#include "../libos/include/sysv_layout.h"

#define TRY(x) do { if ((x) < 0) return -1; } while (0)

/*
 * Linux's ipc_idr_alloc: the index is the next free one after the last
 * allocated (idr_alloc_cyclic) below max(in_use * 3 / 2, 64) capped at
 * mni, and seq grows each time the index wraps back to or below the last
 * one (the sysctl msgmni/semmni/shmmni bounds only how many exist, as
 * ipc_addid's limit). So a fresh namespace hands out 0, 1, 2, ... and a removed id's
 * index comes back only with a new seq. Each probe is one indexed lookup;
 * the cursor makes the first probe free in the common case.
 */
int sysv_new_id(struct journal *j, int64_t sb, int64_t kind, int64_t mni, int64_t max_in_use, int64_t *id)
{
    int64_t in_use = 0, seq = 0, last = -1;
    if (mni <= 0 || mni > SYSV_MNI_MAX)
        mni = SYSV_MNI_MAX;
    sqlite3_stmt *st = jq(j, "SELECT seq, last_idx, in_use FROM sysv_ids WHERE sandbox = ? AND kind = ?",
                          "ii", sb, kind);
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        seq = sqlite3_column_int64(st, 0);
        last = sqlite3_column_int64(st, 1);
        in_use = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    /* ipc_addid: the sysctl limits the count, not the indexes */
    if (max_in_use > 0 && in_use >= max_in_use)
        return 0;
    int64_t max = in_use * 3 / 2 > 64 ? in_use * 3 / 2 : 64;
    if (max > mni)
        max = mni;
    int64_t idx = -1;
    for (int64_t n = 0; n < max && idx < 0; n++) {
        int64_t i = (last + 1 + n) % max, used = 0;
        TRY(jint(j, &used, "SELECT 1 FROM sysv_attr WHERE sandbox = ? AND kind = ? AND idx = ?", "iii",
                 sb, kind, i));
        if (!used)
            idx = i;
    }
    if (idx < 0)
        return 0;
    if (idx <= last && ++seq >= SYSV_SEQ_MAX)
        seq = 0;
    TRY(jexec(j, "INSERT OR REPLACE INTO sysv_ids VALUES(?, ?, ?, ?, ?)", "iiiii", sb, kind, seq, idx,
              in_use + 1));
    *id = seq << SYSV_IDX_BITS | idx;
    return 1;
}

int sysv_put_attr(struct journal *j, int64_t sb, int64_t id, const Nsd__SysvGet *g)
{
    return jexec(j, "INSERT OR REPLACE INTO sysv_attr VALUES(?, ?, ?, ?, ?, ?, ?)", "iiiiiii", sb, id,
                 (int64_t)g->kind, id & (SYSV_MNI_MAX - 1), (int64_t)g->uid, (int64_t)g->gid,
                 (int64_t)g->size);
}

int sysv_get_attr(struct journal *j, int64_t sb, Nsd__SysvObj *o)
{
    sqlite3_stmt *st = jq(j, "SELECT uid, gid, size FROM sysv_attr WHERE sandbox = ? AND kind = ?"
                             " AND id = ?", "iii", sb, (int64_t)o->kind, (int64_t)o->id);
    if (!st)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        o->uid = (uint32_t)sqlite3_column_int64(st, 0);
        o->gid = (uint32_t)sqlite3_column_int64(st, 1);
        o->size = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    return 0;
}

static void memfd_forget(int64_t sb);

int sysv_forget(struct journal *j, int64_t sb, int64_t kind, int64_t id)
{
    if (id < 0) {
        memfd_forget(sb);
        TRY(jexec(j, "DELETE FROM sysv_attr WHERE sandbox = ?", "i", sb));
        return jexec(j, "DELETE FROM sysv_ids WHERE sandbox = ?", "i", sb);
    }
    if (!kind) {
        int r = jint(j, &kind, "SELECT kind FROM sysv_attr WHERE sandbox = ? AND id = ?", "ii", sb, id);
        if (r <= 0)
            return r;
    }
    int64_t n = 0;
    TRY(jint(j, &n, "SELECT count(*) FROM sysv_attr WHERE sandbox = ? AND kind = ? AND id = ?", "iii",
             sb, kind, id));
    if (!n)
        return 0;
    TRY(jexec(j, "UPDATE sysv_ids SET in_use = in_use - 1 WHERE sandbox = ? AND kind = ?", "ii", sb, kind));
    return jexec(j, "DELETE FROM sysv_attr WHERE sandbox = ? AND kind = ? AND id = ?", "iii", sb, kind, id);
}

/* ---- the sandboxes' SysV memory ----------------------------------------------
 * nsd keeps a dup of each sandbox's memfd so that a launch joined to a
 * running sandbox maps the same objects, also after the creator's launch
 * has ended; the journal's end of the sandbox closes it. An fd cannot be
 * journaled: a node that has none (a new leader after a failover, a
 * restarted nsd) takes it again from a live picoprocess of the sandbox on
 * this host. Which memfd is the sandbox's is told by a tag that the node
 * taking the offer writes into its header: a keyed hash of the sandbox id
 * under the sandbox's secret, which every node has in its journal and no
 * other sandbox knows. So a host pid that the sandbox names wrongly (the
 * procs rows are what its picoprocesses said), a pid reused meanwhile or
 * another sandbox's forged memfd can never hand this sandbox's joiners any
 * memory but its own. */
struct memfd { uint32_t sb; int fd; };
static struct memfd *memfds;
static size_t nmemfds, memfds_cap;

int sysv_memfd_of(uint32_t sb)
{
    for (size_t i = 0; i < nmemfds; i++)
        if (memfds[i].sb == sb)
            return memfds[i].fd;
    return -1;
}

static int memfd_tag(struct journal *j, uint32_t sb, uint8_t tag[SYSV_TAG_LEN])
{
    static const char what[] = "graphene sysv memory of sandbox ";
    uint8_t msg[sizeof what + 4];
    memcpy(msg, what, sizeof what);
    memcpy(msg + sizeof what, &sb, 4);
    sqlite3_stmt *st = jq(j, "SELECT secret FROM sandboxes WHERE id = ?", "i", (int64_t)sb);
    int r = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) >= (int)crypto_generichash_KEYBYTES_MIN &&
        sqlite3_column_bytes(st, 0) <= (int)crypto_generichash_KEYBYTES_MAX)
        r = crypto_generichash(tag, SYSV_TAG_LEN, msg, sizeof msg, sqlite3_column_blob(st, 0),
                               (size_t)sqlite3_column_bytes(st, 0));
    if (st)
        sqlite3_reset(st);
    return r;
}

static int memfd_keep(uint32_t sb, int fd)
{
    if (nmemfds == memfds_cap) {
        size_t cap = memfds_cap ? 2 * memfds_cap : 16;
        struct memfd *m = realloc(memfds, cap * sizeof *m);
        if (!m)
            return -ENOMEM;
        memfds = m;
        memfds_cap = cap;
    }
    memfds[nmemfds++] = (struct memfd){ sb, fd };
    return 0;
}

/* fd of the process of pidfd, if it is a memfd (only a memfd has seals:
 * anything else is refused): ours, or -errno. */
static int take_memfd(int pidfd, int fd)
{
    int mine = pidfd_getfd(pidfd, fd, 0);
    if (mine < 0)
        return errno == EBADF ? -EBADF : -errno;
    if (fcntl(mine, F_GET_SEALS) < 0) {
        close(mine);
        return -EBADF;
    }
    return mine;
}

int sysv_memfd_take(struct journal *j, uint32_t sb, int peer_pid, int fd)
{
    uint8_t tag[SYSV_TAG_LEN];
    if (sysv_memfd_of(sb) >= 0)
        return -EEXIST;
    if (peer_pid <= 0 || fd < 0)
        return -EBADF;
    if (memfd_tag(j, sb, tag) < 0)
        return -EIO;
    int pfd = pidfd_open(peer_pid, 0);
    if (pfd < 0)
        return -errno;
    int mine = take_memfd(pfd, fd);
    close(pfd);
    if (mine < 0)
        return mine;
    if (pwrite(mine, tag, sizeof tag, SYSV_TAG_OFF) != (ssize_t)sizeof tag) {
        close(mine);
        return -EBADF;
    }
    int r = memfd_keep(sb, mine);
    if (r < 0)
        close(mine);
    return r;
}

/* Bounds of one search, which runs in nsd's loop: processes asked, and fd
 * entries read over all of them (a picoprocess's own fds are the highest,
 * after its app's). */
#define FIND_PROCS 32
#define FIND_FDS 65536

/* The memfd in the process host_pid that carries tag, or -1. */
static int find_in_proc(int host_pid, const uint8_t tag[SYSV_TAG_LEN], long *budget)
{
    char path[64];
    int pfd = pidfd_open(host_pid, 0);
    if (pfd < 0)
        return -1;
    snprintf(path, sizeof path, "/proc/%d/fd", host_pid);
    DIR *d = opendir(path);
    int found = -1;
    struct dirent *e;
    while (d && found < 0 && --*budget > 0 && (e = readdir(d))) {
        char link[64];
        ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof link - 1);
        if (n < 0)
            continue;
        link[n] = 0;
        if (strncmp(link, "/memfd:graphene-sysv", 20))
            continue;
        int fd = take_memfd(pfd, atoi(e->d_name));
        uint8_t got[SYSV_TAG_LEN];
        if (fd >= 0 && pread(fd, got, sizeof got, SYSV_TAG_OFF) == (ssize_t)sizeof got &&
            !sodium_memcmp(got, tag, sizeof got))
            found = fd;
        else if (fd >= 0)
            close(fd);
    }
    if (d)
        closedir(d);
    close(pfd);
    return found;
}

int sysv_memfd_get(struct journal *j, uint32_t sb, const char *host)
{
    int fd = sysv_memfd_of(sb);
    uint8_t tag[SYSV_TAG_LEN];
    if (fd >= 0 || memfd_tag(j, sb, tag) < 0)
        return fd;
    int pids[FIND_PROCS], n = 0;
    sqlite3_stmt *st = jq(j, "SELECT host_pid FROM procs WHERE sandbox = ? AND state = 'live' AND"
                             " host IN (?, 'localhost') AND host_pid > 0 ORDER BY pid LIMIT ?",
                          "isi", (int64_t)sb, host, (int64_t)FIND_PROCS);
    while (st && n < FIND_PROCS && sqlite3_step(st) == SQLITE_ROW)
        pids[n++] = sqlite3_column_int(st, 0);
    if (st)
        sqlite3_reset(st);
    long budget = FIND_FDS;
    for (int i = 0; i < n && fd < 0 && budget > 0; i++)
        fd = find_in_proc(pids[i], tag, &budget);
    if (fd >= 0 && memfd_keep(sb, fd) < 0) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0)
        nsd_log("sysv: took sandbox %u's SysV memory again from a picoprocess", sb);
    return fd;
}

static void memfd_forget(int64_t sb)
{
    for (size_t i = 0; i < nmemfds; i++)
        if (memfds[i].sb == sb) {
            close(memfds[i].fd);
            memfds[i] = memfds[--nmemfds];
            return;
        }
}

/* One field of n bytes at off in the slot at base (stride bytes long). */
static int slot_field(int fd, uint64_t base, uint32_t stride, uint32_t off, void *p, size_t n)
{
    uint64_t at;
    if ((uint64_t)off + n > stride || __builtin_add_overflow(base, off, &at) || at > INT64_MAX)
        return -1;
    return pread(fd, p, n, (off_t)at) == (ssize_t)n ? 0 : -1;
}

void sysv_count(uint32_t sb, Nsd__SysvObj *o)
{
    int fd = sysv_memfd_of(sb);
    uint32_t magic;
    struct sysv_layout l;
    if (fd < 0 || o->kind != NSD__SYSV_KIND__SYSV_MSG || pread(fd, &magic, sizeof magic, 0) != sizeof magic ||
        magic != SYSV_MAGIC || pread(fd, &l, sizeof l, SYSV_LAYOUT_OFF) != sizeof l)
        return;
    uint64_t idx = o->id & (SYSV_MNI_MAX - 1), base;
    if (idx >= l.msq_slots || __builtin_add_overflow(l.msq_off, idx * l.msq_stride, &base))
        return;
    int32_t id;
    uint32_t live;
    uint64_t qnum, cbytes;
    if (slot_field(fd, base, l.msq_stride, l.id_off, &id, sizeof id) ||
        slot_field(fd, base, l.msq_stride, l.live_off, &live, sizeof live) ||
        slot_field(fd, base, l.msq_stride, l.qnum_off, &qnum, sizeof qnum) ||
        slot_field(fd, base, l.msq_stride, l.cbytes_off, &cbytes, sizeof cbytes) || !live ||
        (uint32_t)id != o->id)
        return;
    o->counted = 1;
    o->messages = qnum;
    o->bytes = cbytes;
}
