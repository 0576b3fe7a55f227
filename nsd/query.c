#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "apply.h"
#include "nsdc.h"
#include "query.h"
#include "sysv.h"

/* Growable array of pointers in the arena (old copies are just left behind). */
struct vec {
    void **v;
    size_t n, cap;
};

static void push(struct arena *a, struct vec *v, void *p)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        void **nv = arena_alloc(a, cap * sizeof *nv);
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof *nv);
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = p;
}

static char *col_str(struct arena *a, sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return arena_strdup(a, s ? (const char *)s : "");
}

/* Builds the reply object for the row st is on. */
typedef void *row_fn(struct arena *a, sqlite3_stmt *st);

/* Steps st (NULL: it failed to prepare) to its end, one object a row into out. */
static int rows(sqlite3_stmt *st, struct arena *a, row_fn *row, struct vec *out)
{
    if (!st)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        push(a, out, row(a, st));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The object for the first row of st, NULL in *out when it selects none. */
static int first_row(sqlite3_stmt *st, struct arena *a, row_fn *row, void **out)
{
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? row(a, st) : NULL;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

#define PROC_SELECT \
    "SELECT s.name, p.pid, p.ppid, p.pgid, p.sid, p.state, p.status, p.host, p.host_pid," \
    " p.started_ms, p.argv, p.stream FROM procs p JOIN sandboxes s ON s.id = p.sandbox "

static void *proc_row(struct arena *a, sqlite3_stmt *st)
{
    Nsd__Proc *p = arena_alloc(a, sizeof *p);
    nsd__proc__init(p);
    p->sandbox = col_str(a, st, 0);
    p->pid = sqlite3_column_int64(st, 1);
    p->ppid = sqlite3_column_int64(st, 2);
    p->pgid = sqlite3_column_int64(st, 3);
    p->sid = sqlite3_column_int64(st, 4);
    p->state = col_str(a, st, 5);
    p->status = sqlite3_column_int64(st, 6);
    p->host = col_str(a, st, 7);
    p->host_pid = sqlite3_column_int64(st, 8);
    p->started_ms = sqlite3_column_int64(st, 9);
    const char *argv = sqlite3_column_blob(st, 10);
    int len = sqlite3_column_bytes(st, 10);
    struct vec args = { 0 };
    for (int off = 0; argv && off < len; off += strlen(argv + off) + 1)
        push(a, &args, arena_strdup(a, argv + off));
    p->argv = (char **)args.v;
    p->n_argv = args.n;
    p->stream = col_str(a, st, 11);
    return p;
}

static int q_lookup(struct journal *j, uint32_t sb, const Nsd__Lookup *l, Nsd__Frame *reply,
                    struct arena *a)
{
    void *p;
    if (first_row(jq(j, PROC_SELECT "WHERE p.sandbox = ? AND p.pid = ?", "ii", (int64_t)sb,
                     (int64_t)l->pid), a, proc_row, &p))
        return -1;
    /* The lease holding the number: the ranges of one sandbox do not
     * overlap, so it is the one starting at or below it. */
    if (!p && l->thread_owner &&
        first_row(jq(j, PROC_SELECT "JOIN ranges r ON r.sandbox = p.sandbox AND r.owner = p.pid"
                        " WHERE r.sandbox = ? AND r.lo = (SELECT max(lo) FROM ranges WHERE sandbox = ?"
                        " AND lo <= ?) AND r.hi >= ? AND p.state = 'live'",
                     "iiii", (int64_t)sb, (int64_t)sb, (int64_t)l->pid, (int64_t)l->pid),
                  a, proc_row, &p))
        return -1;
    if (p) {
        reply->body_case = NSD__FRAME__BODY_PROC;
        reply->proc = p;
    } else {
        reply_error(reply, a, ESRCH, "no process %u", l->pid);
    }
    return 0;
}

/* A PROC_SELECT statement into a ProcList reply. A Ps or Members page (pg
 * set) stops at the page's limit and at a byte budget under NSD_FRAME_MAX
 * (the frame's own fields take little), whatever the command lines, and says
 * more rows remain; at least one row, so that the reader always advances. */
static int proc_page(sqlite3_stmt *st, const Nsd__Page *pg, Nsd__Frame *reply, struct arena *a)
{
    const size_t budget = pg ? NSD_FRAME_MAX - 4096 : SIZE_MAX;
    size_t limit = pg && pg->limit ? pg->limit : SIZE_MAX, size = 0;
    struct vec v = { 0 };
    bool more = false;
    int rc;
    if (!st)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        Nsd__Proc *p = proc_row(a, st);
        size_t sz = nsd__proc__get_packed_size(p) + 8; /* + tag and length */
        if (v.n == limit || (v.n && sz > budget - size)) {
            more = true;
            break;
        }
        size += sz;
        push(a, &v, p);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return -1;
    Nsd__ProcList *pl = arena_alloc(a, sizeof *pl);
    nsd__proc_list__init(pl);
    pl->procs = (Nsd__Proc **)v.v;
    pl->n_procs = v.n;
    pl->more = more;
    reply->body_case = NSD__FRAME__BODY_PROC_LIST;
    reply->proc_list = pl;
    return 0;
}

static int q_members(struct journal *j, uint32_t sb, const Nsd__Members *m, Nsd__Frame *reply,
                     struct arena *a)
{
    int64_t after = m->page ? m->page->after_pid : 0;
    sqlite3_stmt *st;
    if (m->all)
        st = jq(j, PROC_SELECT "WHERE p.sandbox = ? AND p.state = 'live' AND p.pid > ?"
                               " ORDER BY p.pid", "ii", (int64_t)sb, after);
    else if (m->pgid)
        st = jq(j, PROC_SELECT "WHERE p.sandbox = ? AND p.pgid = ? AND p.state = 'live'"
                               " AND p.pid > ? ORDER BY p.pid", "iii", (int64_t)sb,
                (int64_t)m->pgid, after);
    else
        st = jq(j, PROC_SELECT "WHERE p.sandbox = ? AND p.sid = ? AND p.state = 'live'"
                               " AND p.pid > ? ORDER BY p.pid", "iii", (int64_t)sb,
                (int64_t)m->sid, after);
    return proc_page(st, m->page, reply, a);
}

/* Admin requests name a sandbox ("" = all); picoprocesses see only theirs. */
#define SCOPE "(?1 != 0 AND s.id = ?1 OR ?1 = 0 AND (?2 = '' OR s.name = ?2)) "

static int q_ps(struct journal *j, uint32_t sb, const Nsd__Ps *ps, Nsd__Frame *reply, struct arena *a)
{
    const Nsd__Page *pg = ps->page;
    return proc_page(jq(j, PROC_SELECT "WHERE " SCOPE "AND (s.name > ?3 OR s.name = ?3 AND p.pid > ?4)"
                           " ORDER BY s.name, p.pid", "issi", (int64_t)sb, ps->sandbox,
                        pg ? pg->after_sandbox : "", pg ? (int64_t)pg->after_pid : 0), pg, reply, a);
}

#define SYSV_SELECT \
    "SELECT s.name, v.key, v.id, v.kind, v.owner, v.creator, v.mode, coalesce(p.stream, '')," \
    " coalesce(t.uid, 0), coalesce(t.gid, 0), coalesce(t.size, 0), v.sandbox" \
    " FROM sysv v JOIN sandboxes s ON s.id = v.sandbox" \
    " LEFT JOIN procs p ON p.sandbox = v.sandbox AND p.pid = v.owner" \
    " LEFT JOIN sysv_attr t ON t.sandbox = v.sandbox AND t.kind = v.kind AND t.id = v.id "

static void *sysv_row(struct arena *a, sqlite3_stmt *st)
{
    Nsd__SysvObj *o = arena_alloc(a, sizeof *o);
    nsd__sysv_obj__init(o);
    o->sandbox = col_str(a, st, 0);
    o->key = sqlite3_column_int64(st, 1);
    o->id = sqlite3_column_int64(st, 2);
    o->kind = sqlite3_column_int64(st, 3);
    o->owner = sqlite3_column_int64(st, 4);
    o->creator = sqlite3_column_int64(st, 5);
    o->mode = sqlite3_column_int64(st, 6);
    o->owner_stream = col_str(a, st, 7);
    o->uid = (uint32_t)sqlite3_column_int64(st, 8);
    o->gid = (uint32_t)sqlite3_column_int64(st, 9);
    o->size = (uint64_t)sqlite3_column_int64(st, 10);
    return o;
}

/* ns show: with the counts of the live queue. */
static void *sysv_row_counted(struct arena *a, sqlite3_stmt *st)
{
    Nsd__SysvObj *o = sysv_row(a, st);
    sysv_count((uint32_t)sqlite3_column_int64(st, 11), o);
    return o;
}

static int q_sysv_lookup(struct journal *j, uint32_t sb, const Nsd__SysvLookup *l,
                         Nsd__Frame *reply, struct arena *a)
{
    sqlite3_stmt *st = l->id
        ? jq(j, SYSV_SELECT "WHERE v.sandbox = ?1 AND v.id = ?2 AND (?3 = 0 OR v.kind = ?3)", "iii",
             (int64_t)sb, (int64_t)l->id, (int64_t)l->kind)
        : jq(j, SYSV_SELECT "WHERE v.sandbox = ? AND v.key = ? AND v.kind = ?", "iii", (int64_t)sb,
             l->key, (int64_t)l->kind);
    void *o;
    if (first_row(st, a, sysv_row, &o))
        return -1;
    if (o) {
        reply->body_case = NSD__FRAME__BODY_SYSV_OBJ;
        reply->sysv_obj = o;
    } else {
        reply_error(reply, a, l->id ? EINVAL : ENOENT, "no such SysV object");
    }
    return 0;
}

static Nsd__StatusReply *status(struct journal *j, const struct node_info *self, struct arena *a)
{
    Nsd__StatusReply *s = arena_alloc(a, sizeof *s);
    nsd__status_reply__init(s);
    int64_t now = now_ms(), pos = 0;
    s->self = (char *)self->node;
    s->term = self->term;
    if (self->members) {
        self->members(self->arg, s, a);
    } else {
        s->leader = arena_alloc(a, sizeof *s->leader);
        nsd__node__init(s->leader);
        s->leader->id = (char *)self->node;
        s->leader->role = "leader";
        s->leader->pid = self->pid;
        s->leader->started_ms = self->started_ms;
        s->leader->last_seen_ms = now;
    }
    jint(j, &pos, "SELECT max(pos) FROM oplog", "");
    s->journal_pos = pos;
    if (!self->members)   /* a single node commits what it applies */
        s->leader->commit_index = s->leader->applied_index = s->leader->match_index = pos;
    s->uptime_ms = now - self->started_ms;
    return s;
}

static void *range_row(struct arena *a, sqlite3_stmt *st)
{
    Nsd__PidRange *pr = arena_alloc(a, sizeof *pr);
    nsd__pid_range__init(pr);
    pr->sandbox = col_str(a, st, 0);
    pr->lo = sqlite3_column_int64(st, 1);
    pr->hi = sqlite3_column_int64(st, 2);
    pr->owner = sqlite3_column_int64(st, 3);
    return pr;
}

static int q_ns_show(struct journal *j, uint32_t sb, const char *name, const struct node_info *self,
                     Nsd__Frame *reply, struct arena *a)
{
    Nsd__NsShowReply *r = arena_alloc(a, sizeof *r);
    nsd__ns_show_reply__init(r);
    r->leader = status(j, self, a);
    struct vec ranges = { 0 }, sysv = { 0 }, groups = { 0 };

    if (rows(jq(j, "SELECT s.name, r.lo, r.hi, r.owner FROM ranges r JOIN sandboxes s"
                   " ON s.id = r.sandbox WHERE " SCOPE "ORDER BY s.name, r.lo", "is",
                (int64_t)sb, name), a, range_row, &ranges) ||
        rows(jq(j, SYSV_SELECT "WHERE " SCOPE "ORDER BY s.name, v.id", "is", (int64_t)sb, name),
             a, sysv_row_counted, &sysv))
        return -1;

    /* Groups and sessions: one entry per (sandbox, sid, pgid) with its members. */
    if (proc_page(jq(j, PROC_SELECT "WHERE " SCOPE "ORDER BY s.name, p.sid, p.pgid, p.pid", "is",
                     (int64_t)sb, name), NULL, reply, a))
        return -1;
    Nsd__ProcList *pl = reply->proc_list;
    Nsd__Group *g = NULL;
    struct vec members = { 0 };
    for (size_t i = 0; i <= pl->n_procs; i++) {
        Nsd__Proc *p = i < pl->n_procs ? pl->procs[i] : NULL;
        if (g && (!p || p->pgid != g->pgid || p->sid != g->sid || strcmp(p->sandbox, g->sandbox))) {
            g->n_members = members.n;
            uint32_t *ids = arena_alloc(a, members.n * sizeof *ids + 1);
            for (size_t k = 0; k < members.n; k++)
                ids[k] = ((Nsd__Proc *)members.v[k])->pid;
            g->members = ids;
            g = NULL;
        }
        if (!p)
            break;
        if (!g) {
            g = arena_alloc(a, sizeof *g);
            nsd__group__init(g);
            g->sandbox = p->sandbox;
            g->pgid = p->pgid;
            g->sid = p->sid;
            members = (struct vec){ 0 };
            push(a, &groups, g);
        }
        push(a, &members, p);
    }
    r->ranges = (Nsd__PidRange **)ranges.v;
    r->n_ranges = ranges.n;
    r->sysv = (Nsd__SysvObj **)sysv.v;
    r->n_sysv = sysv.n;
    r->groups = (Nsd__Group **)groups.v;
    r->n_groups = groups.n;
    reply->body_case = NSD__FRAME__BODY_NS_SHOW_REPLY;
    reply->ns_show_reply = r;
    return 0;
}

static void *sandbox_row(struct arena *a, sqlite3_stmt *st)
{
    Nsd__Sandbox *s = arena_alloc(a, sizeof *s);
    nsd__sandbox__init(s);
    s->name = col_str(a, st, 0);
    s->id = sqlite3_column_int64(st, 1);
    s->created_ms = sqlite3_column_int64(st, 2);
    s->nprocs = sqlite3_column_int64(st, 3);
    return s;
}

static int q_sandbox_ls(struct journal *j, Nsd__Frame *reply, struct arena *a)
{
    struct vec v = { 0 };
    if (rows(jq(j, "SELECT s.name, s.id, s.created_ms, (SELECT count(*) FROM procs p"
                   " WHERE p.sandbox = s.id AND p.state = 'live') FROM sandboxes s"
                   " ORDER BY s.name", ""), a, sandbox_row, &v))
        return -1;
    Nsd__SandboxList *l = arena_alloc(a, sizeof *l);
    nsd__sandbox_list__init(l);
    l->sandboxes = (Nsd__Sandbox **)v.v;
    l->n_sandboxes = v.n;
    reply->body_case = NSD__FRAME__BODY_SANDBOX_LIST;
    reply->sandbox_list = l;
    return 0;
}

/* Admin only (the server refuses it to picoprocesses): a sandbox's secret
 * leaves nsd only for the launcher that starts processes in it. */
static int q_sandbox_join(struct journal *j, const char *name, Nsd__Frame *reply, struct arena *a)
{
    sqlite3_stmt *st = jq(j, "SELECT s.name, s.id, s.created_ms, (SELECT count(*) FROM procs p"
                             " WHERE p.sandbox = s.id AND p.state = 'live'), s.secret"
                             " FROM sandboxes s WHERE s.name = ?", "s", name);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        Nsd__Sandbox *s = sandbox_row(a, st);
        s->secret.len = sqlite3_column_bytes(st, 4);
        s->secret.data = arena_alloc(a, s->secret.len + 1);
        memcpy(s->secret.data, sqlite3_column_blob(st, 4), s->secret.len);
        reply->body_case = NSD__FRAME__BODY_SANDBOX;
        reply->sandbox = s;
    } else if (rc == SQLITE_DONE) {
        reply_error(reply, a, ENOENT, "no sandbox %s", name);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* The live targets of an admin Kill; server.c sends the signals. */
static int q_kill(struct journal *j, const Nsd__Kill *k, Nsd__Frame *reply, struct arena *a)
{
    if (k->sig < 0 || k->sig > 64 || !k->pid == !k->pgid) {
        reply_error(reply, a, EINVAL, "kill: a signal 0-64 and one pid or one process group");
        return 0;
    }
    if (proc_page(jq(j, PROC_SELECT "WHERE s.name = ? AND p.state = 'live' AND"
                        " (p.pid = ? OR p.pgid = ?) ORDER BY p.pid", "sii", k->sandbox,
                     (int64_t)k->pid, k->pgid ? (int64_t)k->pgid : -1), NULL, reply, a))
        return -1;
    if (!reply->proc_list->n_procs)
        reply_error(reply, a, ESRCH, "no live %s %u in sandbox %s", k->pid ? "process" : "process group",
                    k->pid ? k->pid : k->pgid, k->sandbox);
    return 0;
}

int query(struct journal *j, uint32_t sb, const struct node_info *self, const Nsd__Frame *req, Nsd__Frame *reply, struct arena *a)
{
    switch (req->body_case) {
    case NSD__FRAME__BODY_LOOKUP: return q_lookup(j, sb, req->lookup, reply, a);
    case NSD__FRAME__BODY_MEMBERS: return q_members(j, sb, req->members, reply, a);
    case NSD__FRAME__BODY_SYSV_LOOKUP: return q_sysv_lookup(j, sb, req->sysv_lookup, reply, a);
    case NSD__FRAME__BODY_PS: return q_ps(j, sb, req->ps, reply, a);
    case NSD__FRAME__BODY_NS_SHOW: return q_ns_show(j, sb, req->ns_show->sandbox, self, reply, a);
    case NSD__FRAME__BODY_SANDBOX_LS: return q_sandbox_ls(j, reply, a);
    case NSD__FRAME__BODY_SANDBOX_JOIN: return q_sandbox_join(j, req->sandbox_join->name, reply, a);
    case NSD__FRAME__BODY_KILL: return q_kill(j, req->kill, reply, a);
    case NSD__FRAME__BODY_STATUS:
        reply->body_case = NSD__FRAME__BODY_STATUS_REPLY;
        reply->status_reply = status(j, self, a);
        return 0;
    default:
        reply_error(reply, a, EINVAL, "not a query (%d)", req->body_case);
        return 0;
    }
}
