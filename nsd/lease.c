#include <stdio.h>
#include <string.h>
#include "lease.h"
#include "util.h"

/* Reads the lease row: 1 if it is held (unexpired) by someone else. */
static int held_by_other(struct journal *j, struct lease *l, char *holder, size_t n, int64_t *expires,
                         uint64_t *term)
{
    sqlite3_stmt *st = jq(j, "SELECT holder, term, expires_ms FROM lease WHERE id = 1", "");
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        if (st)
            sqlite3_reset(st);
        return -1;
    }
    snprintf(holder, n, "%s", (const char *)sqlite3_column_text(st, 0));
    *term = sqlite3_column_int64(st, 1);
    *expires = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    return *expires > now_ms() && strcmp(holder, l->node);
}

int lease_try_acquire(struct journal *j, struct lease *l, char *holder, size_t n, int64_t *expires)
{
    uint64_t term;
    /* Look without the write lock first: polling standbys must not compete
     * with the leader's commits while its lease is good. */
    int held = held_by_other(j, l, holder, n, expires, &term);
    if (held)
        return held < 0 ? -1 : 0;
    if (journal_begin(j))
        return -1;
    held = held_by_other(j, l, holder, n, expires, &term);
    if (held) {
        journal_rollback(j);
        return held < 0 ? -1 : 0;
    }
    int64_t now = now_ms();
    l->term = term + 1;
    l->expires_ms = now + LEASE_MS;
    if (jexec(j, "UPDATE lease SET holder = ?, term = ?, expires_ms = ? WHERE id = 1", "sii",
              l->node, (int64_t)l->term, l->expires_ms) || journal_commit(j)) {
        journal_rollback(j);
        return -1;
    }
    l->leading = 1;
    return 1;
}

int lease_renew(struct journal *j, struct lease *l)
{
    int64_t now = now_ms();
    if (journal_begin(j))
        /* Busy journal: the lease stays valid until it expires; retry soon. */
        return lease_valid(l) ? 0 : -1;
    if (lease_check(j, l) ||
        jexec(j, "UPDATE lease SET expires_ms = ? WHERE id = 1", "i", now + LEASE_MS) ||
        journal_commit(j)) {
        journal_rollback(j);
        return lease_valid(l) ? 0 : -1;
    }
    l->expires_ms = now + LEASE_MS;
    return 0;
}

int lease_check(struct journal *j, struct lease *l)
{
    sqlite3_stmt *st = jq(j, "SELECT holder, term, expires_ms FROM lease WHERE id = 1", "");
    int ok = st && sqlite3_step(st) == SQLITE_ROW &&
             !strcmp((const char *)sqlite3_column_text(st, 0), l->node) &&
             (uint64_t)sqlite3_column_int64(st, 1) == l->term &&
             sqlite3_column_int64(st, 2) > now_ms();
    if (st)
        sqlite3_reset(st);
    if (!ok)
        l->leading = 0;
    return ok ? 0 : -1;
}

int lease_valid(const struct lease *l)
{
    return l->leading && now_ms() < l->expires_ms;
}
