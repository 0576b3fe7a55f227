/*
 * graphenectl: inspect nsd. Every view is a table that prints either as
 * aligned columns or as JSON, so the two outputs never disagree.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "nsdc_posix.h"

static int json;

/* ---- tables ------------------------------------------------------------------ */

#define MAXCOLS 16

struct table {
    const char *key;                  /* JSON member name of the array */
    int ncols;
    const char *head[MAXCOLS];
    int numeric[MAXCOLS];             /* JSON: emit unquoted */
    char **cells;
    int nrows, cap;
};

static void table_init(struct table *t, const char *key, const char *cols)
{
    memset(t, 0, sizeof *t);
    t->key = key;
    /* cols: "NAME NAME# ..." where a trailing # marks a numeric column */
    char *dup = strdup(cols), *save, *tok;
    for (tok = strtok_r(dup, " ", &save); tok && t->ncols < MAXCOLS; tok = strtok_r(NULL, " ", &save)) {
        size_t n = strlen(tok);
        t->numeric[t->ncols] = tok[n - 1] == '#';
        if (t->numeric[t->ncols])
            tok[n - 1] = 0;
        t->head[t->ncols++] = strdup(tok);
    }
    free(dup);
}

static void table_row(struct table *t, ...)
{
    va_list ap;
    if (t->nrows == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->cells = realloc(t->cells, (size_t)t->cap * t->ncols * sizeof *t->cells);
        if (!t->cells)
            abort();
    }
    va_start(ap, t);
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = strdup(va_arg(ap, const char *));
    va_end(ap);
    t->nrows++;
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = *s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void lower_key(const char *h)
{
    char k[32];
    size_t i;
    for (i = 0; h[i] && i < sizeof k - 1; i++)
        k[i] = h[i] >= 'A' && h[i] <= 'Z' ? h[i] - 'A' + 'a' : h[i];
    k[i] = 0;
    json_str(k);
}

/* JSON: "key": [ {...}, ... ]; text: aligned columns under a title. */
static void table_print(struct table *t, const char *title, int first)
{
    if (json) {
        printf("%s", first ? "" : ",\n");
        json_str(t->key);
        printf(": [");
        for (int r = 0; r < t->nrows; r++) {
            printf("%s\n  {", r ? "," : "");
            for (int c = 0; c < t->ncols; c++) {
                const char *v = t->cells[r * t->ncols + c];
                printf("%s", c ? ", " : "");
                lower_key(t->head[c]);
                printf(": ");
                if (t->numeric[c] && *v)
                    printf("%s", strcmp(v, "-") ? v : "null"); /* "-": not known */
                else
                    json_str(v);
            }
            printf("}");
        }
        printf("%s]", t->nrows ? "\n" : "");
        return;
    }
    if (title)
        printf("%s%s\n", first ? "" : "\n", title);
    int w[MAXCOLS];
    for (int c = 0; c < t->ncols; c++) {
        w[c] = strlen(t->head[c]);
        for (int r = 0; r < t->nrows; r++) {
            int n = strlen(t->cells[r * t->ncols + c]);
            w[c] = n > w[c] ? n : w[c];
        }
    }
    for (int r = -1; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *v = r < 0 ? t->head[c] : t->cells[r * t->ncols + c];
            int last = c == t->ncols - 1;
            if (last)
                printf("%s\n", v);
            else if (t->numeric[c])
                printf("%*s  ", w[c], v);
            else
                printf("%-*s  ", w[c], v);
        }
    }
}

static void table_free(struct table *t)
{
    for (int i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    for (int c = 0; c < t->ncols; c++)
        free((char *)t->head[c]);
    free(t->cells);
}

/* A view of one table: in JSON it is the whole object, so it is wrapped here. */
static void print_alone(struct table *t)
{
    if (json)
        printf("{");
    table_print(t, NULL, 1);
    if (json)
        printf("}\n");
    table_free(t);
}

/* Formats into a rotating set of buffers, for table_row arguments. */
static const char *fmt(const char *f, ...)
{
    static char bufs[16][256];
    static int next;
    char *b = bufs[next++ % 16];
    va_list ap;
    va_start(ap, f);
    vsnprintf(b, sizeof bufs[0], f, ap);
    va_end(ap);
    return b;
}

static const char *when(int64_t ms)
{
    if (!ms)
        return "-";
    time_t t = ms / 1000;
    struct tm tm;
    char b[32];
    localtime_r(&t, &tm);
    strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S", &tm);
    return fmt("%s", b);
}

static const char *duration(int64_t ms)
{
    if (ms < 60000)
        return fmt("%lld.%03llds", (long long)ms / 1000, (long long)ms % 1000);
    return fmt("%lldh%02lldm%02llds", (long long)ms / 3600000, (long long)ms / 60000 % 60,
               (long long)ms / 1000 % 60);
}

/* ---- talking to nsd ------------------------------------------------------------ */

static struct nsdc_posix px;
static struct nsdc cl;

static Nsd__Frame *call(Nsd__Frame *req)
{
    Nsd__Frame *rep = NULL;
    int r = nsdc_call(&cl, req, &rep);
    if (r == -ECONNREFUSED || r == -ENOENT || r == -ECONNRESET || r == -EPIPE ||
        r == -ENOTCONN || r == -ESTALE || r == -EHOSTUNREACH || r == -EAGAIN || r == -ETIMEDOUT) {
        fprintf(stderr, "graphenectl: cannot reach nsd at %s: %s\n", px.to.addr, strerror(-r));
        exit(1);
    }
    if (r) {
        fprintf(stderr, "graphenectl: %s\n", cl.err[0] ? cl.err : strerror(-r));
        exit(1);
    }
    return rep;
}

static Nsd__Frame *expect(Nsd__Frame *rep, Nsd__Frame__BodyCase want)
{
    if (rep->body_case != want) {
        fprintf(stderr, "graphenectl: unexpected reply %d from nsd\n", rep->body_case);
        exit(1);
    }
    return rep;
}

/* ---- views ---------------------------------------------------------------------- */

static const char *state_str(const Nsd__Proc *p)
{
    if (!strcmp(p->state, "live"))
        return "live";
    return fmt("%s(%d)", p->state, p->status);
}

static void procs_table(struct table *t, Nsd__Proc **procs, size_t n)
{
    table_init(t, "procs", "SANDBOX PID# PPID# PGID# SID# STATE HOST HOSTPID# STARTED COMMAND");
    for (size_t i = 0; i < n; i++) {
        Nsd__Proc *p = procs[i];
        char cmd[512] = "";
        for (size_t k = 0; k < p->n_argv; k++)
            snprintf(cmd + strlen(cmd), sizeof cmd - strlen(cmd), "%s%s", k ? " " : "", p->argv[k]);
        table_row(t, p->sandbox, fmt("%u", p->pid), fmt("%u", p->ppid), fmt("%u", p->pgid),
                  fmt("%u", p->sid), state_str(p), p->host, fmt("%d", p->host_pid),
                  when(p->started_ms), cmd);
    }
}

/* Every process of sandbox ("": all), a page of Ps at a time. */
static Nsd__Frame *ps_all(const char *sandbox)
{
    Nsd__Ps ps = NSD__PS__INIT;
    Nsd__Page pg = NSD__PAGE__INIT;
    Nsd__Frame req = NSD__FRAME__INIT, *rep = NULL;
    ps.sandbox = (char *)sandbox;
    ps.page = &pg;
    req.body_case = NSD__FRAME__BODY_PS;
    req.ps = &ps;
    int more;
    do
        more = nsdc_page(&cl, &rep, expect(call(&req), NSD__FRAME__BODY_PROC_LIST), &pg);
    while (more > 0);
    if (more < 0) {
        fprintf(stderr, "graphenectl: ps: %s\n", strerror(-more));
        exit(1);
    }
    return rep;
}

static int cmd_ps(const char *sandbox)
{
    Nsd__Frame *rep = ps_all(sandbox);
    struct table t;
    procs_table(&t, rep->proc_list->procs, rep->proc_list->n_procs);
    print_alone(&t);
    nsdc_free(&cl, rep);
    return 0;
}

static void node_row(struct table *t, const Nsd__StatusReply *s, const Nsd__Node *n, int64_t now)
{
    int self = !strcmp(n->id, s->self);
    table_row(t, n->role, n->id, n->pid ? fmt("%d", n->pid) : "",
              self ? fmt("%llu", (unsigned long long)n->term) : "",
              self ? fmt("%llu", (unsigned long long)n->commit_index) : "",
              self ? fmt("%llu", (unsigned long long)n->applied_index) : "",
              self || !strcmp(s->leader->id, s->self) ? fmt("%llu", (unsigned long long)n->match_index) : "",
              self || !strcmp(s->leader->id, s->self) ? fmt("%llu", (unsigned long long)n->lag) : "",
              n->started_ms ? duration(now - n->started_ms) : "", self ? "yes" : "", n->address);
}

/* Every node as the answering one (SELF) sees it: a single nsd is its own
 * leader; in a raft group the leader also knows each node's MATCH (how far
 * it holds the log) and LAG (entries behind the leader's last). */
static void leader_table(struct table *t, const Nsd__StatusReply *s)
{
    table_init(t, "nodes", "ROLE NODE PID# TERM# COMMIT# APPLIED# MATCH# LAG# UPTIME SELF ADDRESS");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (s->leader->id[0])
        node_row(t, s, s->leader, now);
    for (size_t i = 0; i < s->n_standbys; i++)
        node_row(t, s, s->standbys[i], now);
}

static int cmd_node(const char *what, const char *id, const char *address)
{
    Nsd__NodeAdd add = NSD__NODE_ADD__INIT;
    Nsd__NodeRemove rm = NSD__NODE_REMOVE__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    char *end;
    unsigned long long n = strtoull(id, &end, 10);
    if (!n || *end) {
        fprintf(stderr, "graphenectl: nsd %s: node id must be a number > 0\n", what);
        return 2;
    }
    if (address) {
        add.id = n;
        add.address = (char *)address;
        req.body_case = NSD__FRAME__BODY_NODE_ADD;
        req.node_add = &add;
    } else {
        rm.id = n;
        req.body_case = NSD__FRAME__BODY_NODE_REMOVE;
        req.node_remove = &rm;
    }
    nsdc_free(&cl, expect(call(&req), NSD__FRAME__BODY_OK));
    return 0;
}

static int cmd_status(void)
{
    Nsd__Status st = NSD__STATUS__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    req.body_case = NSD__FRAME__BODY_STATUS;
    req.status = &st;
    Nsd__Frame *rep = expect(call(&req), NSD__FRAME__BODY_STATUS_REPLY);
    struct table t;
    leader_table(&t, rep->status_reply);
    print_alone(&t);
    nsdc_free(&cl, rep);
    return 0;
}

static const char *kind_str(int k)
{
    return k == NSD__SYSV_KIND__SYSV_MSG ? "msg" : k == NSD__SYSV_KIND__SYSV_SEM ? "sem"
           : k == NSD__SYSV_KIND__SYSV_SHM ? "shm" : "?";
}

static int cmd_ns_show(const char *what, const char *sandbox)
{
    int all = !what;
    if (what && strcmp(what, "pid") && strcmp(what, "sysv") && strcmp(what, "pgrp")) {
        fprintf(stderr, "graphenectl: ns show: unknown view %s (pid, sysv or pgrp)\n", what);
        return 2;
    }
    Nsd__NsShow ns = NSD__NS_SHOW__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    ns.sandbox = (char *)sandbox;
    req.body_case = NSD__FRAME__BODY_NS_SHOW;
    req.ns_show = &ns;
    Nsd__Frame *rep = expect(call(&req), NSD__FRAME__BODY_NS_SHOW_REPLY);
    Nsd__NsShowReply *r = rep->ns_show_reply;
    Nsd__Frame *ps = all || !strcmp(what, "pid") ? ps_all(sandbox) : NULL;
    struct table t;
    if (json)
        printf("{");
    leader_table(&t, r->leader);
    table_print(&t, "Leader", 1);   /* always first: the other tables follow it */
    table_free(&t);
    if (all || !strcmp(what, "pid")) {
        Nsd__ProcList *pl = ps->proc_list;
        table_init(&t, "ranges", "SANDBOX LO# HI# COUNT# OWNER# COMMAND");
        for (size_t i = 0; i < r->n_ranges; i++) {
            Nsd__PidRange *pr = r->ranges[i];
            const char *cmd = "";
            for (size_t k = 0; k < pl->n_procs; k++)
                if (pl->procs[k]->pid == pr->owner && !strcmp(pl->procs[k]->sandbox, pr->sandbox) &&
                    pl->procs[k]->n_argv)
                    cmd = pl->procs[k]->argv[0];
            table_row(&t, pr->sandbox, fmt("%u", pr->lo), fmt("%u", pr->hi),
                      fmt("%u", pr->hi - pr->lo + 1), fmt("%u", pr->owner), cmd);
        }
        table_print(&t, "PID ranges", 0);
        table_free(&t);
        procs_table(&t, pl->procs, pl->n_procs);
        table_print(&t, "PIDs", 0);
        table_free(&t);
    }
    if (all || !strcmp(what, "sysv")) {
        table_init(&t, "sysv", "SANDBOX KIND KEY ID# OWNER# CREATOR# MODE UID# GID# SIZE# MSGS# BYTES# OWNER-STREAM");
        for (size_t i = 0; i < r->n_sysv; i++) {
            Nsd__SysvObj *o = r->sysv[i];
            table_row(&t, o->sandbox, kind_str(o->kind), fmt("0x%08llx", (unsigned long long)o->key),
                      fmt("%u", o->id), fmt("%u", o->owner), fmt("%u", o->creator),
                      fmt("%04o", o->mode), fmt("%u", o->uid), fmt("%u", o->gid),
                      fmt("%llu", (unsigned long long)o->size),
                      o->counted ? fmt("%llu", (unsigned long long)o->messages) : "-",
                      o->counted ? fmt("%llu", (unsigned long long)o->bytes) : "-", o->owner_stream);
        }
        table_print(&t, "SysV keys", 0);
        table_free(&t);
    }
    if (all || !strcmp(what, "pgrp")) {
        table_init(&t, "groups", "SANDBOX SID# PGID# MEMBERS");
        for (size_t i = 0; i < r->n_groups; i++) {
            Nsd__Group *g = r->groups[i];
            char m[1024] = "";
            for (size_t k = 0; k < g->n_members; k++)
                snprintf(m + strlen(m), sizeof m - strlen(m), "%s%u", k ? " " : "", g->members[k]);
            table_row(&t, g->sandbox, fmt("%u", g->sid), fmt("%u", g->pgid), m);
        }
        table_print(&t, "Sessions and process groups", 0);
        table_free(&t);
    }
    if (json)
        printf("}\n");
    nsdc_free(&cl, ps);
    nsdc_free(&cl, rep);
    return 0;
}

static int cmd_sandbox(const char *sub, const char *name)
{
    Nsd__Frame req = NSD__FRAME__INIT;
    if (!strcmp(sub, "ls")) {
        Nsd__SandboxLs ls = NSD__SANDBOX_LS__INIT;
        req.body_case = NSD__FRAME__BODY_SANDBOX_LS;
        req.sandbox_ls = &ls;
        Nsd__Frame *rep = expect(call(&req), NSD__FRAME__BODY_SANDBOX_LIST);
        struct table t;
        table_init(&t, "sandboxes", "NAME ID# PROCS# CREATED");
        for (size_t i = 0; i < rep->sandbox_list->n_sandboxes; i++) {
            Nsd__Sandbox *s = rep->sandbox_list->sandboxes[i];
            table_row(&t, s->name, fmt("%u", s->id), fmt("%u", s->nprocs), when(s->created_ms));
        }
        print_alone(&t);
        nsdc_free(&cl, rep);
        return 0;
    }
    if (!name) {
        fprintf(stderr, "graphenectl: sandbox %s needs a NAME\n", sub);
        return 2;
    }
    if (!strcmp(sub, "create")) {
        /* Prints the sandbox secret (hex): whoever starts picoprocesses needs it. */
        Nsd__SandboxCreate sc = NSD__SANDBOX_CREATE__INIT;
        sc.name = (char *)name;
        req.body_case = NSD__FRAME__BODY_SANDBOX_CREATE;
        req.sandbox_create = &sc;
        Nsd__Frame *rep = expect(call(&req), NSD__FRAME__BODY_SANDBOX);
        char hex[2 * NSD_SECRET_LEN + 1];
        nsd_hex(hex, rep->sandbox->secret.data, rep->sandbox->secret.len < NSD_SECRET_LEN ?
                rep->sandbox->secret.len : NSD_SECRET_LEN);
        printf("%s\n", hex);
        nsdc_free(&cl, rep);
        return 0;
    }
    if (!strcmp(sub, "rm")) {
        Nsd__SandboxDestroy sd = NSD__SANDBOX_DESTROY__INIT;
        sd.name = (char *)name;
        req.body_case = NSD__FRAME__BODY_SANDBOX_DESTROY;
        req.sandbox_destroy = &sd;
        nsdc_free(&cl, expect(call(&req), NSD__FRAME__BODY_OK));
        return 0;
    }
    fprintf(stderr, "graphenectl: unknown sandbox command %s\n", sub);
    return 2;
}

/* -9, -KILL or -SIGKILL (as kill(1)); -1 if none. */
static int parse_signal(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s && !*end)
        return v >= 0 && v <= 64 ? (int)v : -1;
    if (!strncmp(s, "SIG", 3))
        s += 3;
    for (int sig = 1; sig < NSIG; sig++) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev && !strcmp(abbrev, s))
            return sig;
    }
    return -1;
}

/* kill [-SIG] PID|-PGID --sandbox S: nsd finds the target's host pid(s) in
 * that sandbox and sends the host signal itself (a pidfd per target). */
static int cmd_kill(const char *const *args, int nargs, const char *sandbox)
{
    int sig = SIGTERM;
    if (nargs == 2 && (sig = parse_signal(args[0] + 1)) < 0) {
        fprintf(stderr, "graphenectl: kill: unknown signal %s\n", args[0]);
        return 2;
    }
    const char *target = args[nargs - 1];
    char *end;
    long id = strtol(target, &end, 10);
    if (!*sandbox || *end || !id || id < -4194304 || id > 4194304) {
        fprintf(stderr, "graphenectl: kill needs --sandbox S and a PID or -PGID\n");
        return 2;
    }
    Nsd__Kill k = NSD__KILL__INIT;
    Nsd__Frame req = NSD__FRAME__INIT;
    k.sandbox = (char *)sandbox;
    k.pid = id > 0 ? (uint32_t)id : 0;
    k.pgid = id < 0 ? (uint32_t)-id : 0;
    k.sig = sig;
    req.body_case = NSD__FRAME__BODY_KILL;
    req.kill = &k;
    Nsd__Frame *rep = expect(call(&req), NSD__FRAME__BODY_PROC_LIST);
    nsdc_free(&cl, rep);
    return 0;
}

static int usage(FILE *f, int rc)
{
    fprintf(f, "usage: graphenectl [--nsd ADDRESS] [--json] COMMAND\n"
               "  ps [--sandbox S]                     processes of every (or one) sandbox\n"
               "  ns show [pid|sysv|pgrp] [--sandbox S] namespaces: leader, PID ranges, SysV, groups\n"
               "  sandbox ls | create NAME | rm NAME   sandboxes (create prints the secret)\n"
               "  nsd status                           every node: role, term, commit/applied, lag\n"
               "  nsd add-node ID HOST:PORT | remove-node ID   raft group membership\n"
               "  kill [-SIG] --sandbox S PID|-PGID    signal a process or group (default TERM)\n"
               "ADDRESS is a unix socket path or tcp:HOST:PORT (default: $GRAPHENE_NSD or the\n"
               "local nsd socket).\n");
    return rc;
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *sandbox = "", *pos[4] = { 0 };
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--nsd") && i + 1 < argc)
            addr = argv[++i];
        else if (!strcmp(argv[i], "--sandbox") && i + 1 < argc)
            sandbox = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return usage(stdout, 0);
        else if ((argv[i][0] == '-' && !(npos && !strcmp(pos[0], "kill") && argv[i][1])) || npos == 4)
            return usage(stderr, 2);
        else
            pos[npos++] = argv[i];
    }
    if (!npos)
        return usage(stderr, 2);
    if (nsdc_posix_init(&px, addr)) {
        fprintf(stderr, "graphenectl: libsodium failed to initialize\n");
        return 1;
    }
    nsdc_init(&cl, &px.ops, NSD__ROLE__ROLE_ADMIN, NULL, NULL);
    cl.retry_ms = 5000;   /* long enough to ride out a raft election */
    int rc;
    if (!strcmp(pos[0], "ps") && npos == 1)
        rc = cmd_ps(sandbox);
    else if (!strcmp(pos[0], "ns") && npos >= 2 && npos <= 3 && !strcmp(pos[1], "show"))
        rc = cmd_ns_show(pos[2], sandbox);
    else if (!strcmp(pos[0], "sandbox") && npos >= 2)
        rc = cmd_sandbox(pos[1], pos[2]);
    else if (!strcmp(pos[0], "nsd") && npos == 2 && !strcmp(pos[1], "status"))
        rc = cmd_status();
    else if (!strcmp(pos[0], "nsd") && npos == 4 && !strcmp(pos[1], "add-node"))
        rc = cmd_node(pos[1], pos[2], pos[3]);
    else if (!strcmp(pos[0], "nsd") && npos == 3 && !strcmp(pos[1], "remove-node"))
        rc = cmd_node(pos[1], pos[2], NULL);
    else if (!strcmp(pos[0], "kill") && (npos == 2 || (npos == 3 && pos[1][0] == '-')))
        rc = cmd_kill(pos + 1, npos - 1, sandbox);
    else
        rc = usage(stderr, 2);
    nsdc_close(&cl);
    return rc;
}
