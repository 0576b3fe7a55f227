/*
 * The journal: one sqlite database (WAL) per nsd node. It holds the
 * operation log and the namespace state that apply() derives from it; in a
 * raft group (nsd --peers) it is the state machine of the replicated log.
 */
#ifndef NSD_JOURNAL_H
#define NSD_JOURNAL_H

#include <stdint.h>
#include <sqlite3.h>

/* 3: SysV ids per kind, as Linux's; 4: no lease, the raft leader and applied index */
#define JOURNAL_SCHEMA_VERSION 5

struct journal {
    sqlite3 *db;
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[96];
    int ncache;
    int batch;    /* in a batch: each transaction below is a savepoint of it */
    int nested;   /* its open savepoints */
};

/* How commits reach the disk. FULL: every commit (an acknowledged operation
 * survives a host crash); NORMAL: at checkpoints (a host crash may lose the
 * last commits, never consistency); OFF: never (survives a crash of nsd,
 * not of the host). */
enum journal_sync { JOURNAL_SYNC_OFF, JOURNAL_SYNC_FULL, JOURNAL_SYNC_NORMAL };
int journal_open(struct journal *j, const char *path, enum journal_sync sync);
void journal_close(struct journal *j);

/*
 * Prepared statement for sql (a string literal: cached by address), reset,
 * with parameters bound from fmt: 'i' int64, 's' text, 'b' blob (ptr, int
 * len), 'n' null. NULL on error (logged).
 */
sqlite3_stmt *jq(struct journal *j, const char *sql, const char *fmt, ...);
/* Runs a statement to completion; 0 or -1. */
int jexec(struct journal *j, const char *sql, const char *fmt, ...);
/* First column of the first row as int64: 1 found, 0 no row/NULL, -1 error. */
int jint(struct journal *j, int64_t *out, const char *sql, const char *fmt, ...);

int journal_begin(struct journal *j);     /* BEGIN IMMEDIATE: takes the write lock */
/* errno-like reason of the last failure (ENOSPC for a full disk, else EIO). */
int journal_errno(struct journal *j);
int journal_commit(struct journal *j);
void journal_rollback(struct journal *j);

/*
 * One sqlite transaction for many: between journal_batch_begin and
 * journal_batch_end, journal_begin/commit/rollback make and end savepoints,
 * so a raft node applying thousands of entries in one turn of its loop (a
 * follower catching up) writes the WAL once, not once per entry. The end
 * commits; it fails (-errno, the batch rolled back) when the disk does.
 */
int journal_batch_begin(struct journal *j);
int journal_batch_end(struct journal *j);

#endif
