#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "apply.h"
#include "state.h"

static void keep_reply(struct op_reply *r, const void *buf, size_t len)
{
    if (!r)
        return;
    r->buf = malloc(len + 1);
    if (!r->buf)
        abort();
    memcpy(r->buf, buf, len);
    r->len = len;
}

/* One op inside the batch transaction. 0, or -1 when the journal failed:
 * then state_apply rolls the whole batch back, so the op needs no
 * savepoint of its own (two statements and a statement journal less). */
static int apply_op(struct journal *j, const ProtobufCBinaryData *packed, uint64_t term,
                    struct op_reply *out)
{
    Nsd__Op *op = nsd__op__unpack(NULL, packed->len, packed->data);
    Nsd__Frame reply = NSD__FRAME__INIT;
    struct arena a = { 0 };
    int r = -1;
    if (!op) {
        /* Only nsd proposes entries: a corrupt one is a journal failure. */
        nsd_log("state: undecodable op");
        return -1;
    }
    if (op->req) {
        /* A retried request: answer what was journaled, apply nothing. */
        sqlite3_stmt *st = jq(j, "SELECT reply FROM oplog WHERE sandbox = ? AND client = ? AND seq = ?",
                              "isi", (int64_t)op->sandbox_id, op->client, (int64_t)op->seq);
        int rc = st ? sqlite3_step(st) : SQLITE_ERROR;
        if (rc == SQLITE_ROW)
            keep_reply(out, sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0));
        if (st)
            sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            r = rc == SQLITE_ROW ? 0 : -1;
            goto out;
        }
    }
    reply.req_id = op->seq;
    if (apply(j, op, &reply, &a))
        goto out;
    size_t len = op->req ? nsd__frame__get_packed_size(&reply) : 0;
    uint8_t *rb = arena_alloc(&a, len + 1);
    if (op->req)
        nsd__frame__pack(&reply, rb);
    if (op->req ? jexec(j, "INSERT INTO oplog(term, sandbox, client, seq, op, reply) VALUES(?, ?, ?, ?, ?, ?)",
                        "iisibb", (int64_t)term, (int64_t)op->sandbox_id, op->client, (int64_t)op->seq,
                        packed->data, (int)packed->len, rb, (int)len)
                : jexec(j, "INSERT INTO oplog(term, sandbox, client, seq, op, reply) VALUES(?, ?, ?, NULL, ?, x'')",
                        "iisb", (int64_t)term, (int64_t)op->sandbox_id, op->client, packed->data,
                        (int)packed->len))
        goto out;
    keep_reply(out, rb, len);
    r = 0;
out:
    arena_free(&a);
    nsd__op__free_unpacked(op, NULL);
    return r;
}

uint64_t state_applied(struct journal *j)
{
    int64_t v = 0;
    return jint(j, &v, "SELECT v FROM meta WHERE k = 'applied'", "") > 0 ? (uint64_t)v : 0;
}

int state_apply(struct journal *j, const ProtobufCBinaryData *ops, size_t nops, uint64_t term,
                uint64_t index, const Nsd__Redirect *leader, struct op_reply *replies)
{
    if (replies)   /* the failure path frees every reply */
        memset(replies, 0, nops * sizeof *replies);
    if (journal_begin(j))
        return -journal_errno(j);
    /* The journal is ahead of raft's replay after a restart (it commits
     * entries raft replays from its last snapshot): apply each once. */
    if (index && index <= state_applied(j)) {
        journal_rollback(j);
        return 1;
    }
    for (size_t i = 0; i < nops; i++)
        if (apply_op(j, &ops[i], term, replies ? &replies[i] : NULL))
            goto fail;
    if (leader && jexec(j, "INSERT OR REPLACE INTO leader VALUES(1, ?, ?, ?, ?, ?)", "sisss",
                        leader->node, (int64_t)term, leader->host, leader->unix_path, leader->tcp))
        goto fail;
    if (index && jexec(j, "INSERT OR REPLACE INTO meta VALUES('applied', ?)", "i", (int64_t)index))
        goto fail;
    if (journal_commit(j))
        goto fail;
    return 0;
fail:;
    int e = journal_errno(j);
    journal_rollback(j);
    for (size_t i = 0; replies && i < nops; i++) {
        free(replies[i].buf);
        replies[i] = (struct op_reply){ 0 };
    }
    return -e;
}

int state_trim_oplog(struct journal *j, uint64_t every)
{
    if (journal_begin(j))
        return -1;
    /* Both through the (sandbox, client, seq) index, one pass each: a
     * scan of the table reads every op and reply, and a per-row max(seq)
     * lookup costs a seek per row (4x the time with ~10k rows). The last
     * row stays: a new row's pos is max(pos) + 1 (no AUTOINCREMENT). */
    if (jexec(j, "DELETE FROM oplog WHERE pos IN (SELECT pos FROM oplog"
                 " INDEXED BY sqlite_autoindex_oplog_1 WHERE seq IS NULL)"
                 " AND pos < (SELECT max(pos) FROM oplog)", "") ||
        jexec(j, "DELETE FROM oplog WHERE pos IN (SELECT o.pos FROM (SELECT sandbox, client,"
                 " max(seq) - ?1 last FROM oplog GROUP BY sandbox, client HAVING min(seq) <= last) g"
                 " JOIN oplog o ON o.sandbox = g.sandbox AND o.client = g.client AND o.seq <= g.last)"
                 " AND pos < (SELECT max(pos) FROM oplog)",
              "i", (int64_t)OPLOG_KEEP_PER_CLIENT) ||
        jexec(j, "DELETE FROM oplog WHERE pos <= (SELECT max(pos) FROM oplog) - ?1 AND NOT EXISTS"
                 " (SELECT 1 FROM procs p WHERE p.client = oplog.client AND p.sandbox = oplog.sandbox)",
              "i", (int64_t)(every * OPLOG_GONE_PERIODS)) ||
        journal_commit(j)) {
        journal_rollback(j);
        return -1;
    }
    return 0;
}
