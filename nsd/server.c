#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <unistd.h>
#include <sys/pidfd.h>
#include <sys/file.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include "apply.h"
#include "auth.h"
#include "embedded.h"
#include "nsdc_posix.h"
#include "server.h"
#include "streams.h"
#include "sysv.h"
#include "tickets.h"

/* Input beyond this stops reading until the frames in it are handled. */
#define CONN_INPUT_MAX (4u * NSD_FRAME_MAX)
/* A connection that has not said hello by then is dropped. */
#define HELLO_TIMEOUT_S 5

static void drop_clients(struct nsd *n);
static void exit_nsd(struct nsd *n, const char *why);
static void answer_read(struct conn *c, Nsd__Frame *req);

/* ---- sending ----------------------------------------------------------------- */

/* A frame's header: its body's length, big-endian. */
static void frame_header(uint8_t hdr[NSD_FRAME_HDR], size_t len)
{
    hdr[0] = (uint8_t)(len >> 24), hdr[1] = (uint8_t)(len >> 16), hdr[2] = (uint8_t)(len >> 8);
    hdr[3] = (uint8_t)len;
}

static void write_bytes(struct bufferevent *bev, const uint8_t *body, size_t len)
{
    uint8_t hdr[NSD_FRAME_HDR];
    frame_header(hdr, len);
    bufferevent_write(bev, hdr, sizeof hdr);
    bufferevent_write(bev, body, len);
}

/* The body length of the whole frame at in's head; -1 while it is not all
 * there, -2 if it is over NSD_FRAME_MAX. */
static long head_frame(struct evbuffer *in)
{
    uint8_t hdr[NSD_FRAME_HDR];
    if (evbuffer_copyout(in, hdr, sizeof hdr) != (ssize_t)sizeof hdr)
        return -1;
    uint32_t len = nsdc_frame_len(hdr);
    if (len > NSD_FRAME_MAX)
        return -2;
    return evbuffer_get_length(in) < NSD_FRAME_HDR + (size_t)len ? -1 : (long)len;
}

static void send_bytes(struct conn *c, const uint8_t *body, size_t len)
{
    if (c->bev)
        write_bytes(c->bev, body, len);
}

static void write_frame(struct bufferevent *bev, const Nsd__Frame *f)
{
    size_t len = nsd__frame__get_packed_size(f);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    nsd__frame__pack(f, buf);
    write_bytes(bev, buf, len);
    free(buf);
}

static void send_frame(struct conn *c, const Nsd__Frame *f)
{
    if (c->bev)
        write_frame(c->bev, f);
}

static void send_error(struct conn *c, uint64_t req_id, int errnum, const char *msg)
{
    Nsd__Error e = NSD__ERROR__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    e.errnum = errnum;
    e.msg = (char *)msg;
    /* "Not leader" from a node that cannot write: the client says ENOSPC
     * if no node can (nsdc's gave_up). */
    if (errnum == ESTALE && c->n->rep && replica_disk_full(c->n))
        e.cause = ENOSPC;
    f.req_id = req_id;
    f.body_case = NSD__FRAME__BODY_ERROR;
    f.error = &e;
    send_frame(c, &f);
}

/* ---- connections ------------------------------------------------------------- */

static void pending_free(struct pending *p)
{
    if (p->req)
        nsd__frame__free_unpacked(p->req, NULL);
    free(p->op.data);
    free(p->reply);
    free(p);
}

static void free_drained(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bufferevent_free(bev);
}

static void free_drained_event(struct bufferevent *bev, short what, void *arg)
{
    (void)what;
    free_drained(bev, arg);
}

/* Frees bev once its output is written (or writing fails). */
static void bev_free_flushed(struct bufferevent *bev)
{
    if (!evbuffer_get_length(bufferevent_get_output(bev))) {
        bufferevent_free(bev);
        return;
    }
    bufferevent_disable(bev, EV_READ);
    bufferevent_setcb(bev, NULL, free_drained, free_drained_event, NULL);
}

static void conn_free(struct conn *c)
{
    /* A queued mutation of c is not applied: c will never see the answer. */
    for (struct pending **pp = &c->n->pending; *pp;) {
        struct pending *p = *pp;
        if (p->c == c) {
            *pp = p->next;
            pending_free(p);
        } else {
            pp = &p->next;
        }
    }
    /* One proposed already is, but answered to nobody. */
    if (c->n->rep)
        replica_forget(c->n, c);
    *c->pprev = c->next;
    if (c->next)
        c->next->pprev = c->pprev;
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->fd_reply)
        close(c->fd_out);
    free(c->fd_reply);
    if (c->up)
        bev_free_flushed(c->up);   /* the client's last requests reach the leader */
    if (c->held)
        nsd__frame__free_unpacked(c->held, NULL);
    free(c->hello);
    free(c);
}

/* Is a client connected (other than through `except`)? Then it is alive. */
static int client_connected(struct nsd *n, uint32_t sandbox_id, const char *client,
                            const struct conn *except)
{
    for (struct conn *o = n->conns; o; o = o->next)
        if (o != except && o->state == CONN_READY && o->sandbox_id == sandbox_id &&
            !strcmp(o->client, client))
            return 1;
    return 0;
}

static void queue(struct nsd *n, struct pending *p)
{
    int lazy = n->lazy_ev && p->req && p->req->nowait;
    n->lazy = (n->pending ? n->lazy : 1) && lazy;
    struct pending **tail = &n->pending;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    if (n->lazy) {
        struct timeval tv = { 0, LAZY_US };
        if (!evtimer_pending(n->lazy_ev, NULL))
            evtimer_add(n->lazy_ev, &tv);
    } else if (n->flush_ev) {
        event_active(n->flush_ev, 0, 0);
    }
}

/* A lazy batch is committed at once when a frame other than a mutation
 * sent without waiting comes, on any connection: a read must see what was
 * read before it (a parent's Register of a child, before a lookup of that
 * child by another process), and whoever waits for an answer should not
 * wait for the timer. 1 if c's frame must wait for that commit (it is
 * read again then), 0 if it may be taken now. */
static int lazy_wait(struct conn *c, const Nsd__Frame *f)
{
    struct nsd *n = c->n;
    /* The read that waited: what came after it need not be seen (and
     * waiting again could starve it while forks keep a batch open). */
    if (c->flushed_for) {
        c->flushed_for = 0;
        return 0;
    }
    /* A hello and a Ticket read nothing the batch writes. */
    if (!n->pending || !n->lazy || c->state != CONN_READY || f->body_case == NSD__FRAME__BODY_TICKET ||
        (nsdc_body_is_mutation(f->body_case) && f->nowait))
        return 0;
    event_active(n->flush_ev, 0, 0);
    if (nsdc_body_is_mutation(f->body_case))
        return 0;   /* it joins the batch, which is no longer lazy */
    c->paused = 1;
    c->wait_flush = n->flush_gen + 1;
    return 1;
}

static void pack_op(struct pending *p, const Nsd__Op *op)
{
    p->op.len = nsd__op__get_packed_size(op);
    p->op.data = malloc(p->op.len + 1);
    if (!p->op.data)
        abort();
    nsd__op__pack(op, p->op.data);
}

/* Queues an operation the leader makes up (op->time_ms is set here) with
 * the next batch. */
static void journal_synthetic(struct nsd *n, Nsd__Op *op)
{
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    op->time_ms = now_ms();
    pack_op(p, op);
    queue(n, p);
}

static void kill_sandbox(struct nsd *n, uint32_t sandbox_id);

/* Journal that a client vanished without exit: its live processes become
 * "lost" (reported to their parents as killed). */
static int64_t live_of(struct nsd *n, const char *client)
{
    int64_t live = 0;
    return jint(&n->j, &live, "SELECT count(*) FROM procs WHERE client = ? AND state = 'live'", "s",
                client) > 0 ? live : 0;
}

static void journal_lost(struct nsd *n, uint32_t sandbox_id, const char *client, const char *why)
{
    int64_t live = live_of(n, client), init = 0;
    if (!live)
        return;
    jint(&n->j, &init, "SELECT count(*) FROM procs p JOIN sandboxes s ON s.id = p.sandbox"
                       " WHERE p.sandbox = ? AND p.client = ? AND p.pid = 1 AND p.state = 'live'"
                       " AND s.ephemeral", "is", (int64_t)sandbox_id, client);
    Nsd__Op op = NSD__OP__INIT;
    op.sandbox_id = sandbox_id;
    op.client = (char *)client;
    op.lost = 1;
    journal_synthetic(n, &op);
    nsd_log("client %s of sandbox %u %s: %lld processes lost", client, sandbox_id, why,
            (long long)live);
    if (init)
        kill_sandbox(n, sandbox_id);
}

/* ---- launchers of ephemeral sandboxes ------------------------------------------ */

/* The leader holds a pidfd on the launcher of every ephemeral sandbox; when
 * it becomes readable the launcher (the sandbox's first picoprocess) has
 * exited, and the sandbox ends once no process of it is live. A pidfd names
 * one process, so a reused pid cannot be mistaken for it. */
struct watch {
    struct watch *next;
    struct nsd *n;
    uint32_t sandbox_id;
    int fd;
    struct event *ev;
};

static void launcher_gone(struct nsd *n, uint32_t sandbox_id)
{
    Nsd__Op op = NSD__OP__INIT;
    op.sandbox_id = sandbox_id;
    op.client = "";
    op.launcher_gone = 1;
    journal_synthetic(n, &op);
    nsd_log("sandbox %u: its launcher has exited", sandbox_id);
}

static void watch_free(struct watch *w)
{
    for (struct watch **pp = &w->n->watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    event_free(w->ev);
    close(w->fd);
    free(w);
}

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
    struct watch *w = arg;
    struct nsd *n = w->n;
    uint32_t sb = w->sandbox_id;
    (void)fd;
    (void)what;
    watch_free(w);
    launcher_gone(n, sb);
}

/* Watches every launcher of an ephemeral sandbox not watched yet (after a
 * SandboxCreate, and on becoming leader); one already gone ends its sandbox. */
static void watch_launchers(struct nsd *n)
{
    uint32_t ids[64];
    int pids[64], k = 0;
    n->watch_sync = 0;
    sqlite3_stmt *st = jq(&n->j, "SELECT id, launcher_pid FROM sandboxes"
                                 " WHERE ephemeral AND launcher_pid > 0", "");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        uint32_t sb = sqlite3_column_int64(st, 0);
        struct watch *w = n->watches;
        while (w && w->sandbox_id != sb)
            w = w->next;
        if (w)
            continue;
        if (k == 64) {
            n->watch_sync = 1;   /* the rest at the next tick */
            break;
        }
        ids[k] = sb;
        pids[k++] = sqlite3_column_int(st, 1);
    }
    if (st)
        sqlite3_reset(st);
    for (int i = 0; i < k; i++) {
        int fd = pidfd_open(pids[i], 0);
        struct watch *w = fd >= 0 ? calloc(1, sizeof *w) : NULL;
        if (!w) {
            if (fd >= 0)
                close(fd);
            launcher_gone(n, ids[i]);
            continue;
        }
        *w = (struct watch){ n->watches, n, ids[i], fd, event_new(n->base, fd, EV_READ, watch_cb, w) };
        if (!w->ev)
            abort();
        n->watches = w;
        event_add(w->ev, NULL);
    }
}

/* Does host process pid run (a zombie does not)? Unsure (EPERM, no /proc) counts as yes. */
static int host_alive(int pid)
{
    char path[32], buf[256];
    if (kill(pid, 0) && errno == ESRCH)
        return 0;
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *paren = strrchr(buf, ')');   /* the command may hold anything */
    return !paren || (paren[1] && paren[2] != 'Z' && paren[2] != 'X');
}

/* ---- sweeps: what only a process's host can see -------------------------------
 * The leader sweeps its own host's processes; a follower of another host
 * sweeps that host's the same way (over its copy of the journal) and
 * reports what it found (a HostReport on a link of its own), which the
 * leader checks against its own rows and journals. */

#define REPORT_MAX 64

struct host_report {
    Nsd__HostEnd ends[REPORT_MAX], *ptrs[REPORT_MAX];
    char clients[REPORT_MAX][2 * NSD_CLIENT_ID_LEN + 1];
    size_t n;
};

static void report_add(struct nsd *n, uint32_t sb, uint32_t pid, int host_pid, int died, const char *client)
{
    if (!n->report && !(n->report = calloc(1, sizeof *n->report)))
        abort();
    struct host_report *r = n->report;
    if (r->n == REPORT_MAX)
        return;   /* the next sweep finds the rest */
    Nsd__HostEnd *e = &r->ends[r->n];
    nsd__host_end__init(e);
    e->sandbox = sb;
    e->pid = pid;
    e->host_pid = host_pid;
    e->died = died;
    snprintf(r->clients[r->n], sizeof r->clients[0], "%s", client ? client : "");
    e->client = r->clients[r->n];
    r->ptrs[r->n++] = e;
}

/* A sweep found the host process of row (sb, pid) ended: dead before its
 * claim (died), or reaped on the host. */
static void host_end(struct nsd *n, uint32_t sb, uint32_t pid, int host_pid, int died)
{
    if (!n->ready) {
        report_add(n, sb, pid, host_pid, died, NULL);
        return;
    }
    Nsd__Op op = NSD__OP__INIT;
    op.sandbox_id = sb;
    op.client = "";
    if (died)
        op.host_died = pid;
    else
        op.host_reaped = pid;
    journal_synthetic(n, &op);
}

/* A follower whose host has no leader sweeps it. */
static int leader_elsewhere(struct nsd *n)
{
    Nsd__Redirect r = NSD__REDIRECT__INIT;
    struct arena a = { 0 };
    replica_leader(n, &r, &a);
    int elsewhere = r.node[0] && strcmp(r.host, n->host);
    arena_free(&a);
    return elsewhere;
}

/* A sweep found a client gone (not connected, its processes dead). */
static void client_end(struct nsd *n, uint32_t sb, const char *client)
{
    if (n->ready)
        journal_lost(n, sb, client, "vanished while disconnected");
    else
        report_add(n, sb, 0, 0, 0, client);
}

static int signal_pico(struct nsd *n, int64_t sb, const char *host, int host_pid, int sig);

static void hostlink_close(struct nsd *n)
{
    if (n->hostlink)
        bufferevent_free(n->hostlink);
    n->hostlink = NULL;
}

/* The leader's HostSignals to us. */
static void hostlink_read_cb(struct bufferevent *bev, void *arg)
{
    struct nsd *n = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    long len;
    while ((len = head_frame(in)) >= 0) {
        Nsd__Frame *f = nsd__frame__unpack(NULL, len, evbuffer_pullup(in, NSD_FRAME_HDR + len) + NSD_FRAME_HDR);
        evbuffer_drain(in, NSD_FRAME_HDR + len);
        if (f && f->body_case == NSD__FRAME__BODY_HOST_SIGNAL) {
            const Nsd__HostSignal *hs = f->host_signal;
            int r = signal_pico(n, hs->sandbox, n->host, hs->host_pid, hs->sig);
            nsd_log("signal %d to host pid %d of sandbox %u, for the leader: %s", hs->sig, hs->host_pid,
                    hs->sandbox, r ? strerror(-r) : "sent");
        }
        if (f)
            nsd__frame__free_unpacked(f, NULL);
    }
    if (len == -2) {
        nsd_log("oversized frame from the leader on the host link");
        hostlink_close(n);
    }
}

/* The link went (the leader changed, or ended): made again at the next sweep. */
static void hostlink_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev, (void)what;
    hostlink_close(arg);
}

/* A follower's findings go to the leader on a link of its own, kept open
 * (the leader signals this host's processes over it); the first report,
 * empty or not, says whose host it is. */
static void report_send(struct nsd *n)
{
    struct host_report *r = n->report;
    if (n->ready || !n->rep)
        return;   /* a leader, or a single node, journals its findings itself */
    if (!n->hostlink) {
        Nsd__Forward fw = NSD__FORWARD__INIT;
        char peer[96];
        snprintf(peer, sizeof peer, "node %s host link", n->node);
        fw.peer = peer;
        fw.host_report = 1;
        int fd = replica_forward(n, &fw);
        n->hostlink = fd < 0 ? NULL : bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
        if (!n->hostlink) {
            if (fd >= 0)
                close(fd);
            if (r)
                r->n = 0;   /* no leader elsewhere: the next sweep finds them again */
            return;
        }
        bufferevent_setcb(n->hostlink, hostlink_read_cb, NULL, hostlink_event_cb, n);
        bufferevent_enable(n->hostlink, EV_READ | EV_WRITE);
    } else if (!r || !r->n) {
        return;
    }
    Nsd__HostReport hr = NSD__HOST_REPORT__INIT;
    hr.host = n->host;
    hr.n_ends = r ? r->n : 0;
    hr.ends = r ? r->ptrs : NULL;
    Nsd__Frame f = NSD__FRAME__INIT;
    f.body_case = NSD__FRAME__BODY_HOST_REPORT;
    f.host_report = &hr;
    write_frame(n->hostlink, &f);
    if (hr.n_ends)
        nsd_log("reported %zu ended processes or clients of host %s to the leader", hr.n_ends, n->host);
    if (r)
        r->n = 0;
}

/* The leader: a follower's HostReport. Only rows of that host (not ours)
 * with the host pid it saw, and clients all of whose live processes are
 * there, are taken. */
static void host_report(struct conn *c, const Nsd__HostReport *hr)
{
    struct nsd *n = c->n;
    if (!hr->host || !strcmp(hr->host, n->host) || !strcmp(hr->host, "localhost") ||
        strlen(hr->host) >= sizeof c->report_host)
        return;
    snprintf(c->report_host, sizeof c->report_host, "%s", hr->host);
    for (size_t i = 0; i < hr->n_ends; i++) {
        const Nsd__HostEnd *e = hr->ends[i];
        int64_t k = -1;
        if (e->client && e->client[0]) {
            if (strlen(e->client) == 2 * NSD_CLIENT_ID_LEN && !client_connected(n, e->sandbox, e->client, NULL) &&
                jint(&n->j, &k, "SELECT count(*) FROM procs WHERE sandbox = ? AND client = ? AND state = 'live'"
                                " AND host != ?", "iss", (int64_t)e->sandbox, e->client, hr->host) > 0 && !k)
                journal_lost(n, e->sandbox, e->client, "vanished on its host (its node says)");
        } else if (jint(&n->j, &k, "SELECT count(*) FROM procs WHERE sandbox = ? AND pid = ? AND host = ?"
                                   " AND host_pid = ?", "iisi", (int64_t)e->sandbox, (int64_t)e->pid, hr->host,
                        (int64_t)e->host_pid) > 0 && k == 1) {
            host_end(n, e->sandbox, e->pid, e->host_pid, e->died);
        }
    }
}

/*
 * Clients that vanished while no leader was watching (they died during a
 * failover) never reconnect. A client that is not connected and all of whose
 * live processes ran on this host and no longer exist there is lost. Clients
 * on other hosts are left to their host's daemon, and a client that is only
 * idle still has its host process, so it is not touched.
 */
static void sweep_vanished(struct nsd *n)
{
    char sandbox_client[64][40];
    uint32_t sandbox_ids[64];
    int nv = 0;
    sqlite3_stmt *st = jq(&n->j, "SELECT sandbox, client, min(host IN (?, 'localhost') AND"
                                 " host_pid > 0) FROM procs WHERE state = 'live'"
                                 " GROUP BY sandbox, client", "s", n->host);
    while (st && nv < 64 && sqlite3_step(st) == SQLITE_ROW) {
        uint32_t sb = sqlite3_column_int64(st, 0);
        const char *client = (const char *)sqlite3_column_text(st, 1);
        if (!sqlite3_column_int(st, 2) || client_connected(n, sb, client, NULL))
            continue;
        sandbox_ids[nv] = sb;
        snprintf(sandbox_client[nv++], sizeof sandbox_client[0], "%s", client);
    }
    if (st)
        sqlite3_reset(st);
    for (int i = 0; i < nv; i++) {
        int alive = 0;
        st = jq(&n->j, "SELECT host_pid FROM procs WHERE sandbox = ? AND client = ? AND state = 'live'",
                "is", (int64_t)sandbox_ids[i], sandbox_client[i]);
        while (st && sqlite3_step(st) == SQLITE_ROW)
            alive |= host_alive(sqlite3_column_int(st, 0));
        if (st)
            sqlite3_reset(st);
        if (!alive)
            client_end(n, sandbox_ids[i], sandbox_client[i]);
    }
}

/* Is host process pid gone altogether (not even a zombie)? */
static int host_gone(struct nsd *n, uint32_t sb, uint32_t pid, int host_pid)
{
    (void)n;
    (void)sb;
    (void)pid;
    return kill(host_pid, 0) && errno == ESRCH;
}

/* Each row (sandbox, pid, host_pid) of query sql (its one parameter: this
 * host's name) that ended() says ended gets a synthetic Op: host_died, or
 * host_reaped. How many. */
static int sweep_rows(struct nsd *n, const char *sql, int (*ended)(struct nsd *, uint32_t, uint32_t, int),
                      int died)
{
    uint32_t sandbox_ids[64], pids[64];
    int host_pids[64], k = 0;
    sqlite3_stmt *st = jq(&n->j, sql, "s", n->host);
    while (st && k < 64 && sqlite3_step(st) == SQLITE_ROW) {
        sandbox_ids[k] = sqlite3_column_int64(st, 0);
        pids[k] = sqlite3_column_int64(st, 1);
        host_pids[k] = sqlite3_column_int(st, 2);
        k += ended(n, sandbox_ids[k], pids[k], host_pids[k]) != 0;
    }
    if (st)
        sqlite3_reset(st);
    for (int i = 0; i < k; i++)
        host_end(n, sandbox_ids[i], pids[i], host_pids[i], died);
    return k;
}

/*
 * Ended processes (zombie, lost) of this host whose host process no longer
 * exists at all were reaped there without nsd hearing of it: a Reap is sent
 * without waiting, so a leader that dies before committing it loses it, and
 * so does a parent killed right after its wait. Their rows go, as a Reap
 * would have removed them; so does a "reaped" row, whose own Register can
 * no longer come from a process that is gone (if it was still unread, it
 * makes the row again, which its dropped connection then ends). A reused
 * host pid keeps a row until that process ends.
 */
static void sweep_reaped(struct nsd *n)
{
    int k = sweep_rows(n, "SELECT sandbox, pid, host_pid FROM procs WHERE state IN"
                          " ('zombie', 'lost', 'reaped') AND host IN (?, 'localhost') AND host_pid > 0",
                       host_gone, 0);
    if (k)
        nsd_log("%d ended processes were reaped on the host without a Reap", k);
}

/*
 * A fork child killed before its own Register (the parent registered it)
 * has no connection whose drop would say so: its row, still its parent's
 * client's, would stay live until the parent's wait. A live unclaimed row
 * of this host whose host process is dead (a zombie, or gone) and has no
 * connection to us is lost, once two sweeps in a row found it so. A child
 * that exited at once (daemon()'s) has its claim, its children's
 * Registers and its Exit still to be read: while its connection is open,
 * or waits in our accept queue (the second sweep), it is left alone.
 */
static struct { uint32_t sb, pid; } dead_seen[64], dead_now[64];
static int n_seen, n_now;

static int unclaimed_dead(struct nsd *n, uint32_t sb, uint32_t pid, int host_pid)
{
    for (struct conn *o = n->conns; o; o = o->next)
        if (o->peer_pid == host_pid)
            return 0;
    if (host_alive(host_pid))
        return 0;
    if (n_now < 64) {
        dead_now[n_now].sb = sb;
        dead_now[n_now++].pid = pid;
    }
    for (int i = 0; i < n_seen; i++)
        if (dead_seen[i].sb == sb && dead_seen[i].pid == pid)
            return 1;
    return 0;
}

static void sweep_unclaimed(struct nsd *n)
{
    n_now = 0;
    int k = sweep_rows(n, "SELECT c.sandbox, c.pid, c.host_pid FROM procs c WHERE c.state = 'live'"
                          " AND c.host IN (?, 'localhost') AND c.host_pid > 0 AND " NSD_UNCLAIMED,
                       unclaimed_dead, 1);
    memcpy(dead_seen, dead_now, sizeof(dead_now[0]) * (size_t)n_now);
    n_seen = n_now;
    if (k)
        nsd_log("%d fork children died on the host before they registered", k);
}

/* A client we forward whose host process is gone: the leader is told on
 * its link, after all it sent (a last Exit comes first). */
static void up_peer_gone(struct conn *c)
{
    Nsd__PeerGone pg = NSD__PEER_GONE__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    f.body_case = NSD__FRAME__BODY_PEER_GONE;
    f.peer_gone = &pg;
    write_frame(c->up, &f);
}

void conn_drop(struct conn *c, const char *reason)
{
    struct nsd *n = c->n;
    if (reason)
        nsd_log("closing connection %s: %s", c->peer, reason);
    if (c->up && c->state == CONN_READY && c->role == NSD__ROLE__ROLE_PICO && c->peer_pid > 0 &&
        !host_alive(c->peer_pid))
        up_peer_gone(c);
    if (c->state == CONN_READY && c->role == NSD__ROLE__ROLE_PICO && n->ready && !c->forwarded &&
        !client_connected(n, c->sandbox_id, c->client, c) &&
        /* The usual end (its processes exited), first: host_alive reads
         * /proc. A peer that lives on timed out waiting for us and
         * reconnects; if it dies instead, sweep_vanished() finds it. */
        live_of(n, c->client) && (c->peer_pid <= 0 || !host_alive(c->peer_pid)))
        journal_lost(n, c->sandbox_id, c->client, "lost its connection");
    conn_free(c);
}

/* Refuse: answer with an error, then close once it is written. */
static void conn_refuse(struct conn *c, uint64_t req_id, int errnum, const char *reason)
{
    nsd_log("refusing connection %s: %s", c->peer, reason);
    send_error(c, req_id, errnum, reason);
    c->state = CONN_CLOSING;
    if (!c->bev)
        conn_free(c);
    else
        bufferevent_disable(c->bev, EV_READ);
}

/* ---- requests ---------------------------------------------------------------- */

static int allowed(Nsd__Role role, Nsd__Frame__BodyCase b)
{
    switch (b) {
    case NSD__FRAME__BODY_SANDBOX_CREATE:
    case NSD__FRAME__BODY_SANDBOX_DESTROY:
    case NSD__FRAME__BODY_SANDBOX_LS:
    case NSD__FRAME__BODY_SANDBOX_JOIN:
    case NSD__FRAME__BODY_KILL:
    case NSD__FRAME__BODY_NODE_ADD:
    case NSD__FRAME__BODY_NODE_REMOVE:
        return role == NSD__ROLE__ROLE_ADMIN;
    case NSD__FRAME__BODY_STATUS:
    case NSD__FRAME__BODY_PS:
    case NSD__FRAME__BODY_NS_SHOW:
        return 1;
    default:
        return role == NSD__ROLE__ROLE_PICO &&
                      (nsdc_body_is_mutation(b) || (b >= NSD__FRAME__BODY_LOOKUP && b <= NSD__FRAME__BODY_MEMBERS) ||
                b == NSD__FRAME__BODY_SYSV_MEMFD || b == NSD__FRAME__BODY_TICKET ||
                b == NSD__FRAME__BODY_STREAM_CONNECT);
    }
}

/* A request of c to answer later; c reads no further frame meanwhile. */
static struct pending *hold_request(struct conn *c, Nsd__Frame *req)
{
    struct pending *p = calloc(1, sizeof *p);
    if (!p)
        abort();
    p->c = c;
    p->req = req;
    c->paused = 1;
    return p;
}

static void queue_mutation(struct conn *c, Nsd__Frame *req)
{
    queue(c->n, hold_request(c, req));
    c->batched = 1;
}

static void pending_error(struct pending *p, int errnum, const char *msg)
{
    Nsd__Error e = NSD__ERROR__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    e.errnum = errnum;
    e.msg = (char *)msg;
    f.req_id = p->req ? p->req->req_id : 0;
    f.body_case = NSD__FRAME__BODY_ERROR;
    f.error = &e;
    free(p->reply);
    p->reply_len = nsd__frame__get_packed_size(&f);
    p->reply = malloc(p->reply_len + 1);
    if (!p->reply)
        abort();
    nsd__frame__pack(&f, p->reply);
}

/* The Op of a client's mutation: what apply() needs besides the tables. */
static void make_op(struct nsd *n, struct pending *p)
{
    struct conn *c = p->c;
    uint8_t entropy[NSD_SECRET_LEN];
    Nsd__Op op = NSD__OP__INIT;
    op.sandbox_id = c->sandbox_id;
    op.client = c->client;
    op.seq = p->req->req_id;
    op.time_ms = now_ms();
    op.req = p->req;
    if (p->req->body_case == NSD__FRAME__BODY_SANDBOX_CREATE) {
        auth_random(entropy, sizeof entropy);
        op.entropy.data = entropy;
        op.entropy.len = sizeof entropy;
        op.peer_pid = c->peer_pid;
        n->watch_sync = 1;
    }
    pack_op(p, &op);
}

/* The reads that waited for a lazy batch (lazy_wait) read on: those
 * of flushes up to this one, not those that came while they are fed. */
static void resume_waiters(struct nsd *n)
{
    for (;;) {
        struct conn *c = n->conns;
        while (c && !(c->wait_flush && c->wait_flush <= n->flush_gen))
            c = c->next;
        if (!c)
            return;
        c->wait_flush = 0;
        c->paused = 0;
        c->flushed_for = 1;
        conn_feed(c);   /* may free it: found again from the list */
    }
}

void nsd_flush(struct nsd *n)
{
    struct pending *batch = n->pending, *p;
    n->pending = NULL;
    n->lazy = 0;
    if (n->lazy_ev)
        evtimer_del(n->lazy_ev);
    n->flush_gen++;
    if (!batch) {
        resume_waiters(n);
        return;
    }
    for (p = batch; p; p = p->next) {
        if (!p->op.data)
            make_op(n, p);
        if (p->c)
            p->c->batched = 0;
    }
    if (n->rep) {
        replica_propose(n, batch);
        resume_waiters(n);   /* their reads wait for a barrier behind it */
        return;
    }
    size_t nops = 0, i = 0;
    for (p = batch; p; p = p->next)
        nops++;
    ProtobufCBinaryData ops[nops];
    struct op_reply replies[nops];
    for (p = batch; p; p = p->next)
        ops[i++] = p->op;
    int r = state_apply(&n->j, ops, nops, 0, 0, NULL, replies);
    for (p = batch, i = 0; !r && p; p = p->next, i++) {
        p->reply = replies[i].buf;
        p->reply_len = replies[i].len;
    }
    server_committed(n, batch, r < 0 ? -r : 0);
    /* What a raft snapshot does to a group's oplog: keep what retries need. */
    n->since_trim += r ? 0 : nops;
    if (n->trim_every && n->since_trim >= n->trim_every) {
        n->since_trim = 0;
        if (state_trim_oplog(&n->j, n->trim_every))
            nsd_log("cannot trim the oplog: %s", sqlite3_errmsg(n->j.db));
    }
    resume_waiters(n);
}

/* The connections of an answered batch read on; the batch is freed. */
static void resume(struct nsd *n, struct pending *batch)
{
    struct pending *p, *q;
    while ((p = batch)) {
        batch = p->next;
        /* A connection with several requests in the batch reads on after
         * its last one (conn_feed may free it). */
        for (q = batch; q && q->c != p->c; q = q->next)
            ;
        if (p->c && !q && n->leading) {
            p->c->paused = 0;
            conn_feed(p->c);   /* frames that waited behind the request */
        }
        pending_free(p);
    }
}

void server_committed(struct nsd *n, struct pending *batch, int err)
{
    struct pending *p;
    for (p = batch; p && err; p = p->next)
        pending_error(p, err, err == ESTALE ? "not leader any more" :
                              err == ENOSPC ? "journal: no space left on device" : "journal error");
    /* Acknowledge only what is committed. */
    for (p = batch; p; p = p->next)
        if (p->c && p->req)
            send_bytes(p->c, p->reply, p->reply_len);
    if (n->ready && n->watch_sync)
        watch_launchers(n);
    resume(n, batch);
}

void server_confirmed(struct nsd *n, struct pending *batch, int err)
{
    for (struct pending *p = batch; p; p = p->next)
        if (p->c && err)
            send_error(p->c, p->req->req_id, err, err == ESTALE ? "not leader any more" : "read index failed");
        else if (p->c)
            answer_read(p->c, p->req);
    resume(n, batch);
}

static void flush_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    nsd_flush(arg);
}

/* Is host_pid the peer of a picoprocess connection of sandbox_id? */
static int pico_peer(struct nsd *n, int64_t sandbox_id, int host_pid)
{
    for (struct conn *o = n->conns; o; o = o->next)
        if (o->state == CONN_READY && o->role == NSD__ROLE__ROLE_PICO &&
            o->sandbox_id == sandbox_id && o->peer_pid == host_pid)
            return 1;
    return 0;
}

/* The leader: a process of another host is signalled by that host's
 * follower, on its link (HostSignal): 0 once asked, -ESRCH with no link. */
static int signal_elsewhere(struct nsd *n, int64_t sb, const char *host, int host_pid, int sig)
{
    for (struct conn *c = n->conns; c; c = c->next)
        if (c->reporter && c->state == CONN_READY && !strcmp(c->report_host, host)) {
            Nsd__HostSignal hs = NSD__HOST_SIGNAL__INIT;
            hs.sandbox = (uint32_t)sb;
            hs.host_pid = host_pid;
            hs.sig = sig;
            Nsd__Frame f = NSD__FRAME__INIT;
            f.body_case = NSD__FRAME__BODY_HOST_SIGNAL;
            f.host_signal = &hs;
            send_frame(c, &f);
            return 0;
        }
    return -ESRCH;
}

/*
 * An admin Kill: the query found the live targets; nsd signals them itself,
 * each through a pidfd. The host pid in a row is what a picoprocess said, so
 * nsd signals only a host process that is itself connected to it as a
 * picoprocess of that sandbox (SO_PEERCRED): a sandbox cannot aim nsd at a
 * host process outside it. Being connected, it has not been reaped, so its
 * pid is not reused; the pidfd keeps the signal on that process. A child
 * forked a moment ago that has not connected yet is missed. A process of
 * another host is its follower's to signal, which checks the same
 * (signal_elsewhere).
 * signal_pico sends one: 0, -ESRCH for a process not ours to signal, or
 * the host's -errno.
 */
static int signal_pico(struct nsd *n, int64_t sb, const char *host, int host_pid, int sig)
{
    if (host_pid <= 0)
        return -ESRCH;
    if (strcmp(host, n->host) && strcmp(host, "localhost"))
        return n->ready ? signal_elsewhere(n, sb, host, host_pid, sig) : -ESRCH;
    if (!pico_peer(n, sb, host_pid))
        return -ESRCH;
    int fd = pidfd_open(host_pid, 0), r = 0;
    if (fd < 0 || pidfd_send_signal(fd, sig, NULL, 0))
        r = -errno;
    if (fd >= 0)
        close(fd);
    return r;
}

static void send_kills(struct nsd *n, const Nsd__Kill *k, Nsd__Frame *reply, struct arena *a)
{
    Nsd__ProcList *pl = reply->proc_list;
    int sent = 0, err = ESRCH;
    int64_t sb = 0;
    jint(&n->j, &sb, "SELECT id FROM sandboxes WHERE name = ?", "s", k->sandbox);
    for (size_t i = 0; i < pl->n_procs; i++) {
        int r = signal_pico(n, sb, pl->procs[i]->host, pl->procs[i]->host_pid, k->sig);
        if (r == 0)
            sent++;
        else if (r != -ESRCH)
            err = -r;
    }
    nsd_log("kill -%d %s%u of sandbox %s: %d of %zu signalled", k->sig, k->pid ? "" : "-",
            k->pid ? k->pid : k->pgid, k->sandbox, sent, pl->n_procs);
    if (!sent)
        reply_error(reply, a, err, "kill: %s", strerror(err));
}

/* pid 1 of a run's own (ephemeral) sandbox died without its Exit (SIGKILL,
 * a crash), so without killing the rest of it, as the end of a PID
 * namespace's init does: nsd does it, through signal_pico's checks (those
 * of another host through that host's follower). A
 * sandbox made by admin (graphenectl, the tests' simulated clients) is
 * not its pid 1's to end. */
static void kill_sandbox(struct nsd *n, uint32_t sandbox_id)
{
    int killed = 0;
    sqlite3_stmt *st = jq(&n->j, "SELECT host, host_pid FROM procs WHERE sandbox = ? AND pid != 1"
                                 " AND state = 'live'", "i", (int64_t)sandbox_id);
    while (st && sqlite3_step(st) == SQLITE_ROW)
        killed += !signal_pico(n, sandbox_id, (const char *)sqlite3_column_text(st, 0),
                               sqlite3_column_int(st, 1), SIGKILL);
    if (st)
        sqlite3_reset(st);
    if (killed)
        nsd_log("sandbox %u: its pid 1 is lost: %d processes killed", sandbox_id, killed);
}

/* A node that does not lead (or not yet): where the leader is. */
static void send_redirect(struct conn *c, uint64_t req_id)
{
    Nsd__Redirect r = NSD__REDIRECT__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    struct arena a = { 0 };
    /* A forwarded client reaches only its own node: it retries there. */
    if (!c->forwarded)
        replica_leader(c->n, &r, &a);
    /* (also when it names a leader: one that a transfer made leader on a
     * full disk names itself, not serving, until it hands over) */
    if (c->n->rep && replica_disk_full(c->n))
        r.cause = ENOSPC;
    f.req_id = req_id;
    f.body_case = NSD__FRAME__BODY_REDIRECT;
    f.redirect = &r;
    send_frame(c, &f);
    arena_free(&a);
}

static void answer_read(struct conn *c, Nsd__Frame *req)
{
    struct nsd *n = c->n;
    Nsd__Frame reply = NSD__FRAME__INIT;
    struct arena a = { 0 };
    n->self.term = n->term;
    reply.req_id = req->req_id;
    if (query(&n->j, c->sandbox_id, &n->self, req, &reply, &a)) {
        send_error(c, req->req_id, EIO, "journal error");
        arena_free(&a);
        return;
    }
    if (req->body_case == NSD__FRAME__BODY_KILL && reply.body_case == NSD__FRAME__BODY_PROC_LIST)
        send_kills(n, req->kill, &reply, &a);
    send_frame(c, &reply);
    arena_free(&a);
}

/* A query. In a raft group every read but Status (this node's own view)
 * waits for a read index (replica_read), so that a deposed leader that has
 * not noticed yet cannot answer from stale state; the connection reads
 * nothing more meanwhile, as behind a mutation. 1 if req is kept for that. */
static int read_only(struct conn *c, Nsd__Frame *req)
{
    struct nsd *n = c->n;
    if (req->body_case == NSD__FRAME__BODY_STATUS || !n->rep) {
        answer_read(c, req);
        return 0;
    }
    if (!n->ready) {
        send_redirect(c, req->req_id);
        return 0;
    }
    replica_read(n, hold_request(c, req));
    return 1;
}

/* The reply that carries an fd (SCM_RIGHTS) is written on the socket
 * itself, so it waits until the bufferevent's output has drained (this
 * runs again from conn_write_cb). 0, or -1 if c was dropped. */
static int fd_reply_flush(struct conn *c)
{
    if (!c->fd_reply || evbuffer_get_length(bufferevent_get_output(c->bev)))
        return 0;
    struct iovec iov = { c->fd_reply, c->fd_reply_len };
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b,
                         .msg_controllen = sizeof u.b };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &c->fd_out, sizeof(int));
    ssize_t w = sendmsg(bufferevent_getfd(c->bev), &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0 && (size_t)w < c->fd_reply_len)
        bufferevent_write(c->bev, c->fd_reply + w, c->fd_reply_len - (size_t)w);
    close(c->fd_out);
    free(c->fd_reply);
    c->fd_reply = NULL;
    if (w <= 0) {
        conn_drop(c, "cannot pass an fd");
        return -1;
    }
    return 0;
}

/* Ticket (nsd.proto): a fresh one for the caller's sandbox, at once. */
static void send_ticket(struct conn *c, const Nsd__Frame *req)
{
    uint8_t nonce[NSD_NONCE_LEN];
    ticket_issue(c->sandbox_id, nonce);
    Nsd__Ticket t = NSD__TICKET__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    t.nonce.data = nonce;
    t.nonce.len = sizeof nonce;
    f.req_id = req->req_id;
    f.body_case = NSD__FRAME__BODY_TICKET;
    f.ticket = &t;
    send_frame(c, &f);
}

/* Answers with f carrying fd (SCM_RIGHTS; closed here once sent). 0, or -1
 * if c was dropped. */
static int send_fd_reply(struct conn *c, const Nsd__Frame *f, int fd)
{
    size_t len = nsd__frame__get_packed_size(f);
    uint8_t *buf = malloc(NSD_FRAME_HDR + len);
    if (!buf)
        abort();
    frame_header(buf, len);
    nsd__frame__pack(f, buf + NSD_FRAME_HDR);
    c->fd_reply = buf;
    c->fd_reply_len = NSD_FRAME_HDR + len;
    c->fd_out = fd;
    return fd_reply_flush(c);
}

/* SysvMemfd (nsd.proto): local state, answered at once. 0, or -1 if c was
 * dropped (an fd that is not the peer's memfd). */
static int sysv_memfd(struct conn *c, const Nsd__Frame *req)
{
    Nsd__Ok ok = NSD__OK__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    f.req_id = req->req_id;
    f.body_case = NSD__FRAME__BODY_OK;
    f.ok = &ok;
    if (!c->is_unix) { /* an fd means nothing to another host */
        send_error(c, req->req_id, EOPNOTSUPP, "SysV memory is passed on the unix socket only");
        return 0;
    }
    if (req->sysv_memfd->offer) {
        int r = sysv_memfd_take(&c->n->j, c->sandbox_id, c->peer_pid, req->sysv_memfd->fd);
        if (r == -EBADF) {
            conn_drop(c, "SysvMemfd offer of no memfd");
            return -1;
        }
        if (r < 0)
            send_error(c, req->req_id, -r, "SysV memory not taken");
        else
            send_frame(c, &f);
        return 0;
    }
    int fd = sysv_memfd_get(&c->n->j, c->sandbox_id, c->n->host);
    if (fd < 0 || !c->bev || c->fd_reply || (fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        send_error(c, req->req_id, ENOENT, "no SysV memory for this sandbox");
        return 0;
    }
    return send_fd_reply(c, &f, fd);
}

/* StreamConnect (nsd.proto): nsd, whom no Landlock domain confines,
 * connects to the RPC listener of process pid of the caller's sandbox for a
 * picoprocess of another launch, and passes it the connection. Only to a
 * live process of this host that is itself connected to us as a
 * picoprocess of that sandbox (pico_peer, as for the admin Kill), at the
 * abstract name of its record's address inside our stream directory, and
 * only if the listener there is that very host process (streams_connect):
 * no record makes nsd hand out a connection to any other socket. The
 * handshake behind it is the two picoprocesses' own (libos/rpc.c). 0, or
 * -1 if c was dropped. */
static int stream_connect(struct conn *c, const Nsd__Frame *req)
{
    struct nsd *n = c->n;
    Nsd__Ok ok = NSD__OK__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    char host[256] = "", stream[256] = "";
    int host_pid = 0, err = 0;
    f.req_id = req->req_id;
    f.body_case = NSD__FRAME__BODY_OK;
    f.ok = &ok;
    sqlite3_stmt *st = jq(&n->j, "SELECT host, host_pid, coalesce(stream, '') FROM procs WHERE sandbox = ?"
                                 " AND pid = ? AND state = 'live'",
                          "ii", (int64_t)c->sandbox_id, (int64_t)req->stream_connect->pid);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(host, sizeof host, "%s", (const char *)sqlite3_column_text(st, 0));
        host_pid = sqlite3_column_int(st, 1);
        snprintf(stream, sizeof stream, "%s", (const char *)sqlite3_column_text(st, 2));
    }
    if (st)
        sqlite3_reset(st);
    int fd = -1;
    if (!c->is_unix || !c->bev)
        err = EOPNOTSUPP; /* an fd means nothing to another host */
    else if (c->fd_reply)
        err = EBUSY; /* one fd at a time: a client waits for each reply */
    else if (!host_pid && !n->ready)
        err = ECONNREFUSED; /* a follower: the leader, whom the caller asked, may be ahead of our copy */
    else if (host_pid <= 0 || (strcmp(host, n->host) && strcmp(host, "localhost")))
        err = ESRCH;
    else if (!pico_peer(n, c->sandbox_id, host_pid))
        err = ECONNREFUSED; /* not connected yet (a fork child): the caller tries again */
    else if ((fd = streams_connect(stream, host_pid)) < 0)
        err = -fd;
    if (err) {
        char why[80];
        snprintf(why, sizeof why, "no stream connection to pid %u: %s", req->stream_connect->pid,
                 strerror(err));
        send_error(c, req->req_id, err, why);
        return 0;
    }
    return send_fd_reply(c, &f, fd);
}

/* The requests a follower answers itself for the clients it forwards
 * (fds of its host: the leader's would mean nothing here). */
static int host_local(struct conn *c, const Nsd__Frame *req)
{
    return req->body_case == NSD__FRAME__BODY_STREAM_CONNECT ? stream_connect(c, req) : sysv_memfd(c, req);
}

static void hello_ok(struct conn *c)
{
    Nsd__HelloOk ok = NSD__HELLO_OK__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    uint8_t ticket[NSD_NONCE_LEN];
    ok.node = c->n->node;
    ok.term = c->n->term;
    if (c->role == NSD__ROLE__ROLE_PICO) {
        ticket_issue(c->sandbox_id, ticket);
        ok.ticket.data = ticket;
        ok.ticket.len = sizeof ticket;
        if (c->forwarded) {   /* for the follower (up_hello_ok) */
            ok.sandbox = c->sandbox_id;
            ok.applied = state_applied(&c->n->j);
        }
    }
    f.body_case = NSD__FRAME__BODY_HELLO_OK;
    f.hello_ok = &ok;
    send_frame(c, &f);
    c->state = CONN_READY;
}

/* ---- forwarding: a follower's clients, served by the leader --------------------
 * A follower that knows a live leader on another host hands its clients'
 * requests to it over the node link (replica_forward): the client stays
 * connected here, each of its frames goes on to the leader as sent, and
 * each whole frame of the leader's comes back. Two kinds of request are
 * answered here instead: Status (this node's view) and SysvMemfd (the SysV
 * memory is this host's: its picoprocesses' memfd, nsd/sysv.c). A
 * picoprocess is forwarded from its Hello on (the leader authenticates it:
 * our nonce is in the Forward, and only the leader has its tickets); its
 * SysvMemfd waits until the leader's HelloOk named its sandbox and our
 * journal has applied as much as the leader's had then (the sandbox's
 * secret tags the memory). An admin is authenticated here (its peer on our
 * unix socket) and forwarded at its first request that is not Status; the
 * leader's HelloOk to it is dropped (it had ours). */

static int up_pass(struct conn *c);

static void up_read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    up_pass(arg);
}

/* The link to the leader closed: c goes too, once what came is written. */
static void up_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    (void)bev, (void)what;
    if (up_pass(c))
        return;
    bufferevent_free(c->up);
    c->up = NULL;
    c->state = CONN_CLOSING;
    bufferevent_disable(c->bev, EV_READ);
    if (!evbuffer_get_length(bufferevent_get_output(c->bev)))
        conn_free(c);   /* else once written (conn_write_cb) */
}

/* Opens c's link to the leader, hello (a frame body of len bytes) first.
 * 0, or -1 (no live leader elsewhere: c is as it was). */
static int up_open(struct conn *c, const uint8_t *hello, uint32_t len)
{
    Nsd__Forward fw = NSD__FORWARD__INIT;
    char peer[144];
    snprintf(peer, sizeof peer, "node %s %s", c->n->node, c->peer);
    fw.nonce.data = c->nonce;
    fw.nonce.len = sizeof c->nonce;
    fw.peer = peer;
    fw.admin = c->role == NSD__ROLE__ROLE_ADMIN;
    int fd = c->bev ? replica_forward(c->n, &fw) : -1;
    if (fd < 0)
        return -1;
    c->up = bufferevent_socket_new(c->n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->up)
        abort();
    bufferevent_setcb(c->up, up_read_cb, NULL, up_event_cb, c);
    bufferevent_enable(c->up, EV_READ | EV_WRITE);
    c->up_hello = fw.admin ? -1 : 0;
    write_bytes(c->up, hello, len);
    return 0;
}

/* The leader has named c's sandbox and our journal knows it. */
static int up_known(struct conn *c)
{
    return c->up_hello == 1 && state_applied(&c->n->j) >= c->up_applied;
}

/* c's SysvMemfd held, once up_known; then c reads on. */
static void up_resume(struct conn *c)
{
    if (!c->held || !up_known(c))
        return;
    Nsd__Frame *f = c->held;
    c->held = NULL;
    c->paused = 0;
    int r = host_local(c, f);
    nsd__frame__free_unpacked(f, NULL);
    if (!r)
        conn_feed(c);
}

void server_applied(struct nsd *n)
{
    for (struct conn *c = n->conns, *next; c; c = next) {
        next = c->next;
        up_resume(c);
    }
}

/* The leader's first frame to c: its HelloOk (else an admin goes: it
 * retries). 0 to pass it on, 1 if dropped here, -1 if c was dropped. */
static int up_hello_ok(struct conn *c, uint32_t len)
{
    struct evbuffer *in = bufferevent_get_input(c->up);
    Nsd__Frame *f = nsd__frame__unpack(NULL, len, evbuffer_pullup(in, NSD_FRAME_HDR + len) + NSD_FRAME_HDR);
    int ok = f && f->body_case == NSD__FRAME__BODY_HELLO_OK;
    if (ok && c->up_hello == 0) {
        c->sandbox_id = f->hello_ok->sandbox;
        c->up_applied = f->hello_ok->applied;
    }
    if (f)
        nsd__frame__free_unpacked(f, NULL);
    if (!ok && c->up_hello < 0) {
        conn_drop(c, "the leader did not take the forwarded admin");
        return -1;
    }
    int mine = c->up_hello < 0;
    if (mine)
        evbuffer_drain(in, NSD_FRAME_HDR + len);
    c->up_hello = 1;
    return mine;
}

/* Moves the leader's whole frames to c. 0, or -1 if c was dropped. */
static int up_pass(struct conn *c)
{
    struct evbuffer *in = bufferevent_get_input(c->up);
    long len;
    while ((len = head_frame(in)) >= 0) {
        int r = c->up_hello != 1 ? up_hello_ok(c, (uint32_t)len) : 0;
        if (r < 0)
            return -1;
        if (!r)
            evbuffer_remove_buffer(in, bufferevent_get_output(c->bev), NSD_FRAME_HDR + (size_t)len);
    }
    if (len == -2) {
        conn_drop(c, "oversized frame from the leader");
        return -1;
    }
    up_resume(c);
    return 0;
}

/* A frame (body, len bytes) of a client we forward, or of an admin to
 * forward now. f is kept or freed. 0, or -1 if c was dropped. */
static int up_frame(struct conn *c, Nsd__Frame *f, const uint8_t *body, uint32_t len)
{
    int local = f->body_case == NSD__FRAME__BODY_SYSV_MEMFD || f->body_case == NSD__FRAME__BODY_STREAM_CONNECT;
    if (local && up_known(c)) {
        int r = host_local(c, f);
        nsd__frame__free_unpacked(f, NULL);
        return r;
    }
    if (local) {   /* up_resume answers it */
        c->held = f;
        c->paused = 1;
        return 0;
    }
    if (f->body_case == NSD__FRAME__BODY_STATUS) {
        answer_read(c, f);
    } else if (!c->up && up_open(c, c->hello + NSD_FRAME_HDR, (uint32_t)(c->hello_len - NSD_FRAME_HDR))) {
        send_redirect(c, f->req_id);
    } else {
        write_bytes(c->up, body, len);
    }
    nsd__frame__free_unpacked(f, NULL);
    return 0;
}

/* 0, or -1 if c was dropped, forwarded or is being refused. */
static int hello(struct conn *c, Nsd__Frame *f, const uint8_t *body, uint32_t len)
{
    const char *why = NULL;
    int err;
    if (f->body_case != NSD__FRAME__BODY_HELLO) {
        conn_drop(c, "first frame is not a hello (unauthenticated request)");
        return -1;
    }
    Nsd__Hello *h = f->hello;
    if (h->version != NSD_PROTO_VERSION) {
        conn_refuse(c, 0, EPROTONOSUPPORT, "unsupported protocol version");
        return -1;
    }
    if (h->client_id.len != NSD_CLIENT_ID_LEN) {
        conn_refuse(c, 0, EPROTO, "malformed client id");
        return -1;
    }
    nsd_hex(c->client, h->client_id.data, NSD_CLIENT_ID_LEN);
    /* Not leading: picoprocesses go to the leader (forwarded, or told
     * where it is); an admin may stay for the Status of this node, and is
     * forwarded or redirected for anything else. */
    if (!c->n->ready && h->role != NSD__ROLE__ROLE_ADMIN) {
        c->role = h->role;
        if (c->n->rep && !c->forwarded && !up_open(c, body, len)) {
            c->state = CONN_READY;
            bufferevent_set_timeouts(c->bev, NULL, NULL);
            return 0;
        }
        send_redirect(c, 0);
        c->state = CONN_CLOSING;
        if (c->bev)
            bufferevent_disable(c->bev, EV_READ);
        else
            conn_free(c);
        return -1;
    }
    if (h->role == NSD__ROLE__ROLE_ADMIN) {
        why = "admin needs the local unix socket";
        err = c->forwarded ? (c->forwarded_admin ? 0 : EACCES)
              : c->is_unix && c->bev ? auth_admin_peer(bufferevent_getfd(c->bev), &why) : EACCES;
        c->sandbox_id = 0;
        if (!err && !c->n->ready && c->n->rep && !c->forwarded) {
            c->hello_len = NSD_FRAME_HDR + len;
            c->hello = malloc(c->hello_len);
            if (!c->hello)
                abort();
            frame_header(c->hello, len);
            memcpy(c->hello + NSD_FRAME_HDR, body, len);
        }
    } else if (h->role == NSD__ROLE__ROLE_PICO && h->ticket.len) {
        /* A fork child's hello, sent before our server hello was read. */
        why = "bad ticket";
        err = h->ticket.len != NSD_NONCE_LEN ? EPROTO
              : auth_pico(&c->n->j, h, h->ticket.data, &c->sandbox_id, &why);
        if (!err && !ticket_take(c->sandbox_id, h->ticket.data, h->ticket.len)) {
            why = "unknown, expired or used ticket";
            err = EACCES;
        }
    } else if (h->role == NSD__ROLE__ROLE_PICO) {
        err = auth_pico(&c->n->j, h, c->nonce, &c->sandbox_id, &why);
    } else {
        err = EPROTO;
        why = "unknown role";
    }
    if (err) {
        conn_refuse(c, 0, err, why);
        return -1;
    }
    c->role = h->role;
    if (c->bev)
        bufferevent_set_timeouts(c->bev, NULL, NULL);
    snprintf(c->peer + strlen(c->peer), sizeof c->peer - strlen(c->peer), "/%.8s", c->client);
    hello_ok(c);
    return 0;
}

/* Admin add-node/remove-node: a membership change of the raft group,
 * answered once it is committed (server_admin_done). */
static void node_change(struct conn *c, Nsd__Frame *f)
{
    struct nsd *n = c->n;
    int add = f->body_case == NSD__FRAME__BODY_NODE_ADD;
    uint64_t id = add ? f->node_add->id : f->node_remove->id;
    if (!n->rep) {
        send_error(c, f->req_id, EOPNOTSUPP, "not a raft group (nsd --peers)");
        return;
    }
    if (!n->ready) {
        send_redirect(c, f->req_id);
        return;
    }
    int r = replica_change(n, c, f->req_id, id, add ? f->node_add->address : NULL);
    if (r)
        send_error(c, f->req_id, -r, r == -ESRCH ? "no such node" : r == -EEXIST ? "node id or address in use" :
                                     r == -EBUSY ? "a membership change is under way" : "membership change refused");
}

void server_admin_done(struct nsd *n, void *conn, uint64_t req_id, int err, const char *msg)
{
    struct conn *c = conn;
    (void)n;
    if (err) {
        send_error(c, req_id, err, msg);
        return;
    }
    Nsd__Ok ok = NSD__OK__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    f.req_id = req_id;
    f.body_case = NSD__FRAME__BODY_OK;
    f.ok = &ok;
    send_frame(c, &f);
}

/* A mutation is journaled re-packed inside its Op. protobuf-c keeps unknown
 * fields and writes them back, and some (a field number 0 inside a nested
 * message) then make the Op undecodable: every node would fail the whole
 * batch. Such a frame is malformed. */
static int reencodes(const Nsd__Frame *f)
{
    size_t len = nsd__frame__get_packed_size(f);
    uint8_t *buf = malloc(len + 1);
    if (!buf)
        abort();
    nsd__frame__pack(f, buf);
    Nsd__Frame *again = nsd__frame__unpack(NULL, len, buf);
    free(buf);
    if (again)
        nsd__frame__free_unpacked(again, NULL);
    return again != NULL;
}

/* One frame body: decode, authenticate or dispatch. 0, or -1 if dropped.
 * Behind a mutation of c in the batch being gathered (behind), only a
 * mutation that would be queued is taken, to join it; anything else is
 * left unread (1) until that batch is answered. */
static int frame(struct conn *c, const uint8_t *body, size_t len, int behind)
{
    struct nsd *n = c->n;
    Nsd__Frame *f = nsd__frame__unpack(NULL, len, body);
    if (behind) {
        int ready = f && c->state == CONN_READY && n->ready && allowed(c->role, f->body_case);
        if (ready && nsdc_body_is_mutation(f->body_case) && reencodes(f)) {
            queue_mutation(c, f);
            return 0;
        }
        /* A Ticket reads nothing the batch writes (see lazy_wait): answered
         * now, ahead of the mutations before it (nsdc matches replies by
         * id), so that a fork's Register and Ticket do not end a lazy batch
         * (one commit per fork), and the next fork's child has its ticket. */
        if (ready && f->body_case == NSD__FRAME__BODY_TICKET && !c->up) {
            send_ticket(c, f);
            nsd__frame__free_unpacked(f, NULL);
            return 0;
        }
        if (f && n->pending && n->lazy && n->flush_ev)
            event_active(n->flush_ev, 0, 0);   /* it waits for that batch: no timer */
        if (f)
            nsd__frame__free_unpacked(f, NULL);
        return 1;
    }
    if (!f) {
        conn_drop(c, "undecodable frame");
        return -1;
    }
    if (n->flush_ev && lazy_wait(c, f)) {
        nsd__frame__free_unpacked(f, NULL);
        return 1;
    }
    int r = 0;
    if (c->state == CONN_HELLO) {
        r = hello(c, f, body, (uint32_t)len);
    } else if (f->body_case == NSD__FRAME__BODY__NOT_SET) {
        conn_drop(c, "unknown message type");
        r = -1;
    } else if (c->reporter) {
        if (f->body_case != NSD__FRAME__BODY_HOST_REPORT) {
            conn_drop(c, "not a host report");
            r = -1;
        } else if (n->ready) {
            host_report(c, f->host_report);
        }
    } else if (f->body_case == NSD__FRAME__BODY_PEER_GONE && c->forwarded) {
        /* The follower's word: its host shows this client dead. */
        if (n->ready && c->role == NSD__ROLE__ROLE_PICO)
            journal_lost(n, c->sandbox_id, c->client, "died on its host (its node says)");
    } else if (!allowed(c->role, f->body_case)) {
        char why[80];
        snprintf(why, sizeof why, "message type %d not allowed for this role", f->body_case);
        conn_drop(c, why);
        r = -1;
    } else if (nsdc_body_is_mutation(f->body_case) && !reencodes(f)) {
        conn_drop(c, "malformed frame (does not re-encode)");
        r = -1;
    } else if (c->up || (c->hello && !n->ready && f->body_case != NSD__FRAME__BODY_STATUS)) {
        return up_frame(c, f, body, (uint32_t)len);
    } else if (nsdc_body_is_mutation(f->body_case) && !n->ready) {
        send_redirect(c, f->req_id);
    } else if (f->body_case == NSD__FRAME__BODY_SYSV_MEMFD) {
        r = sysv_memfd(c, f);
    } else if (f->body_case == NSD__FRAME__BODY_TICKET) {
        send_ticket(c, f);
    } else if (f->body_case == NSD__FRAME__BODY_STREAM_CONNECT) {
        r = stream_connect(c, f);
    } else if (nsdc_body_is_mutation(f->body_case)) {
        queue_mutation(c, f);
        return 0;
    } else if (f->body_case == NSD__FRAME__BODY_NODE_ADD || f->body_case == NSD__FRAME__BODY_NODE_REMOVE) {
        node_change(c, f);
    } else if (read_only(c, f)) {
        return 0;
    }
    nsd__frame__free_unpacked(f, NULL);
    return r;
}

/* No whole frame is left: wait for more, or drop once the peer is gone. */
static int feed_end(struct conn *c)
{
    if (!c->gone)
        return 0;
    conn_drop(c, evbuffer_get_length(c->in) ? "truncated frame" : c->gone > 0 ? strerror(c->gone) : NULL);
    return -1;
}

int conn_feed(struct conn *c)
{
    struct evbuffer *buf = c->in;
    for (;;) {
        if (c->state == CONN_CLOSING)
            return -1;
        /* Resumed once its queued request is answered; meanwhile, further
         * mutations may join the one in the batch still being gathered
         * (applied after it in the same transaction: one commit, not one
         * each, for a fork child's claim and Exit). */
        int behind = c->paused;
        if (behind && !c->batched)
            return 0;
        uint8_t hdr[NSD_FRAME_HDR];
        if (evbuffer_copyout(buf, hdr, sizeof hdr) < (ssize_t)sizeof hdr)
            return behind ? 0 : feed_end(c);
        uint32_t len = nsdc_frame_len(hdr);
        if (len > NSD_FRAME_MAX && !behind) {
            conn_drop(c, "oversized frame");
            return -1;
        }
        if (len > NSD_FRAME_MAX || evbuffer_get_length(buf) < NSD_FRAME_HDR + (size_t)len)
            return behind ? 0 : feed_end(c);
        uint8_t *body = evbuffer_pullup(buf, NSD_FRAME_HDR + (ssize_t)len) + NSD_FRAME_HDR;
        int r = frame(c, body, len, behind);
        if (r)
            return r < 0 ? r : 0;
        evbuffer_drain(buf, NSD_FRAME_HDR + (size_t)len);
    }
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_feed(arg);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    (void)bev;
    if (c->state == CONN_CLOSING)
        conn_free(c);   /* the refusal has been written */
    else
        fd_reply_flush(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;
    if (c->state == CONN_READY && (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))) {
        /* A picoprocess that exits right after a request (its Exit behind
         * a Register not answered yet) is gone before we answer: what it
         * sent still counts, its answers go nowhere. */
        struct evbuffer *out = bufferevent_get_output(bev);
        bufferevent_disable(bev, EV_WRITE);
        evbuffer_drain(out, evbuffer_get_length(out));
        if (what & BEV_EVENT_WRITING)
            return;   /* its input is still to be read, up to the EOF */
        c->gone = what & BEV_EVENT_EOF ? -1 : EVUTIL_SOCKET_ERROR();
        bufferevent_disable(bev, EV_READ);
        conn_feed(c);
    } else if (what & BEV_EVENT_EOF) {
        size_t left = evbuffer_get_length(bufferevent_get_input(bev));
        conn_drop(c, c->state == CONN_CLOSING ? NULL : left ? "truncated frame" : NULL);
    } else if (what & BEV_EVENT_ERROR) {
        conn_drop(c, strerror(EVUTIL_SOCKET_ERROR()));
    } else if (what & BEV_EVENT_TIMEOUT) {
        conn_drop(c, "no hello in time");
    }
}

static struct conn *conn_add(struct nsd *n, struct bufferevent *bev, int is_unix, const char *peer)
{
    struct conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    c->bev = bev;
    c->in = bev ? bufferevent_get_input(bev) : NULL;
    c->is_unix = is_unix;
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    c->next = n->conns;
    if (n->conns)
        n->conns->pprev = &c->next;
    c->pprev = &n->conns;
    n->conns = c;
    n->had_conn = 1;
    return c;
}

struct conn *conn_new(struct nsd *n, struct bufferevent *bev, int is_unix, const char *peer)
{
    struct conn *c = conn_add(n, bev, is_unix, peer);
    if (!c)
        return NULL;
    auth_random(c->nonce, sizeof c->nonce);

    Nsd__ServerHello sh = NSD__SERVER_HELLO__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    sh.version = NSD_PROTO_VERSION;
    sh.nonce.data = c->nonce;
    sh.nonce.len = sizeof c->nonce;
    sh.node = n->node;
    sh.term = n->term;
    f.body_case = NSD__FRAME__BODY_SERVER_HELLO;
    f.server_hello = &sh;
    send_frame(c, &f);
    return c;
}

/* A connection on fd (closed if that fails); a forwarded one has had its
 * ServerHello from the follower. */
static struct conn *conn_open(struct nsd *n, evutil_socket_t fd, int is_unix, const char *peer, int forwarded)
{
    struct bufferevent *bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct conn *c = !bev ? NULL : forwarded ? conn_add(n, bev, 0, peer) : conn_new(n, bev, is_unix, peer);
    if (!c) {
        if (bev)
            bufferevent_free(bev);
        else
            close(fd);
    }
    return c;
}

static void conn_start(struct conn *c)
{
    struct timeval hello_tv = { HELLO_TIMEOUT_S, 0 };
    bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
    bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_INPUT_MAX);
    bufferevent_set_timeouts(c->bev, &hello_tv, NULL);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct nsd *n = arg;
    char peer[64];
    (void)len;
    struct ucred cr = { 0 };
    if (sa->sa_family == AF_UNIX) {
        socklen_t cl = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl))
            cr.pid = 0;
        snprintf(peer, sizeof peer, "unix:pid%d", (int)cr.pid);
    } else {
        char host[48] = "?", port[8] = "?";
        getnameinfo(sa, len, host, sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(peer, sizeof peer, "tcp:%s:%s", host, port);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    struct conn *c = conn_open(n, fd, sa->sa_family == AF_UNIX, peer, 0);
    if (!c)
        return;
    if (sa->sa_family == AF_UNIX)
        c->peer_pid = cr.pid;
    (void)l;
    conn_start(c);
}

void server_forwarded(struct nsd *n, int fd, const Nsd__Forward *fw)
{
    if (fw->host_report) {   /* no client: the node link authenticated the follower */
        struct conn *c = conn_open(n, fd, 0, fw->peer, 1);
        if (c) {
            c->forwarded = c->reporter = 1;
            c->state = CONN_READY;
            conn_start(c);
            bufferevent_set_timeouts(c->bev, NULL, NULL);
        }
        return;
    }
    struct conn *c = fw->nonce.len == NSD_NONCE_LEN ? conn_open(n, fd, 0, fw->peer, 1) : NULL;
    if (!c) {
        if (fw->nonce.len != NSD_NONCE_LEN)
            close(fd);
        return;
    }
    /* The follower sent its ServerHello: the client's MAC covers its nonce. */
    memcpy(c->nonce, fw->nonce.data, NSD_NONCE_LEN);
    c->forwarded = 1;
    c->forwarded_admin = fw->admin;
    conn_start(c);
}

/* ---- leadership ----------------------------------------------------------------- */

static struct evconnlistener *listen_unix(struct nsd *n)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(n->sock_path) >= sizeof sa.sun_path) {
        nsd_log("socket path too long: %s", n->sock_path);
        return NULL;
    }
    strcpy(sa.sun_path, n->sock_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    /* We hold the journal's lock, so whatever is at the path belongs to an
     * nsd of this journal that died: take the path over. */
    unlink(n->sock_path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || chmod(n->sock_path, 0666) ||
        listen(fd, 128)) {
        nsd_log("cannot listen on %s: %s", n->sock_path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    /* Without it picoprocesses have no RPC stream; nsd serves all the same. */
    streams_dir_make(n->sock_path);
    return evconnlistener_new(n->base, accept_cb, n, LEV_OPT_CLOSE_ON_FREE, -1, fd);
}

static struct evconnlistener *listen_tcp(struct nsd *n)
{
    char host[200], port[16];
    char spec[230];
    snprintf(spec, sizeof spec, "tcp:%s", n->tcp_addr);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai;
    if (nsd_parse_tcp(spec, host, sizeof host, port, sizeof port) != 1 ||
        getaddrinfo(host, port, &hints, &ai)) {
        nsd_log("bad --tcp address %s (want HOST:PORT)", n->tcp_addr);
        return NULL;
    }
    struct evconnlistener *l = evconnlistener_new_bind(
        n->base, accept_cb, n, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 128,
        ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    if (!l)
        nsd_log("cannot listen on tcp %s: %s", n->tcp_addr, strerror(errno));
    return l;
}

static void close_listeners(struct nsd *n)
{
    if (n->unix_l)
        evconnlistener_free(n->unix_l);
    if (n->tcp_l)
        evconnlistener_free(n->tcp_l);
    n->unix_l = n->tcp_l = NULL;
}

/* Every node listens from its start: a follower redirects to the leader. */
static int start_listening(struct nsd *n)
{
    n->unix_l = listen_unix(n);
    if (n->tcp_addr)
        n->tcp_l = listen_tcp(n);
    if (!n->unix_l || (n->tcp_addr && !n->tcp_l))
        return -1;
    nsd_log("listening on %s%s%s", n->sock_path, n->tcp_addr ? " and tcp " : "",
            n->tcp_addr ? n->tcp_addr : "");
    return 0;
}

void server_self_redirect(struct nsd *n, Nsd__Redirect *r)
{
    r->node = n->node;
    r->host = n->host;
    r->unix_path = (char *)n->sock_path;
    r->tcp = (char *)(n->tcp_addr ? n->tcp_addr : "");
}

void server_ready(struct nsd *n)
{
    n->ready = 1;
    /* Give the clients of the previous leader time to reconnect first. */
    n->next_sweep = now_ms() + SWEEP_GRACE_MS;
    nsd_log("leader: term %llu, serving on %s%s%s", (unsigned long long)n->term, n->sock_path,
            n->tcp_addr ? " and tcp " : "", n->tcp_addr ? n->tcp_addr : "");
    watch_launchers(n);
    if (n->embedded)
        embedded_leading(n);
}

/* Clients of a node that stopped leading reconnect (and are redirected). */
static void drop_clients(struct nsd *n)
{
    while (n->pending) {
        struct pending *p = n->pending;
        n->pending = p->next;
        p->next = NULL;
        server_committed(n, p, ESTALE);
    }
    for (struct conn *c = n->conns, *next; c; c = next) {
        next = c->next;
        if (c->role != NSD__ROLE__ROLE_ADMIN || c->state != CONN_READY)
            conn_free(c);
    }
    while (n->watches)
        watch_free(n->watches);
}

void server_leading(struct nsd *n, uint64_t term, const char *why)
{
    if (term) {
        n->leading = 1;
        n->ready = 0;
        hostlink_close(n);   /* our host is ours to sweep and signal now */
        n->term = term;
        nsd_log("elected in term %llu", (unsigned long long)term);
        return;
    }
    if (!n->leading)
        return;
    nsd_log("stepping down from term %llu: %s", (unsigned long long)n->term, why);
    n->leading = n->ready = 0;
    drop_clients(n);
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct nsd *n = arg;
    int64_t now = now_ms();
    (void)fd;
    (void)what;
    /* A follower sweeps its host too (the leader cannot see it). */
    if (now >= n->next_sweep && (n->ready || (n->rep && !n->leading && leader_elsewhere(n)))) {
        nsd_flush(n);   /* the sweeps read what a lazy batch holds */
        sweep_vanished(n);
        sweep_reaped(n);
        sweep_unclaimed(n);
        report_send(n);
        n->next_sweep = now + SWEEP_MS;
    }
    if (n->ready && n->watch_sync)
        watch_launchers(n);
    if (n->embedded && n->ready && !n->conns && !n->pending && embedded_should_end(n, now)) {
        /* The path goes first, so no successor's socket is removed. */
        close_listeners(n);
        unlink(n->sock_path);
        exit_nsd(n, "embedded: the last sandbox has ended");
        n->exit_code = 0;
    }
}

/* A raft leader hands over first, so that its successor needs no election
 * timeout (but exits within a second in any case). */
static void exit_nsd(struct nsd *n, const char *why)
{
    struct timeval grace = { 1, 0 };
    nsd_log("exiting: %s", why);
    event_base_loopexit(n->base, n->rep && replica_hand_over(n) ? &grace : NULL);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct nsd *n = arg;
    (void)what;
    char why[32];
    snprintf(why, sizeof why, "signal %d", (int)sig);
    exit_nsd(n, why);
}

/* One nsd per journal: a second one (or one started while another still
 * runs) is refused instead of writing beside it. */
static int lock_journal(struct nsd *n, const char *journal_path)
{
    n->lock_fd = open(journal_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (n->lock_fd < 0) {
        nsd_log("cannot open %s: %s", journal_path, strerror(errno));
        return -1;
    }
    if (flock(n->lock_fd, LOCK_EX | LOCK_NB)) {
        nsd_log("journal %s is in use by another nsd", journal_path);
        return -1;
    }
    return 0;
}

static void members_cb(void *arg, Nsd__StatusReply *s, struct arena *a)
{
    replica_status(arg, s, a);
}

int nsd_init(struct nsd *n, const char *journal_path, const struct replica_opts *ro)
{
    n->journal_path = journal_path;
    n->lock_fd = -1;
    gethostname(n->host, sizeof n->host - 1);
    if (!n->node[0])
        snprintf(n->node, sizeof n->node, "%s:%d", n->host, (int)getpid());
    nsd_log_set_node(n->node);
    n->self.node = n->node;
    n->self.pid = getpid();
    n->self.started_ms = now_ms();
    /* A private nsd's state dies with its sandboxes, which a host crash ends
     * too: it need not wait for the disk (measured: 7 fsyncs, ~25 ms of a
     * cold start). In a raft group the raft log is what is durable: a
     * journal that lost its last commits replays them from the log. */
    if (lock_journal(n, journal_path) ||
        journal_open(&n->j, journal_path, n->embedded ? JOURNAL_SYNC_OFF : ro ? JOURNAL_SYNC_NORMAL : JOURNAL_SYNC_FULL))
        return -1;
    n->base = event_base_new();
    if (!n->base)
        return -1;
    struct timeval tv = { 0, TICK_MS * 1000 };
    n->tick = event_new(n->base, -1, EV_PERSIST, tick_cb, n);
    n->flush_ev = event_new(n->base, -1, 0, flush_cb, n);
    n->lazy_ev = evtimer_new(n->base, flush_cb, n);
    n->sigterm = evsignal_new(n->base, SIGTERM, signal_cb, n);
    n->sigint = evsignal_new(n->base, SIGINT, signal_cb, n);
    event_add(n->tick, &tv);
    event_add(n->sigterm, NULL);
    event_add(n->sigint, NULL);
    signal(SIGPIPE, SIG_IGN);
    nsd_log("started, journal %s", journal_path);
    if (start_listening(n)) {
        n->exit_code = 1;
        return -1;
    }
    if (ro) {
        n->self.members = members_cb;
        n->self.arg = n;
        return replica_open(n, ro);
    }
    n->leading = 1;
    server_ready(n);
    return 0;
}

int nsd_run(struct nsd *n)
{
    event_base_dispatch(n->base);
    return n->exit_code;
}

void nsd_fini(struct nsd *n)
{
    if (n->rep)
        replica_close(n);
    n->leading = n->ready = 0;
    close_listeners(n);
    drop_clients(n);
    while (n->conns)
        conn_free(n->conns);
    if (n->tick)
        event_free(n->tick);
    free(n->report);
    n->report = NULL;
    hostlink_close(n);
    if (n->flush_ev)
        event_free(n->flush_ev);
    if (n->lazy_ev)
        event_free(n->lazy_ev);
    if (n->sigterm)
        event_free(n->sigterm);
    if (n->sigint)
        event_free(n->sigint);
    if (n->base)
        event_base_free(n->base);
    journal_close(&n->j);
    if (n->lock_fd >= 0)
        close(n->lock_fd);
}
