/* SysV ids and attributes. nsd leads only the names (key -> id, creation,
 * removal); the objects' data lives in memory shared by the sandbox's
 * picoprocesses (libos/sys/sysv.c), at the index of the id, so the index
 * must be below the libos's capacity, which it sends as mni. */
#include <stdint.h>
#include "sysv.h"

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

int sysv_forget(struct journal *j, int64_t sb, int64_t kind, int64_t id)
{
    if (id < 0) {
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
