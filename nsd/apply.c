#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "apply.h"
#include "streams.h"
#include "sysv.h"

#define TRY(x) do { if ((x) < 0) return -1; } while (0)

void reply_error(Nsd__Frame *reply, struct arena *a, int errnum, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    Nsd__Error *e = arena_alloc(a, sizeof *e);
    nsd__error__init(e);
    e->errnum = errnum;
    e->msg = arena_strdup(a, msg);
    reply->body_case = NSD__FRAME__BODY_ERROR;
    reply->error = e;
}

static void reply_ok(Nsd__Frame *reply, struct arena *a)
{
    Nsd__Ok *ok = arena_alloc(a, sizeof *ok);
    nsd__ok__init(ok);
    reply->body_case = NSD__FRAME__BODY_OK;
    reply->ok = ok;
}

struct proc {
    int64_t pid, ppid, pgid, sid, status;
    char state[8];
};

/* The row of pid from st, a query of its (ppid, pgid, sid, state, status)
 * and maybe a sixth column, put in *cond (a condition on the row: one
 * statement instead of a second read of the same row). 1 found, 0 not,
 * -1 error. */
static int read_proc(sqlite3_stmt *st, int64_t pid, struct proc *p, int64_t *cond)
{
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        p->pid = pid;
        p->ppid = sqlite3_column_int64(st, 0);
        p->pgid = sqlite3_column_int64(st, 1);
        p->sid = sqlite3_column_int64(st, 2);
        snprintf(p->state, sizeof p->state, "%s", (const char *)sqlite3_column_text(st, 3));
        p->status = sqlite3_column_int64(st, 4);
        if (cond)
            *cond = sqlite3_column_int64(st, 5);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* 1 found, 0 not, -1 error. */
static int get_proc(struct journal *j, int64_t sb, int64_t pid, struct proc *p)
{
    return read_proc(jq(j, "SELECT ppid, pgid, sid, state, status FROM procs"
                           " WHERE sandbox = ? AND pid = ?", "ii", sb, pid), pid, p, NULL);
}

/* The caller of a request must be a live process registered by this client:
 * a client can act only for its own processes. 1 ok, 0 refused (reply set). */
static int own_caller(struct journal *j, const Nsd__Op *op, int64_t caller, struct proc *p,
                      Nsd__Frame *reply, struct arena *a)
{
    int64_t ours = 0;
    int r = read_proc(jq(j, "SELECT ppid, pgid, sid, state, status, client = ?3 AND state = 'live'"
                            " FROM procs WHERE sandbox = ?1 AND pid = ?2",
                         "iis", (int64_t)op->sandbox_id, caller, op->client), caller, p, &ours);
    if (r < 0)
        return -1;
    if (!r || !ours) {
        reply_error(reply, a, EPERM, "pid %lld is not a live process of this client",
                    (long long)caller);
        return 0;
    }
    return 1;
}

static Nsd__PidRange *new_range(struct arena *a, int64_t lo, int64_t hi, int64_t owner)
{
    Nsd__PidRange *r = arena_alloc(a, sizeof *r);
    nsd__pid_range__init(r);
    r->sandbox = "";
    r->lo = lo;
    r->hi = hi;
    r->owner = owner;
    return r;
}

/*
 * Finds count free pids from the sandbox's cursor, wrapping once at
 * NSD_PID_MAX. A pid is free when no range covers it and no process row
 * (live, zombie or lost) uses it as pid, process group or session: so a
 * pid is never reused while a zombie or a group refers to it.
 * 1 found (*lo), 0 pid space exhausted, -1 error.
 */
static int alloc_pids(struct journal *j, int64_t sb, int64_t count, int64_t *lo)
{
    int64_t cursor = 1, c;
    TRY(jint(j, &cursor, "SELECT next_pid FROM sandboxes WHERE id = ?", "i", sb));
    int64_t at = cursor;
    int wrapped = 0;
    for (;;) {
        if (at + count - 1 > NSD_PID_MAX) {
            if (wrapped)
                return 0;
            wrapped = 1;
            at = 1;
        }
        if (wrapped && at >= cursor)
            return 0;
        int64_t hi = at + count - 1, conflict = 0;
        /* Ranges are disjoint: only the last one starting at or below hi
         * can overlap [at, hi], and it has the highest end. */
        if (jint(j, &c, "SELECT hi FROM ranges WHERE sandbox = ? AND lo <= ? ORDER BY lo DESC LIMIT 1",
                 "ii", sb, hi) > 0 && c >= at)
            conflict = c;
        if (jint(j, &c, "SELECT max(v) FROM ("
                        " SELECT pid v FROM procs WHERE sandbox = ?1 AND pid BETWEEN ?2 AND ?3"
                        " UNION ALL SELECT pgid FROM procs WHERE sandbox = ?1 AND pgid BETWEEN ?2 AND ?3"
                        " UNION ALL SELECT sid FROM procs WHERE sandbox = ?1 AND sid BETWEEN ?2 AND ?3)",
                 "iii", sb, at, hi) > 0 && c > conflict)
            conflict = c;
        if (!conflict)
            break;
        at = conflict + 1;
    }
    *lo = at;
    TRY(jexec(j, "UPDATE sandboxes SET next_pid = ? WHERE id = ?", "ii", at + count, sb));
    return 1;
}

/* Leases count pids to owner; the range is put in *out. 1, 0 exhausted, -1. */
static int lease_pids(struct journal *j, int64_t sb, int64_t owner, int64_t count,
                      struct arena *a, Nsd__PidRange **out)
{
    int64_t lo;
    int r = alloc_pids(j, sb, count, &lo);
    if (r <= 0)
        return r;
    TRY(jexec(j, "INSERT INTO ranges VALUES(?, ?, ?, ?)", "iiii", sb, lo, lo + count - 1, owner));
    *out = new_range(a, lo, lo + count - 1, owner);
    return 1;
}

static int64_t range_count(uint32_t want)
{
    return want == 0 ? RANGE_DEFAULT : want > RANGE_MAX ? RANGE_MAX : want;
}

static Nsd__Ids *reply_ids(Nsd__Frame *reply, struct arena *a, const struct proc *p)
{
    Nsd__Ids *ids = arena_alloc(a, sizeof *ids);
    nsd__ids__init(ids);
    ids->pid = p->pid;
    ids->ppid = p->ppid;
    ids->pgid = p->pgid;
    ids->sid = p->sid;
    reply->body_case = NSD__FRAME__BODY_IDS;
    reply->ids = ids;
    return ids;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (; *s; s++)
        if (!(*s == '-' || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9') ||
              (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            return 0;
    return 1;
}

static int op_sandbox_create(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const char *name = op->req->sandbox_create->name;
    int64_t id;
    if (!valid_name(name)) {
        reply_error(reply, a, EINVAL, "sandbox name must be 1-64 of [A-Za-z0-9._-]");
        return 0;
    }
    if (op->entropy.len != 32) {
        reply_error(reply, a, EINVAL, "operation carries no secret");
        return 0;
    }
    int r = jint(j, &id, "SELECT id FROM sandboxes WHERE name = ?", "s", name);
    TRY(r);
    if (r) {
        reply_error(reply, a, EEXIST, "sandbox %s exists", name);
        return 0;
    }
    int ephemeral = op->req->sandbox_create->ephemeral;
    TRY(jexec(j, "INSERT INTO sandboxes(name, secret, created_ms, ephemeral, launcher_pid)"
                 " VALUES(?, ?, ?, ?, ?)", "sbiii", name, op->entropy.data, (int)op->entropy.len,
              op->time_ms, (int64_t)ephemeral, (int64_t)(ephemeral ? op->peer_pid : 0)));
    Nsd__Sandbox *s = arena_alloc(a, sizeof *s);
    nsd__sandbox__init(s);
    s->name = arena_strdup(a, name);
    s->id = sqlite3_last_insert_rowid(j->db);
    s->secret.data = op->entropy.data;
    s->secret.len = op->entropy.len;
    s->created_ms = op->time_ms;
    reply->body_case = NSD__FRAME__BODY_SANDBOX;
    reply->sandbox = s;
    return 0;
}

/* The RPC sockets that processes of sb (pid, or every one for pid 0) may
 * have left behind, removed as they end (streams.h): a long-running
 * sandbox's SIGKILLed processes do not pile up files. Not state: what a
 * replayed or replicated apply removes is stale all the same. */
static int forget_streams(struct journal *j, int64_t sb, int64_t pid)
{
    sqlite3_stmt *st = jq(j, "SELECT stream FROM procs WHERE sandbox = ?1 AND (?2 = 0 OR pid = ?2)"
                             " AND stream != ''", "ii", sb, pid);
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        streams_gone((const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int destroy_sandbox(struct journal *j, int64_t id)
{
    TRY(forget_streams(j, id, 0));
    TRY(jexec(j, "DELETE FROM procs WHERE sandbox = ?", "i", id));
    TRY(jexec(j, "DELETE FROM ranges WHERE sandbox = ?", "i", id));
    TRY(jexec(j, "DELETE FROM subreapers WHERE sandbox = ?", "i", id));
    TRY(jexec(j, "DELETE FROM sysv WHERE sandbox = ?", "i", id));
    TRY(sysv_forget(j, id, 0, -1));
    return jexec(j, "DELETE FROM sandboxes WHERE id = ?", "i", id);
}

/* An ephemeral sandbox ends once its launcher's host process is gone and no
 * process of it is live (as a PID namespace ends with its init): it is
 * destroyed, zombies and all. */
static int end_if_over(struct journal *j, int64_t sb)
{
    int64_t over = 0;
    int r = jint(j, &over, "SELECT ephemeral AND launcher_pid = 0 AND NOT EXISTS(SELECT 1 FROM procs"
                           " WHERE sandbox = ?1 AND state = 'live') FROM sandboxes WHERE id = ?1",
                 "i", sb);
    TRY(r);
    return r && over ? destroy_sandbox(j, sb) : 0;
}

static int op_sandbox_destroy(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const char *name = op->req->sandbox_destroy->name;
    int64_t id;
    int r = jint(j, &id, "SELECT id FROM sandboxes WHERE name = ?", "s", name);
    TRY(r);
    if (!r) {
        reply_error(reply, a, ENOENT, "no sandbox %s", name);
        return 0;
    }
    TRY(destroy_sandbox(j, id));
    reply_ok(reply, a);
    return 0;
}

/* argv is stored as NUL-terminated strings back to back. */
static char *pack_argv(struct arena *a, const Nsd__Register *rg, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < rg->n_argv; i++)
        n += strlen(rg->argv[i]) + 1;
    char *argv = arena_alloc(a, n + 1), *w = argv;
    for (size_t i = 0; i < rg->n_argv; i++)
        w = stpcpy(w, rg->argv[i]) + 1;
    *len = n;
    return argv;
}

/*
 * A forked child registers twice: its parent registers it on the parent's
 * connection right after the fork (so the parent's next requests about it,
 * setpgid or kill, find it, in order), and the child itself on its own
 * connection (Register.claim). That one claims the row of the same (pid,
 * host pid) for the child's client, which from then on answers for it
 * (Exit, its connection dropping), whichever connection nsd read first.
 * The owner may register again (after an execve) to replace the argv. 1 claimed (reply set), 0 not a claim,
 * -1 error. *found: whether the pid has a row, then in *p.
 */
static int claim(struct journal *j, const Nsd__Op *op, const Nsd__Register *rg, Nsd__Frame *reply,
                 struct arena *a, struct proc *p_out, int *found)
{
    int64_t sb = op->sandbox_id;
    struct proc p;
    /* Ours already (an execve), or, for a child's own Register (claim),
     * the row of that host process: live, or "lost" when its parent's
     * connection dropped before the claim arrived (the child is alive: it
     * is the one asking). */
    int64_t ok = 0;
    int r = read_proc(jq(j, "SELECT ppid, pgid, sid, state, status, host_pid = ?3 AND"
                            " (client = ?4 AND state = 'live' OR ?5 AND state IN ('live', 'lost'))"
                            " FROM procs WHERE sandbox = ?1 AND pid = ?2",
                         "iiisi", sb, (int64_t)rg->pid, (int64_t)rg->host_pid, op->client,
                         (int64_t)rg->claim), rg->pid, &p, &ok);
    *found = r > 0;
    if (r > 0)
        *p_out = p;
    if (r <= 0 || !ok)
        return r < 0 ? -1 : 0;
    strcpy(p.state, "live");
    size_t argv_len;
    char *argv = pack_argv(a, rg, &argv_len);
    /* Not a claim: the owner again, after an execve. */
    TRY(jexec(j, "UPDATE procs SET client = ?, argv = ?, state = 'live', execed = execed OR ?"
                 " WHERE sandbox = ? AND pid = ?",
              "sbiii", op->client, argv, (int)argv_len, (int64_t)!rg->claim, sb, p.pid));
    Nsd__PidRange *range = NULL;
    if (rg->want_range) {
        r = lease_pids(j, sb, p.pid, range_count(rg->want_range), a, &range);
        TRY(r);
        if (!r) {
            reply_error(reply, a, EAGAIN, "pid space exhausted");
            return 1;
        }
    }
    reply_ids(reply, a, &p)->range = range;
    return 1;
}

static int op_register(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__Register *rg = op->req->register_;
    int64_t sb = op->sandbox_id, n;
    struct proc p = { .pid = rg->pid, .ppid = rg->ppid }, parent;
    Nsd__PidRange *range = NULL;
    int r;
    if (rg->pid == 0) {
        /* A new root: it gets the first pid of a fresh range, the rest of
         * the range is its lease, and it leads a new session. */
        if (rg->ppid) {
            reply_error(reply, a, EINVAL, "a root process has no parent");
            return 0;
        }
        int64_t count = range_count(rg->want_range) + 1;
        r = lease_pids(j, sb, 0, count, a, &range);
        TRY(r);
        if (!r) {
            reply_error(reply, a, EAGAIN, "pid space exhausted");
            return 0;
        }
        p.pid = p.pgid = p.sid = range->lo;
        TRY(jexec(j, "UPDATE ranges SET lo = lo + 1, owner = ?3 WHERE sandbox = ?1 AND lo = ?2",
                  "iii", sb, p.pid, p.pid));
        range->lo++;
        range->owner = p.pid;
    } else {
        if (rg->pid > NSD_PID_MAX) {
            reply_error(reply, a, EINVAL, "pid %u out of range", rg->pid);
            return 0;
        }
        /* Before the parent: a claim needs only its own row, and the
         * parent of a daemon()'s grandchild may be reaped and gone by the
         * time the grandchild's Register is read. */
        struct proc prev;
        int found;
        r = claim(j, op, rg, reply, a, &prev, &found);
        if (r)
            return r < 0 ? -1 : 0;
        /* The parent reaped the child before the child's own Register
         * arrived (see op_reap): the child is gone. */
        if (rg->claim && found && !strcmp(prev.state, "reaped")) {
            TRY(jexec(j, "DELETE FROM procs WHERE sandbox = ? AND pid = ?", "ii", sb, (int64_t)rg->pid));
            reply_error(reply, a, ESRCH, "process %u was reaped", rg->pid);
            return 0;
        }
        r = get_proc(j, sb, rg->ppid, &parent);
        TRY(r);
        if (!r) {
            reply_error(reply, a, ESRCH, "no parent %u", rg->ppid);
            return 0;
        }
        TRY(jint(j, &n, "SELECT EXISTS(SELECT 1 FROM procs WHERE sandbox = ?1 AND pid = ?2)"
                        " OR EXISTS(SELECT 1 FROM procs WHERE sandbox = ?1 AND pgid = ?2)"
                        " OR EXISTS(SELECT 1 FROM procs WHERE sandbox = ?1 AND sid = ?2)",
                 "ii", sb, (int64_t)rg->pid));
        if (n) {
            reply_error(reply, a, EEXIST, "pid %u is in use", rg->pid);
            return 0;
        }
        /* The pid must come from the parent's lease, or, once the parent has
         * exited and returned its ranges, from no lease at all. */
        int64_t owner = -1;
        sqlite3_stmt *st = jq(j, "SELECT hi, owner FROM ranges WHERE sandbox = ? AND lo <= ?"
                                 " ORDER BY lo DESC LIMIT 1", "ii", sb, (int64_t)rg->pid);
        if (!st)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) >= rg->pid)
            owner = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        int parent_live = !strcmp(parent.state, "live");
        if (owner != parent.pid && !(owner == -1 && !parent_live)) {
            reply_error(reply, a, EPERM, "pid %u is not leased to parent %u", rg->pid, rg->ppid);
            return 0;
        }
        p.pgid = parent.pgid;
        p.sid = parent.sid;
        if (rg->want_range) {
            r = lease_pids(j, sb, p.pid, range_count(rg->want_range), a, &range);
            TRY(r);
            if (!r) {
                reply_error(reply, a, EAGAIN, "pid space exhausted");
                return 0;
            }
        }
    }
    size_t argv_len;
    char *argv = pack_argv(a, rg, &argv_len);
    TRY(jexec(j, "INSERT INTO procs(sandbox, pid, ppid, pgid, sid, state, host, host_pid, client,"
                 " stream, argv, started_ms) VALUES(?, ?, ?, ?, ?, 'live', ?, ?, ?, ?, ?, ?)",
              "iiiiisissbi", sb, p.pid, p.ppid, p.pgid, p.sid, rg->host, (int64_t)rg->host_pid,
              op->client, rg->stream, argv, (int)argv_len, op->time_ms));
    reply_ids(reply, a, &p)->range = range;
    return 0;
}

static int op_lease_range(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__LeaseRange *lr = op->req->lease_range;
    struct proc p;
    int r = own_caller(j, op, lr->caller, &p, reply, a);
    if (r <= 0)
        return r;
    Nsd__PidRange *range;
    r = lease_pids(j, op->sandbox_id, p.pid, range_count(lr->count), a, &range);
    TRY(r);
    if (!r) {
        reply_error(reply, a, EAGAIN, "pid space exhausted");
        return 0;
    }
    reply->body_case = NSD__FRAME__BODY_RANGE;
    reply->range = range;
    return 0;
}

/* Who adopts the orphans of p, as Linux's find_new_reaper: the nearest
 * live ancestor that is a subreaper, else a live pid 1, else no one (0). */
static int find_reaper(struct journal *j, int64_t sb, const struct proc *p, int64_t *reaper)
{
    struct proc up = *p, init;
    *reaper = 0;
    /* A cycle is impossible (a parent is always an older process); the
     * bound only keeps a corrupt journal from looping. */
    for (int depth = 0; up.ppid > 1 && depth < 4096; depth++) {
        int r = get_proc(j, sb, up.ppid, &up);
        TRY(r);
        if (!r)
            break;
        int64_t sub = 0;
        TRY(jint(j, &sub, "SELECT count(*) FROM subreapers WHERE sandbox = ? AND pid = ?", "ii", sb, up.pid));
        if (sub && !strcmp(up.state, "live")) {
            *reaper = up.pid;
            return 0;
        }
    }
    int r = get_proc(j, sb, 1, &init);
    TRY(r);
    *reaper = r && p->pid != 1 && !strcmp(init.state, "live") ? 1 : 0;
    return 0;
}

/*
 * A process ends (exit, or its client vanished): it becomes a zombie (or
 * "lost") for its parent to reap, returns its pid ranges, drops ownership of
 * its SysV objects, and its children are reparented to the nearest live
 * subreaper above it or the sandbox's pid 1, or reaped at once when there
 * is neither. Without a parent it is reaped at once.
 */
static int end_process(struct journal *j, int64_t sb, const struct proc *p, int64_t status,
                       const char *state)
{
    int64_t kids = 0;
    TRY(forget_streams(j, sb, p->pid));
    TRY(jexec(j, "DELETE FROM subreapers WHERE sandbox = ? AND pid = ?", "ii", sb, p->pid));
    /* Most processes end without children (every fork child of a loop):
     * one lookup instead of the walk up to a reaper and four statements
     * over its children. */
    TRY(jint(j, &kids, "SELECT EXISTS(SELECT 1 FROM procs WHERE sandbox = ? AND ppid = ?)", "ii", sb, p->pid));
    if (kids) {
        int64_t reaper;
        TRY(find_reaper(j, sb, p, &reaper));
        TRY(jexec(j, "DELETE FROM procs WHERE sandbox = ? AND ppid = ? AND state = 'reaped'", "ii", sb, p->pid));
        /* Its fork children that have not claimed their rows yet (its
         * client registered them): no client answers for them until their
         * own Register does, so that its client's connection dropping,
         * maybe after it was reaped and its row gone, does not take them
         * for lost. */
        TRY(jexec(j, "UPDATE procs SET client = '' WHERE sandbox = ?1 AND ppid = ?2 AND state = 'live'"
                     " AND client = (SELECT client FROM procs WHERE sandbox = ?1 AND pid = ?2)",
                  "ii", sb, p->pid));
        TRY(jexec(j, "UPDATE procs SET ppid = ?3 WHERE sandbox = ?1 AND ppid = ?2", "iii", sb, p->pid, reaper));
        if (!reaper)
            TRY(jexec(j, "DELETE FROM procs WHERE sandbox = ? AND ppid = 0 AND state != 'live'", "i", sb));
    }
    TRY(jexec(j, "DELETE FROM ranges WHERE sandbox = ? AND owner = ?", "ii", sb, p->pid));
    TRY(jexec(j, "UPDATE sysv SET owner = 0 WHERE sandbox = ? AND owner = ?", "ii", sb, p->pid));
    if (p->ppid == 0)
        return jexec(j, "DELETE FROM procs WHERE sandbox = ? AND pid = ?", "ii", sb, p->pid);
    return jexec(j, "UPDATE procs SET state = ?, status = ? WHERE sandbox = ? AND pid = ?", "siii",
                 state, status, sb, p->pid);
}

static int op_exit(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    struct proc p;
    int r = own_caller(j, op, op->req->exit->pid, &p, reply, a);
    if (r <= 0)
        return r;
    TRY(end_process(j, op->sandbox_id, &p, op->req->exit->status, "zombie"));
    TRY(end_if_over(j, op->sandbox_id));
    reply_ok(reply, a);
    return 0;
}

static int op_lost(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    /* Collect first: end_process() modifies the table being read. */
    int64_t pids[256];
    int n = 0, more = 1;
    while (more) {
        /* Not the fork children this client registered for others (their
         * own Register claims them, see claim()): they live on. Those are
         * the live rows whose parent is this client's process (once that
         * process ended, they have no client: see end_process()). */
        sqlite3_stmt *st = jq(j, "SELECT pid FROM procs c WHERE sandbox = ?1 AND client = ?2"
                                 " AND state = 'live' AND NOT EXISTS (SELECT 1 FROM procs p"
                                 " WHERE p.sandbox = ?1 AND p.client = ?2 AND p.pid = c.ppid)"
                                 " LIMIT 256", "is",
                              (int64_t)op->sandbox_id, op->client);
        if (!st)
            return -1;
        for (n = 0; sqlite3_step(st) == SQLITE_ROW; n++)
            pids[n] = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        more = n == 256;
        for (int i = 0; i < n; i++) {
            struct proc p;
            int r = get_proc(j, op->sandbox_id, pids[i], &p);
            TRY(r);
            if (r)
                TRY(end_process(j, op->sandbox_id, &p, NSD_KILLED_STATUS, "lost"));
        }
    }
    TRY(end_if_over(j, op->sandbox_id));
    reply_ok(reply, a);
    return 0;
}

/* The leader found the host process of an ended (zombie, lost or reaped)
 * process gone: someone reaped it on the host, its parent or the host's
 * init, and the Reap (or the claim a "reaped" row waits for) did not come:
 * a leader that died before committing it, a parent killed right after its
 * wait, a full queue of host reaps, a child killed before it registered. */
static int op_host_reaped(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    TRY(jexec(j, "DELETE FROM procs WHERE sandbox = ? AND pid = ?"
                 " AND state IN ('zombie', 'lost', 'reaped')",
              "ii", (int64_t)op->sandbox_id, (int64_t)op->host_reaped));
    reply_ok(reply, a);
    return 0;
}

/* The leader found the host process of a live fork child dead (a zombie,
 * or gone) before the child's own Register claimed its row: it was killed
 * before it could register, and no connection of its own will drop to say
 * so. It is lost, its parent's zombie, until its parent's wait. A claim
 * still unread makes it live again, then its dropped connection lost. */
static int op_host_died(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    struct proc p;
    int64_t unclaimed = 0;
    int r = get_proc(j, op->sandbox_id, op->host_died, &p);
    TRY(r);
    if (r)
        TRY(jint(j, &unclaimed, "SELECT count(*) FROM procs c WHERE c.sandbox = ? AND c.pid = ?"
                                " AND c.state = 'live' AND " NSD_UNCLAIMED,
                 "ii", (int64_t)op->sandbox_id, (int64_t)op->host_died));
    if (unclaimed)
        TRY(end_process(j, op->sandbox_id, &p, NSD_KILLED_STATUS, "lost"));
    reply_ok(reply, a);
    return 0;
}

static int op_launcher_gone(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    TRY(jexec(j, "UPDATE sandboxes SET launcher_pid = 0 WHERE id = ?", "i", (int64_t)op->sandbox_id));
    TRY(end_if_over(j, op->sandbox_id));
    reply_ok(reply, a);
    return 0;
}

static int op_reap(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__Reap *rp = op->req->reap;
    struct proc caller, child;
    int r = own_caller(j, op, rp->caller, &caller, reply, a);
    if (r <= 0)
        return r;
    r = get_proc(j, op->sandbox_id, rp->pid, &child);
    TRY(r);
    if (!r || child.ppid != caller.pid) {
        reply_error(reply, a, ECHILD, "%u is not a child of %u", rp->pid, rp->caller);
        return 0;
    }
    /* The parent's host saw the child end before the child's Exit (or its
     * dropped connection) reached us, on another connection: it ends now. */
    if (!strcmp(child.state, "live"))
        TRY(end_process(j, op->sandbox_id, &child, NSD_KILLED_STATUS, "zombie"));
    else /* its end came while it still held its listener (its nsd connection closed first) */
        TRY(forget_streams(j, op->sandbox_id, child.pid));
    /* Not claimed by the child yet (still the parent's client, or no
     * client once the parent ended): its own Register may still come, and
     * must not bring it back. A "reaped" row waits for it (or for the
     * parent's end). */
    int64_t unclaimed = 0;
    TRY(jint(j, &unclaimed, "SELECT count(*) FROM procs WHERE sandbox = ? AND pid = ? AND client IN (?, '')",
             "iis", (int64_t)op->sandbox_id, child.pid, op->client));
    if (unclaimed) {
        TRY(jexec(j, "UPDATE procs SET state = 'reaped' WHERE sandbox = ? AND pid = ?", "ii",
                  (int64_t)op->sandbox_id, child.pid));
        reply_ids(reply, a, &child);
        return 0;
    }
    TRY(jexec(j, "DELETE FROM procs WHERE sandbox = ? AND pid = ?", "ii",
              (int64_t)op->sandbox_id, child.pid));
    reply_ids(reply, a, &child);
    return 0;
}

/* setpgid(2) rules, in Linux's order: the target is the caller or its
 * child, live or not reaped yet (ESRCH), in the caller's session (EPERM) that has not exec'd
 * (EACCES: by nsd's record, or what the caller saw first, sp->execed), not
 * a session leader; the group is the target's own or one that exists in
 * the caller's session. */
static int op_setpgid(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__SetPgid *sp = op->req->setpgid;
    int64_t sb = op->sandbox_id, n, execed = 0;
    struct proc caller, t;
    int r = own_caller(j, op, sp->caller, &caller, reply, a);
    if (r <= 0)
        return r;
    int64_t pid = sp->pid ? sp->pid : caller.pid;
    r = read_proc(jq(j, "SELECT ppid, pgid, sid, state, status, execed FROM procs"
                        " WHERE sandbox = ? AND pid = ?", "ii", sb, pid), pid, &t, &execed);
    TRY(r);
    int64_t pgid = sp->pgid ? sp->pgid : pid;
    /* A zombie (or lost) child not reaped yet is still found, as on Linux. */
    if (!r || !strcmp(t.state, "reaped") || (t.pid != caller.pid && t.ppid != caller.pid)) {
        reply_error(reply, a, ESRCH, "%lld is not the caller or its child", (long long)pid);
    } else if (t.sid != caller.sid) {
        reply_error(reply, a, EPERM, "%lld is in another session", (long long)pid);
    } else if (t.pid != caller.pid && (execed || sp->execed)) {
        reply_error(reply, a, EACCES, "%lld has exec'd", (long long)pid);
    } else if (t.sid == t.pid) {
        reply_error(reply, a, EPERM, "%lld is a session leader", (long long)pid);
    } else if (pgid > NSD_PID_MAX) {
        reply_error(reply, a, EPERM, "no process group %lld", (long long)pgid); /* as Linux's */
    } else {
        if (pgid != pid) {
            /* zombies not reaped yet still make the group, as on Linux */
            TRY(jint(j, &n, "SELECT count(*) FROM procs WHERE sandbox = ? AND pgid = ? AND sid = ?"
                            " AND state != 'reaped'", "iii", sb, pgid, caller.sid));
            if (!n) {
                reply_error(reply, a, EPERM, "no process group %lld in the session", (long long)pgid);
                return 0;
            }
        }
        TRY(jexec(j, "UPDATE procs SET pgid = ? WHERE sandbox = ? AND pid = ?", "iii", pgid, sb, pid));
        t.pgid = pgid;
        reply_ids(reply, a, &t);
    }
    return 0;
}

static int op_setsid(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    int64_t sb = op->sandbox_id, n;
    struct proc p;
    int r = own_caller(j, op, op->req->setsid->caller, &p, reply, a);
    if (r <= 0)
        return r;
    /* a zombie member counts until reaped, as on Linux; a reaped row that
     * waits for its claim does not */
    TRY(jint(j, &n, "SELECT count(*) FROM procs WHERE sandbox = ? AND pgid = ? AND state != 'reaped'", "ii",
             sb, p.pid));
    if (n) {
        reply_error(reply, a, EPERM, "%lld is a process group leader", (long long)p.pid);
        return 0;
    }
    TRY(jexec(j, "UPDATE procs SET pgid = ?2, sid = ?2 WHERE sandbox = ?1 AND pid = ?2", "ii", sb, p.pid));
    p.pgid = p.sid = p.pid;
    reply_ids(reply, a, &p);
    return 0;
}

static int op_set_subreaper(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__SetSubreaper *ss = op->req->set_subreaper;
    struct proc p;
    int r = own_caller(j, op, ss->caller, &p, reply, a);
    if (r <= 0)
        return r;
    TRY(jexec(j, ss->on ? "INSERT OR IGNORE INTO subreapers(sandbox, pid) VALUES(?, ?)"
                        : "DELETE FROM subreapers WHERE sandbox = ? AND pid = ?",
              "ii", (int64_t)op->sandbox_id, p.pid));
    reply_ok(reply, a);
    return 0;
}

static Nsd__SysvObj *new_sysv(struct arena *a, int64_t id, int64_t key, int64_t kind, int64_t owner,
                              int64_t creator, int64_t mode)
{
    Nsd__SysvObj *o = arena_alloc(a, sizeof *o);
    nsd__sysv_obj__init(o);
    o->sandbox = "";
    o->owner_stream = "";
    o->id = id;
    o->key = key;
    o->kind = kind;
    o->owner = owner;
    o->creator = creator;
    o->mode = mode;
    return o;
}

static int op_sysv_get(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__SysvGet *g = op->req->sysv_get;
    int64_t sb = op->sandbox_id;
    struct proc p;
    int r = own_caller(j, op, g->caller, &p, reply, a);
    if (r <= 0)
        return r;
    if (g->kind != NSD__SYSV_KIND__SYSV_MSG && g->kind != NSD__SYSV_KIND__SYSV_SEM &&
        g->kind != NSD__SYSV_KIND__SYSV_SHM) {
        reply_error(reply, a, EINVAL, "unknown SysV kind %d", g->kind);
        return 0;
    }
    Nsd__SysvObj *o = NULL;
    if (g->key != NSD_IPC_PRIVATE) {
        sqlite3_stmt *st = jq(j, "SELECT id, owner, creator, mode FROM sysv WHERE sandbox = ? AND"
                                 " key = ? AND kind = ?", "iii", sb, g->key, (int64_t)g->kind);
        if (!st)
            return -1;
        if (sqlite3_step(st) == SQLITE_ROW)
            o = new_sysv(a, sqlite3_column_int64(st, 0), g->key, g->kind, sqlite3_column_int64(st, 1),
                         sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
        sqlite3_reset(st);
        if (o)
            TRY(sysv_get_attr(j, sb, o));
        if (o && (g->flags & NSD_IPC_CREAT) && (g->flags & NSD_IPC_EXCL)) {
            reply_error(reply, a, EEXIST, "key %lld exists (id %u)", (long long)g->key, o->id);
            return 0;
        }
        if (!o && !(g->flags & NSD_IPC_CREAT)) {
            reply_error(reply, a, ENOENT, "no key %lld", (long long)g->key);
            return 0;
        }
    }
    if (!o) {
        int64_t id = 0;
        r = sysv_new_id(j, sb, g->kind, g->mni, g->max_in_use, &id);
        if (r <= 0) {
            if (r == 0)
                reply_error(reply, a, ENOSPC, "no SysV id left (%u objects at most, indexes below %u)",
                            g->max_in_use, g->mni);
            return r;
        }
        TRY(jexec(j, "INSERT INTO sysv VALUES(?, ?, ?, ?, ?, ?, ?)", "iiiiiii", sb, id, g->key,
                  (int64_t)g->kind, p.pid, p.pid, (int64_t)(g->mode & 0777)));
        TRY(sysv_put_attr(j, sb, id, g));
        o = new_sysv(a, id, g->key, g->kind, p.pid, p.pid, g->mode & 0777);
        o->uid = g->uid;
        o->gid = g->gid;
        o->size = g->size;
        o->created = 1;
    }
    reply->body_case = NSD__FRAME__BODY_SYSV_OBJ;
    reply->sysv_obj = o;
    return 0;
}

static int op_sysv_remove(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__SysvRemove *rm = op->req->sysv_remove;
    struct proc p;
    int r = own_caller(j, op, rm->caller, &p, reply, a);
    if (r <= 0)
        return r;
    TRY(jexec(j, "DELETE FROM sysv WHERE sandbox = ?1 AND id = ?2 AND (?3 = 0 OR kind = ?3)", "iii",
              (int64_t)op->sandbox_id, (int64_t)rm->id, (int64_t)rm->kind));
    if (!sqlite3_changes(j->db))
        reply_error(reply, a, EINVAL, "no SysV id %u", rm->id);
    else
        reply_ok(reply, a);
    TRY(sysv_forget(j, op->sandbox_id, rm->kind, rm->id));
    return 0;
}

int apply(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a)
{
    if (op->lost)
        return op_lost(j, op, reply, a);
    if (op->launcher_gone)
        return op_launcher_gone(j, op, reply, a);
    if (op->host_reaped)
        return op_host_reaped(j, op, reply, a);
    if (op->host_died)
        return op_host_died(j, op, reply, a);
    if (!op->req) {
        reply_error(reply, a, EINVAL, "empty operation");
        return 0;
    }
    /* Sandbox administration is for admin ops (sandbox 0); the rest is
     * scoped to the op's sandbox. */
    int admin = op->sandbox_id == 0;
    if (!admin) {
        int64_t one;
        int r = jint(j, &one, "SELECT 1 FROM sandboxes WHERE id = ?", "i", (int64_t)op->sandbox_id);
        if (r <= 0) {
            if (!r)
                reply_error(reply, a, ENOENT, "sandbox %u was destroyed", op->sandbox_id);
            return r;
        }
    }
    switch (op->req->body_case) {
    case NSD__FRAME__BODY_SANDBOX_CREATE:
        if (admin)
            return op_sandbox_create(j, op, reply, a);
        break;
    case NSD__FRAME__BODY_SANDBOX_DESTROY:
        if (admin)
            return op_sandbox_destroy(j, op, reply, a);
        break;
    case NSD__FRAME__BODY_REGISTER:    if (!admin) return op_register(j, op, reply, a); break;
    case NSD__FRAME__BODY_LEASE_RANGE: if (!admin) return op_lease_range(j, op, reply, a); break;
    case NSD__FRAME__BODY_EXIT:        if (!admin) return op_exit(j, op, reply, a); break;
    case NSD__FRAME__BODY_REAP:        if (!admin) return op_reap(j, op, reply, a); break;
    case NSD__FRAME__BODY_SETPGID:     if (!admin) return op_setpgid(j, op, reply, a); break;
    case NSD__FRAME__BODY_SETSID:      if (!admin) return op_setsid(j, op, reply, a); break;
    case NSD__FRAME__BODY_SET_SUBREAPER: if (!admin) return op_set_subreaper(j, op, reply, a); break;
    case NSD__FRAME__BODY_SYSV_GET:    if (!admin) return op_sysv_get(j, op, reply, a); break;
    case NSD__FRAME__BODY_SYSV_REMOVE: if (!admin) return op_sysv_remove(j, op, reply, a); break;
    default:
        reply_error(reply, a, EINVAL, "not an operation (%d)", op->req->body_case);
        return 0;
    }
    reply_error(reply, a, EPERM, "operation %d not allowed for this role", op->req->body_case);
    return 0;
}
