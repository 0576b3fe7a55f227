#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include "journal.h"
#include "util.h"

static const char schema[] =
    /* meta 'applied': the last raft index applied here (nsd --peers). */
    "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v);"
    /* One row: the raft leader as its first entry of a term announced it
     * (where followers redirect clients to). */
    "CREATE TABLE IF NOT EXISTS leader(id INTEGER PRIMARY KEY CHECK(id = 1),"
    "  node TEXT NOT NULL, term INTEGER NOT NULL, host TEXT NOT NULL,"
    "  unix_path TEXT NOT NULL, tcp TEXT NOT NULL);"
    /* The operation log. (sandbox, client, seq) is the request id: a retried
     * request finds its reply here instead of being applied again. seq is
     * NULL for operations the leader makes up (lost connections). term: the
     * raft term of the leader that proposed it (0 on a single node). pos is
     * max(pos) + 1, never reused (the trim keeps the last row), without
     * AUTOINCREMENT's counter row: a page less to write per commit. */
    "CREATE TABLE IF NOT EXISTS oplog(pos INTEGER PRIMARY KEY,"
    "  term INTEGER NOT NULL, sandbox INTEGER NOT NULL, client TEXT NOT NULL,"
    "  seq INTEGER, op BLOB NOT NULL, reply BLOB NOT NULL, UNIQUE(sandbox, client, seq));"
    "CREATE TABLE IF NOT EXISTS sandboxes(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT UNIQUE NOT NULL, secret BLOB NOT NULL, created_ms INTEGER NOT NULL,"
    "  next_pid INTEGER NOT NULL DEFAULT 1, next_ipc INTEGER NOT NULL DEFAULT 1,"
    /* An ephemeral sandbox ends with its launcher's host process (launcher_pid,
     * 0 once it is gone) and its live processes. */
    "  ephemeral INTEGER NOT NULL DEFAULT 0, launcher_pid INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS procs(sandbox INTEGER NOT NULL, pid INTEGER NOT NULL,"
    "  ppid INTEGER NOT NULL, pgid INTEGER NOT NULL, sid INTEGER NOT NULL,"
    "  state TEXT NOT NULL, status INTEGER NOT NULL DEFAULT 0, host TEXT, host_pid INTEGER,"
    "  client TEXT NOT NULL, stream TEXT, argv BLOB, started_ms INTEGER,"
    /* 1 once the owner registered again after an execve: setpgid of it
     * by its parent is EACCES from then on */
    "  execed INTEGER NOT NULL DEFAULT 0,"
    /* Keyed by (sandbox, pid) alone, no rowid (so is ranges): its lookups
     * and changes use one b-tree, not a rowid table and its key's index. */
    "  PRIMARY KEY(sandbox, pid)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS procs_pgid ON procs(sandbox, pgid);"
    "CREATE INDEX IF NOT EXISTS procs_sid ON procs(sandbox, sid);"
    "CREATE INDEX IF NOT EXISTS procs_ppid ON procs(sandbox, ppid);"
    "CREATE INDEX IF NOT EXISTS procs_client ON procs(client, state);"
    /* Processes that asked PR_SET_CHILD_SUBREAPER (until they end). */
    "CREATE TABLE IF NOT EXISTS subreapers(sandbox INTEGER NOT NULL, pid INTEGER NOT NULL,"
    "  PRIMARY KEY(sandbox, pid));"
    "CREATE TABLE IF NOT EXISTS ranges(sandbox INTEGER NOT NULL, lo INTEGER NOT NULL,"
    "  hi INTEGER NOT NULL, owner INTEGER NOT NULL, PRIMARY KEY(sandbox, lo)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ranges_owner ON ranges(sandbox, owner);"
    "CREATE TABLE IF NOT EXISTS sysv(sandbox INTEGER NOT NULL, id INTEGER NOT NULL,"
    "  key INTEGER NOT NULL, kind INTEGER NOT NULL, owner INTEGER NOT NULL,"
    "  creator INTEGER NOT NULL, mode INTEGER NOT NULL, PRIMARY KEY(sandbox, kind, id));"
    "CREATE INDEX IF NOT EXISTS sysv_key ON sysv(sandbox, key, kind);"
    "CREATE INDEX IF NOT EXISTS sysv_owner ON sysv(sandbox, owner);"
    /* nsd/sysv.c: Linux's id cursor per kind, and each object's creator and size */
    "CREATE TABLE IF NOT EXISTS sysv_ids(sandbox INTEGER NOT NULL, kind INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL, last_idx INTEGER NOT NULL, in_use INTEGER NOT NULL,"
    "  PRIMARY KEY(sandbox, kind));"
    "CREATE TABLE IF NOT EXISTS sysv_attr(sandbox INTEGER NOT NULL, id INTEGER NOT NULL,"
    "  kind INTEGER NOT NULL, idx INTEGER NOT NULL, uid INTEGER NOT NULL, gid INTEGER NOT NULL,"
    "  size INTEGER NOT NULL, PRIMARY KEY(sandbox, kind, id));"
    "CREATE INDEX IF NOT EXISTS sysv_attr_idx ON sysv_attr(sandbox, kind, idx);";

static sqlite3_stmt *vbind(struct journal *j, const char *sql, const char *fmt, va_list ap)
{
    sqlite3_stmt *st = NULL;
    int i;
    for (i = 0; i < j->ncache; i++)
        if (j->cache[i].sql == sql) {
            st = j->cache[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            break;
        }
    if (!st) {
        if (sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL)) {
            nsd_log("journal: prepare failed: %s: %s", sqlite3_errmsg(j->db), sql);
            return NULL;
        }
        if (j->ncache < (int)(sizeof j->cache / sizeof j->cache[0])) {
            j->cache[j->ncache].sql = sql;
            j->cache[j->ncache++].st = st;
        } else {
            nsd_log("journal: statement cache full");
            sqlite3_finalize(st);
            return NULL;
        }
    }
    for (i = 1; *fmt; fmt++, i++) {
        switch (*fmt) {
        case 'i': sqlite3_bind_int64(st, i, va_arg(ap, int64_t)); break;
        case 's': sqlite3_bind_text(st, i, va_arg(ap, const char *), -1, SQLITE_STATIC); break;
        case 'b': {
            const void *p = va_arg(ap, const void *);
            sqlite3_bind_blob(st, i, p, va_arg(ap, int), SQLITE_STATIC);
            break;
        }
        case 'n': sqlite3_bind_null(st, i); break;
        }
    }
    return st;
}

sqlite3_stmt *jq(struct journal *j, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = vbind(j, sql, fmt, ap);
    va_end(ap);
    return st;
}

/* One step of st (NULL: it failed to bind, already logged), logging a failure
 * with its SQL. SQLITE_ROW, or SQLITE_DONE / -1 with st reset. */
static int jstep(struct journal *j, sqlite3_stmt *st, const char *sql)
{
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return rc;
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return rc;
    nsd_log("journal: %s: %s", sqlite3_errmsg(j->db), sql);
    return -1;
}

int jexec(struct journal *j, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = vbind(j, sql, fmt, ap);
    va_end(ap);
    int rc;
    while ((rc = jstep(j, st, sql)) == SQLITE_ROW)
        ;
    return rc == SQLITE_DONE ? 0 : -1;
}

int jint(struct journal *j, int64_t *out, const char *sql, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sqlite3_stmt *st = vbind(j, sql, fmt, ap);
    va_end(ap);
    int rc = jstep(j, st, sql);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : -1;
    int found = sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return found;
}

int journal_begin(struct journal *j)
{
    if (!j->batch)
        return jexec(j, "BEGIN IMMEDIATE", "");
    int r = jexec(j, "SAVEPOINT entry", "");
    j->nested += !r;
    return r;
}

int journal_commit(struct journal *j)
{
    if (!j->batch)
        return jexec(j, "COMMIT", "");
    int r = jexec(j, "RELEASE entry", "");
    j->nested -= !r;
    return r;
}

int journal_errno(struct journal *j)
{
    return sqlite3_errcode(j->db) == SQLITE_FULL ? ENOSPC : EIO;
}

void journal_rollback(struct journal *j)
{
    if (j->batch) {
        if (j->nested) {
            jexec(j, "ROLLBACK TO entry", "");
            jexec(j, "RELEASE entry", "");
            j->nested--;
        }
    } else if (!sqlite3_get_autocommit(j->db)) {
        jexec(j, "ROLLBACK", "");
    }
}

int journal_batch_begin(struct journal *j)
{
    if (j->batch)
        return 0;
    if (jexec(j, "BEGIN IMMEDIATE", ""))
        return -1;
    j->batch = 1;
    j->nested = 0;
    return 0;
}

int journal_batch_end(struct journal *j)
{
    if (!j->batch)
        return 0;
    j->batch = 0;
    if (!jexec(j, "COMMIT", ""))
        return 0;
    int e = journal_errno(j);
    if (!sqlite3_get_autocommit(j->db))
        jexec(j, "ROLLBACK", "");
    return -e;
}

int journal_open(struct journal *j, const char *path, enum journal_sync sync)
{
    memset(j, 0, sizeof *j);
    /* A new file turns into WAL by a first transaction in the rollback
     * journal, which sqlite keeps in memory if told: one file fewer to make
     * and remove (an embedded nsd's start, where nothing is durable). */
    struct stat st;
    int fresh = sync == JOURNAL_SYNC_OFF && (stat(path, &st) ? errno == ENOENT : st.st_size == 0);
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
        nsd_log("journal: cannot open %s: %s", path, j->db ? sqlite3_errmsg(j->db) : "no memory");
        return -1;
    }
    /* Short busy wait: only readers (graphenectl, tests) share the file.
     * synchronous=FULL: an acknowledged operation survives a host crash too. */
    sqlite3_busy_timeout(j->db, 250);
    /* sqlite mallocs and frees its page cache and statement journals in
     * every transaction: glibc's default trim gave the heap's top back to
     * the kernel and faulted it in again each time (~4% of nsd's CPU in a
     * fork loop). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_TOP_PAD, 4 << 20);
    char *err = NULL;
    /* An embedded nsd's journal is its own alone (its flock decides which
     * nsd serves it; nothing else reads it): exclusive locking keeps the
     * WAL index in nsd's heap, so there is no -shm file to make at start
     * and no fcntl lock per transaction (103 fcntl calls per /bin/true
     * start, nsd ~5% less CPU per start). */
    static const char *const pragmas[] = {
        [JOURNAL_SYNC_OFF] = "PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;",
        [JOURNAL_SYNC_FULL] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        [JOURNAL_SYNC_NORMAL] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    };
    if ((fresh && sqlite3_exec(j->db, "PRAGMA journal_mode=MEMORY;", NULL, NULL, &err)) ||
        sqlite3_exec(j->db, pragmas[sync],
                     NULL, NULL, &err) ||
        journal_begin(j) ||
        sqlite3_exec(j->db, schema, NULL, NULL, &err)) {
        nsd_log("journal: cannot set up %s: %s", path, err ? err : sqlite3_errmsg(j->db));
        sqlite3_free(err);
        journal_close(j);
        return -1;
    }
    int64_t v = 0;
    int found = jint(j, &v, "SELECT v FROM meta WHERE k = 'schema'", "");
    if (found == 0) {
        v = JOURNAL_SCHEMA_VERSION;
        if (jexec(j, "INSERT INTO meta VALUES('schema', ?)", "i", v))
            found = -1;
    }
    /* Version 4 lacks only procs.execed (an exec'd process: setpgid's
     * EACCES): added in place, so an upgraded nsd keeps its journal. */
    if (found > 0 && v == 4 &&
        !jexec(j, "ALTER TABLE procs ADD COLUMN execed INTEGER NOT NULL DEFAULT 0", "") &&
        !jexec(j, "UPDATE meta SET v = ? WHERE k = 'schema'", "i", (int64_t)JOURNAL_SCHEMA_VERSION))
        v = JOURNAL_SCHEMA_VERSION;
    if (found < 0 || v != JOURNAL_SCHEMA_VERSION || journal_commit(j)) {
        nsd_log("journal: %s has schema version %lld, this nsd speaks %d", path,
                (long long)v, JOURNAL_SCHEMA_VERSION);
        journal_close(j);
        return -1;
    }
    return 0;
}

void journal_close(struct journal *j)
{
    for (int i = 0; i < j->ncache; i++)
        sqlite3_finalize(j->cache[i].st);
    j->ncache = 0;
    if (j->db) {
        journal_rollback(j);
        sqlite3_close(j->db);
    }
    j->db = NULL;
}
