/*
 * Replays a journal's operation log through apply() on an empty journal and
 * checks that every reply and the resulting namespace tables are identical:
 * the determinism that lets a replicated log drive the same leader code.
 *   nsd_replay SOURCE.db SCRATCH.db
 */
#include <stdio.h>
#include <string.h>
#include "apply.h"
#include "journal.h"

static const char *tables[] = { "sandboxes", "procs", "ranges", "sysv" };

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: nsd_replay SOURCE.db SCRATCH.db\n");
        return 2;
    }
    nsd_log_set_node("replay");
    struct journal dst;
    char sql[512];
    if (journal_open(&dst, argv[2], JOURNAL_SYNC_FULL))
        return 2;
    /* One read transaction over the source (which a live nsd may still be
     * writing): the oplog replayed and the tables compared are one snapshot.
     * Unqualified names are the scratch journal's tables. */
    snprintf(sql, sizeof sql, "ATTACH '%s' AS src", argv[1]);
    if (sqlite3_exec(dst.db, sql, NULL, NULL, NULL) || sqlite3_exec(dst.db, "BEGIN", NULL, NULL, NULL)) {
        fprintf(stderr, "nsd_replay: %s\n", sqlite3_errmsg(dst.db));
        return 2;
    }
    sqlite3_stmt *st = jq(&dst, "SELECT pos, op, reply FROM src.oplog ORDER BY pos", "");
    long ops = 0, mismatched = 0;
    int diff = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        int64_t pos = sqlite3_column_int64(st, 0);
        Nsd__Op *op = nsd__op__unpack(NULL, sqlite3_column_bytes(st, 1), sqlite3_column_blob(st, 1));
        if (!op) {
            fprintf(stderr, "pos %lld: undecodable op\n", (long long)pos);
            return 1;
        }
        Nsd__Frame reply = NSD__FRAME__INIT;
        struct arena a = { 0 };
        reply.req_id = op->seq;
        if (apply(&dst, op, &reply, &a)) {
            fprintf(stderr, "pos %lld: apply failed\n", (long long)pos);
            return 1;
        }
        /* Synthetic ops (lost clients) have no reply to compare. */
        int stored = sqlite3_column_bytes(st, 2);
        if (!op->lost) {
            size_t len = nsd__frame__get_packed_size(&reply);
            uint8_t buf[len + 1];
            nsd__frame__pack(&reply, buf);
            if ((size_t)stored != len || memcmp(buf, sqlite3_column_blob(st, 2), len)) {
                if (mismatched++ < 5)
                    fprintf(stderr, "pos %lld: reply differs\n", (long long)pos);
            }
        }
        arena_free(&a);
        nsd__op__free_unpacked(op, NULL);
        ops++;
    }
    if (st)
        sqlite3_reset(st);

    for (size_t i = 0; i < sizeof tables / sizeof tables[0] && !diff; i++) {
        sqlite3_stmt *q;
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM (SELECT * FROM main.%1$s EXCEPT SELECT * FROM src.%1$s))"
                 " + (SELECT count(*) FROM (SELECT * FROM src.%1$s EXCEPT SELECT * FROM main.%1$s))",
                 tables[i]);
        if (sqlite3_prepare_v2(dst.db, sql, -1, &q, NULL) || sqlite3_step(q) != SQLITE_ROW) {
            diff = 1;
        } else if (sqlite3_column_int(q, 0)) {
            fprintf(stderr, "table %s: %d rows differ\n", tables[i], sqlite3_column_int(q, 0));
            diff = 1;
        }
        sqlite3_finalize(q);
    }
    sqlite3_exec(dst.db, "COMMIT", NULL, NULL, NULL);
    printf("replayed %ld operations: %ld replies differ, tables %s\n", ops, mismatched,
           diff ? "DIFFER" : "identical");
    journal_close(&dst);
    return mismatched || diff;
}
