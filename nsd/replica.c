#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <raft.h>
#include <raft/uv.h>
#include "raftlink.h"
#include "server.h"

#define ENTRY_HDR 4
#define DRAIN_PER_TURN 64

/* A committed entry a follower has yet to apply (fsm_apply). */
struct deferred {
    struct deferred *next;
    uint64_t index;
    size_t len;
    uint8_t data[];
};

/* A batch of mutations proposed and not applied yet. */
struct proposal {
    struct raft_apply req;
    struct replica *rp;
    struct pending *batch;
    struct pending *reads;          /* waiting reads it confirms, as a barrier would */
    struct proposal *next;
};

/* An admin's membership change: add (then promote to voter) or remove. */
struct change {
    struct raft_change req;
    struct replica *rp;
    void *conn;                     /* NULL once gone */
    uint64_t req_id, id;
    int promote;                    /* added as a spare: raft_assign next */
    struct change *next;
};

struct replica {
    struct nsd *n;
    int (*uv_snapshot_get)(struct raft_io *, struct raft_io_snapshot_get *, raft_io_snapshot_get_cb);
    uv_loop_t loop;
    struct raft_uv_transport transport;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft raft;
    struct event *io_ev, *timer;
    struct proposal *inflight;
    struct change *changes;
    struct op_reply *replies;       /* of the entry being applied, for apply_cb */
    size_t nreplies;
    struct raft_apply announce;
    /* Reads wait for a barrier (read index): the one in flight confirms
     * leadership for `reading`; those arriving meanwhile wait for the next. */
    struct raft_barrier barrier;
    struct pending *reading, *read_waiting;
    int barrier_busy;
    int state;                      /* raft_state() last seen */
    int closed;
    int broken;                     /* an entry failed to apply: apply nothing more */
    int full;                       /* the disk is full: standing for no election */
    int hand_off;                   /* broken just now: a leader hands over (once) */
    struct event *space;            /* looks at the disk each second */
    struct event *revive;           /* then raft restarts in-process (fail_stop) */
    struct deferred *later, **later_tail;
    uint64_t nlater;
    struct event *drain;            /* applies `later`, DRAIN_PER_TURN at a time */
    struct replica_opts opts;
    struct raft_transfer transfer;
    int transferring, leaving;
    int64_t led_at;                 /* when this node became leader (unready leader watchdog) */
    raft_id forwarding_to;          /* the leader our forwarded clients went to */
    int forwarded;                  /* any, since it became leader (logged once) */
    raft_index seen_applied;        /* last_applied at the last observe() */
    char addr[64];
};

/* ---- one loop: libuv driven from libevent ---------------------------------------
 * raft_uv's loop has one pollable fd (uv_backend_fd) and a next timer
 * (uv_backend_timeout): libevent watches the one and sleeps until the other,
 * and each wake-up runs one non-blocking libuv iteration. */

static void observe(struct replica *rp);

static void schedule(struct replica *rp)
{
    int t = uv_backend_timeout(&rp->loop);
    if (t < 0) {
        evtimer_del(rp->timer);
        return;
    }
    struct timeval tv = { t / 1000, (t % 1000) * 1000 };
    evtimer_add(rp->timer, &tv);
}

static void end_batch(struct replica *rp);

static void run_uv(evutil_socket_t fd, short what, void *arg)
{
    struct replica *rp = arg;
    (void)fd;
    (void)what;
    uv_run(&rp->loop, UV_RUN_NOWAIT);
    end_batch(rp);
    observe(rp);
    schedule(rp);
}

/* Work handed to raft (a proposal) runs at the next turn of the loop. */
static void kick(struct replica *rp)
{
    struct timeval now = { 0, 0 };
    evtimer_add(rp->timer, &now);
}

/* ---- the state machine ----------------------------------------------------------- */

static void drop_replies(struct replica *rp)
{
    for (size_t i = 0; i < rp->nreplies; i++)
        free(rp->replies[i].buf);
    free(rp->replies);
    rp->replies = NULL;
    rp->nreplies = 0;
}

static void drop_deferred(struct replica *rp)
{
    while (rp->later) {
        struct deferred *d = rp->later;
        rp->later = d->next;
        free(d);
    }
    rp->later_tail = &rp->later;
    rp->nlater = 0;
}

/* An I/O error (a full disk: an entry raft cannot store, after which it
 * stays unavailable, or one we cannot apply): this node's raft stops, its
 * journal consistent at its applied index, and starts again a moment later
 * in this process, as a restart would: raft loads its log and the journal
 * goes on from its index (still full: the same again, every second). raft
 * itself may go on past an entry the FSM refused, so nothing is applied
 * after it meanwhile, and a leader stops serving at once. */
static void fail_stop(struct replica *rp, const char *why)
{
    struct timeval later = { REVIVE_MS / 1000, REVIVE_MS % 1000 * 1000 };
    if (rp->broken)
        return;
    rp->broken = 1;
    rp->hand_off = 1;
    /* It takes no leadership by itself meanwhile (only by a transfer). */
    raft_set_election_timeout(&rp->raft, FULL_ELECTION_MS);
    nsd_log("raft: %s: restarting raft on this node in %d ms", why, REVIVE_MS);
    server_leading(rp->n, 0, "raft cannot write");
    evtimer_add(rp->revive, &later);
}

int replica_disk_full(struct nsd *n)
{
    struct statvfs sv;
    return !statvfs(n->rep->opts.dir, &sv) && (uint64_t)sv.f_bavail * sv.f_frsize < DISK_FREE_MIN;
}

/* A node on a full disk would fail the first entry it leads (and may
 * have the longest log, having just led): while its disk is full it
 * stands for no election (a huge election timeout: it only votes and
 * follows), and a leader stops (fail_stop: it hands over). */
static void stand(struct replica *rp, int full)
{
    if (full != rp->full)
        nsd_log("raft: %s", full ? "the disk is full: standing for no election" :
                                   "space on the disk again: standing for election");
    rp->full = full;
    raft_set_election_timeout(&rp->raft, full ? FULL_ELECTION_MS : RAFT_ELECTION_MS);
}

/* Each second, as long as raft runs unbroken. */
static void space_cb(evutil_socket_t fd, short what, void *arg)
{
    struct replica *rp = arg;
    struct timeval later = { 1, 0 };
    (void)fd, (void)what;
    evtimer_add(rp->space, &later);
    if (!rp->io_ev || rp->broken)
        return;
    int full = replica_disk_full(rp->n);
    if (full != rp->full)
        stand(rp, full);
    if (raft_state(&rp->raft) != RAFT_LEADER)
        return;
    int64_t led_for = now_ms() - rp->led_at;
    /* (also one that a transfer made leader: it would hold the group) */
    if (rp->full)
        fail_stop(rp, "the disk is full");
    else if (!rp->n->ready && led_for > UNREADY_LEADER_MS) {
        /* (libraft 0.15 can leave a leader whose own append failed with
         * its first entry never committed, heartbeating: it would hold the
         * group, answering no one) */
        char why[160];
        snprintf(why, sizeof why, "leader for %lld ms without its first entry applied (last index %llu, commit %llu, applied %llu)",
                 (long long)led_for, (unsigned long long)raft_last_index(&rp->raft),
                 (unsigned long long)rp->raft.commit_index, (unsigned long long)raft_last_applied(&rp->raft));
        fail_stop(rp, why);
    }
}

static void transfer_cb(struct raft_transfer *req)
{
    struct replica *rp = req->data;
    rp->transferring = 0;
    if (rp->leaving)
        event_base_loopexit(rp->n->base, NULL);
}

int replica_hand_over(struct nsd *n)
{
    struct replica *rp = n->rep;
    if (raft_state(&rp->raft) != RAFT_LEADER || rp->transferring)
        return 0;
    rp->transfer.data = rp;
    if (raft_transfer(&rp->raft, &rp->transfer, 0, transfer_cb))
        return 0;
    rp->transferring = rp->leaving = 1;
    kick(rp);
    nsd_log("raft: handing over leadership before exiting");
    return 1;
}

/* The entries applied in one turn of the loop are one transaction (see
 * journal_batch_begin): raft has them in its log, so a crash before the
 * commit loses none; the replay applies them again. A commit that fails
 * (disk full) stops this node's raft as a failed apply does. */
static void end_batch(struct replica *rp)
{
    int r = journal_batch_end(&rp->n->j);
    if (r) {
        char why[80];
        snprintf(why, sizeof why, "cannot commit applied entries: %s", strerror(-r));
        fail_stop(rp, why);
    }
}

/* Entry index (its packed RaftEntry in d) into the journal, with replies
 * when this node leads; a raft error code. */
static int apply_entry(struct replica *rp, const uint8_t *d, size_t blen, uint64_t index)
{
    if (rp->broken)
        return RAFT_IOERR;
    /* Every failure below stops this node's raft (fail_stop), whose
     * restart replays the entries after the journal's index: a deferred
     * entry is applied as far as raft knows, and a leader that failed one
     * would otherwise stay leader and answer nothing. */
    if (journal_batch_begin(&rp->n->j)) {
        fail_stop(rp, "cannot begin a journal transaction");
        return RAFT_IOERR;
    }
    size_t len = blen >= ENTRY_HDR ? (size_t)d[0] | (size_t)d[1] << 8 | (size_t)d[2] << 16 | (size_t)d[3] << 24 : 0;
    Nsd__RaftEntry *e = len && ENTRY_HDR + len <= blen ? nsd__raft_entry__unpack(NULL, len, d + ENTRY_HDR) : NULL;
    char why[80];
    if (!e) {
        snprintf(why, sizeof why, "undecodable entry %llu", (unsigned long long)index);
        fail_stop(rp, why);
        return RAFT_MALFORMED;
    }
    drop_replies(rp);
    /* Only the leader answers clients: followers need no replies. */
    if (raft_state(&rp->raft) == RAFT_LEADER) {
        rp->replies = calloc(e->n_ops + 1, sizeof *rp->replies);
        if (!rp->replies)
            abort();
        rp->nreplies = e->n_ops;
    }
    int r = state_apply(&rp->n->j, e->ops, e->n_ops, e->term, index, e->leader, rp->replies);
    nsd__raft_entry__free_unpacked(e, NULL);
    if (r < 0) {
        snprintf(why, sizeof why, "cannot apply entry %llu: %s", (unsigned long long)index, strerror(-r));
        drop_replies(rp);
        fail_stop(rp, why);
        return r == -ENOSPC ? RAFT_NOSPACE : RAFT_IOERR;
    }
    return 0;
}

/* Up to max (-1: all) deferred entries into the journal, in one transaction. */
static void drain(struct replica *rp, int max)
{
    for (int k = 0; rp->later && k != max; k++) {
        struct deferred *d = rp->later;
        if (!(rp->later = d->next))
            rp->later_tail = &rp->later;
        rp->nlater--;
        int r = apply_entry(rp, d->data, d->len, d->index);
        free(d);
        if (r)
            drop_deferred(rp);   /* raft stops; its restart replays them */
    }
    end_batch(rp);
}

static void drain_cb(evutil_socket_t fd, short what, void *arg)
{
    struct replica *rp = arg;
    struct timeval now = { 0, 0 };
    (void)fd;
    (void)what;
    drain(rp, DRAIN_PER_TURN);
    if (rp->later)
        evtimer_add(rp->drain, &now);
}

/*
 * raft applies every committed entry before it answers the AppendEntries
 * that brought them, so a follower catching up thousands of entries (a node
 * restarted with its journal) would answer its leader, and vote, only after
 * applying them all: long enough for that leader to lose its quorum. A
 * follower therefore only copies the entry here and applies it from the
 * event loop, a few at a time. Nothing is lost by it: raft's log holds the
 * entries until a snapshot, and a snapshot (or a restore, or this node
 * leading) applies the deferred entries first. The leader applies at once,
 * its replies answering the clients.
 */
static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    struct replica *rp = fsm->data;
    /* raft advances last_applied after this returns: this entry is the next. */
    uint64_t index = raft_last_applied(&rp->raft) + 1;
    *result = NULL;
    if (rp->broken)
        return RAFT_IOERR;
    if (raft_state(&rp->raft) != RAFT_LEADER && rp->drain) {
        struct deferred *d = malloc(sizeof *d + buf->len);
        if (!d)
            abort();
        d->next = NULL;
        d->index = index;
        d->len = buf->len;
        memcpy(d->data, buf->base, buf->len);
        *rp->later_tail = d;
        rp->later_tail = &d->next;
        rp->nlater++;
        struct timeval now = { 0, 0 };
        evtimer_add(rp->drain, &now);
        return 0;
    }
    drain(rp, -1);
    int r = apply_entry(rp, buf->base, buf->len, index);
    if (!r)
        *result = rp->replies;
    if (!rp->timer)   /* outside run_uv (stopping): commit now */
        end_batch(rp);
    return r;
}

/* The journal as one sqlite image, its oplog trimmed first. */
static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    struct replica *rp = fsm->data;
    sqlite3_int64 size = 0;
    drain(rp, -1);
    if (rp->broken || state_trim_oplog(&rp->n->j, rp->opts.snapshot_every))
        return RAFT_IOERR;
    unsigned char *img = sqlite3_serialize(rp->n->j.db, "main", &size, 0);
    *bufs = raft_malloc(sizeof **bufs);
    if (!img || !*bufs || size < 100) {
        sqlite3_free(img);
        raft_free(*bufs);
        return RAFT_NOMEM;
    }
    /* The header's WAL mode (bytes 18-19 = 2) would stop the image from
     * opening in memory (restore): mark it a rollback-journal database. */
    img[18] = img[19] = 1;
    (*bufs)[0].base = img;
    (*bufs)[0].len = size;
    *n_bufs = 1;
    nsd_log("raft: snapshot at %llu (%lld bytes)", (unsigned long long)raft_last_applied(&rp->raft),
            (long long)size);
    return 0;
}

static int fsm_snapshot_finalize(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    (void)fsm;
    if (*bufs) {
        sqlite3_free((*bufs)[0].base);
        raft_free(*bufs);
    }
    *bufs = NULL;
    *n_bufs = 0;
    return 0;
}

/* A snapshot from the leader (or our own at a start): unless the journal
 * has applied as much already, its tables replace ours, copied row by row
 * from the image attached in memory. */
static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    struct replica *rp = fsm->data;
    struct journal *j = &rp->n->j;
    drain(rp, -1);
    if (rp->broken)
        return RAFT_IOERR;
    unsigned char *img = sqlite3_malloc64(buf->len);
    int r = RAFT_IOERR;
    if (!img)
        return RAFT_NOMEM;
    memcpy(img, buf->base, buf->len);
    /* (Writable: BEGIN IMMEDIATE locks every attached database.) */
    if (sqlite3_exec(j->db, "ATTACH ':memory:' AS snap", NULL, NULL, NULL) ||
        sqlite3_deserialize(j->db, "snap", img, buf->len, buf->len, SQLITE_DESERIALIZE_FREEONCLOSE)) {
        nsd_log("raft: cannot open a snapshot: %s", sqlite3_errmsg(j->db));
        goto out;
    }
    int64_t theirs = 0;
    jint(j, &theirs, "SELECT v FROM snap.meta WHERE k = 'applied'", "");
    if ((uint64_t)theirs <= state_applied(j)) {
        r = 0;
        goto out;
    }
    char *tables[32];
    int nt = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(j->db, "SELECT name FROM snap.sqlite_schema WHERE type = 'table'"
                                  " AND name NOT LIKE 'sqlite_%'", -1, &st, NULL))
        goto out;
    while (nt < 32 && sqlite3_step(st) == SQLITE_ROW)
        tables[nt++] = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!journal_begin(j)) {
        int bad = 0;
        for (int i = 0; i < nt && !bad; i++) {
            char *sql = sqlite3_mprintf("DELETE FROM main.\"%w\"; INSERT INTO main.\"%w\" SELECT * FROM snap.\"%w\";",
                                        tables[i], tables[i], tables[i]);
            bad = sqlite3_exec(j->db, sql, NULL, NULL, NULL) != SQLITE_OK;
            if (bad)
                nsd_log("raft: restoring table %s: %s", tables[i], sqlite3_errmsg(j->db));
            sqlite3_free(sql);
        }
        if (!bad && !journal_commit(j)) {
            r = 0;
            nsd_log("raft: journal restored from a snapshot at %lld", (long long)theirs);
        }
        journal_rollback(j);
    }
    for (int i = 0; i < nt; i++)
        sqlite3_free(tables[i]);
out:
    sqlite3_exec(j->db, "DETACH snap", NULL, NULL, NULL);
    if (!r)   /* ours once restored; raft frees it on a failure */
        raft_free(buf->base);
    return r;
}

/* ---- leading ----------------------------------------------------------------------- */

static int to_errno(int rv)
{
    switch (rv) {
    case RAFT_NOTLEADER: case RAFT_LEADERSHIPLOST: case RAFT_SHUTDOWN: return ESTALE;
    case RAFT_NOSPACE: return ENOSPC;
    case RAFT_DUPLICATEID: case RAFT_DUPLICATEADDRESS: return EEXIST;
    case RAFT_BADID: case RAFT_NOTFOUND: return ESRCH;
    case RAFT_CANTCHANGE: case RAFT_BUSY: return EBUSY;
    case RAFT_NOMEM: return ENOMEM;
    default: return EIO;
    }
}

/* Proposes one RaftEntry; 0 or a RAFT_ error. The buffer is the packed
 * entry behind its length (4 bytes, little-endian), zero-padded to 8 bytes:
 * raft_uv reads back the entries of a batch at 8-byte boundaries. */
static int propose(struct replica *rp, struct raft_apply *req, const Nsd__RaftEntry *e, raft_apply_cb cb)
{
    struct raft_buffer b;
    size_t len = nsd__raft_entry__get_packed_size(e);
    b.len = (ENTRY_HDR + len + 7) & ~(size_t)7;
    b.base = raft_calloc(1, b.len);
    if (!b.base)
        return RAFT_NOMEM;
    uint8_t *d = b.base;
    d[0] = len, d[1] = len >> 8, d[2] = len >> 16, d[3] = len >> 24;
    nsd__raft_entry__pack(e, d + ENTRY_HDR);
    int rv = raft_apply(&rp->raft, req, &b, 1, cb);
    if (rv)
        raft_free(b.base);
    else
        kick(rp);
    return rv;
}

static void announce_cb(struct raft_apply *req, int status, void *result)
{
    struct replica *rp = req->data;
    (void)result;
    if (status)
        nsd_log("raft: the announce of term %llu failed: %s", (unsigned long long)rp->raft.current_term,
                raft_strerror(status));
    if (!status && raft_state(&rp->raft) == RAFT_LEADER && !rp->n->ready)
        server_ready(rp->n);
}

/* A new leader's first entry: where clients find it. Once applied, every
 * entry of the previous terms is applied here too, so reads are current. */
static void announce(struct replica *rp)
{
    Nsd__RaftEntry e = NSD__RAFT_ENTRY__INIT;
    Nsd__Redirect self = NSD__REDIRECT__INIT;
    server_self_redirect(rp->n, &self);
    e.leader = &self;
    e.term = rp->raft.current_term;
    rp->announce.data = rp;
    int rv = propose(rp, &rp->announce, &e, announce_cb);
    if (rv)
        nsd_log("raft: cannot announce: %s", raft_strerror(rv));
}

static const char *state_name(int st)
{
    return st == RAFT_LEADER ? "leader" : st == RAFT_CANDIDATE ? "candidate" :
           st == RAFT_FOLLOWER ? "follower" : "unavailable";
}

static void observe(struct replica *rp)
{
    int st = raft_state(&rp->raft), was = rp->state;
    raft_id lid = 0;
    const char *laddr = NULL;
    rp->n->term = rp->raft.current_term;
    if (raft_last_applied(&rp->raft) != rp->seen_applied) {
        rp->seen_applied = raft_last_applied(&rp->raft);
        server_applied(rp->n);
    }
    raft_leader(&rp->raft, &lid, &laddr);
    /* Requests forwarded to a leader that lost its place may never be
     * answered: fail them (the clients retry here, and go to the next one). */
    if (lid != rp->forwarding_to) {
        raftlink_drop_forwards(&rp->transport);
        rp->forwarding_to = lid;
        rp->forwarded = 0;
    }
    /* A leader that cannot write hands over at once (raft_transfer to the
     * most current node) rather than heartbeating until raft restarts. */
    if (rp->hand_off && st == RAFT_LEADER && !rp->transferring) {
        rp->transfer.data = rp;
        if (!raft_transfer(&rp->raft, &rp->transfer, 0, transfer_cb))
            rp->transferring = 1;
    }
    rp->hand_off = 0;
    if (st == was)
        return;
    rp->state = st;
    /* (A started raft is a follower at least: unavailable means given up.) */
    if (st == RAFT_UNAVAILABLE)
        fail_stop(rp, "raft gave up after an I/O error");
    if (st == RAFT_LEADER) {
        rp->led_at = now_ms();
        server_leading(rp->n, rp->raft.current_term, NULL);
        announce(rp);
    } else if (was == RAFT_LEADER) {
        char why[64];
        snprintf(why, sizeof why, "raft: now %s in term %llu", state_name(st),
                 (unsigned long long)rp->raft.current_term);
        server_leading(rp->n, 0, why);
    }
}


/* The errno for reads confirmed by an entry that completed with status. */
static int confirmed(struct replica *rp, int status)
{
    return status ? to_errno(status) : raft_state(&rp->raft) == RAFT_LEADER ? 0 : ESTALE;
}

static void apply_cb(struct raft_apply *req, int status, void *result)
{
    struct proposal *pr = req->data, **pp;
    struct replica *rp = pr->rp;
    struct op_reply *r = result;
    size_t i = 0;
    for (pp = &rp->inflight; *pp != pr; pp = &(*pp)->next)
        ;
    *pp = pr->next;
    int err = status ? to_errno(status) : r ? 0 : ESTALE;
    for (struct pending *p = pr->batch; !err && p; p = p->next, i++) {
        p->reply = r[i].buf;
        p->reply_len = r[i].len;
        r[i].buf = NULL;
    }
    server_committed(rp->n, pr->batch, err);
    server_confirmed(rp->n, pr->reads, confirmed(rp, status));
    free(pr);
}

void replica_propose(struct nsd *n, struct pending *batch)
{
    struct replica *rp = n->rep;
    size_t nops = 0, i = 0;
    struct pending *p;
    if (!n->ready) {
        server_committed(n, batch, ESTALE);
        return;
    }
    for (p = batch; p; p = p->next)
        nops++;
    ProtobufCBinaryData ops[nops];
    for (p = batch; p; p = p->next)
        ops[i++] = p->op;
    Nsd__RaftEntry e = NSD__RAFT_ENTRY__INIT;
    e.ops = ops;
    e.n_ops = nops;
    e.term = rp->raft.current_term;
    struct proposal *pr = calloc(1, sizeof *pr);
    if (!pr)
        abort();
    pr->req.data = pr;
    pr->rp = rp;
    pr->batch = batch;
    int rv = propose(rp, &pr->req, &e, apply_cb);
    if (rv) {
        free(pr);
        server_committed(n, batch, to_errno(rv));
        return;
    }
    pr->next = rp->inflight;
    rp->inflight = pr;
    /* The reads waiting for the next barrier are confirmed by this entry's
     * commit just as well: it is proposed after they arrived. */
    pr->reads = rp->read_waiting;
    rp->read_waiting = NULL;
}

/* ---- linearizable reads --------------------------------------------------------
 * A read is answered once a barrier proposed after it arrived is applied: the
 * barrier's commit shows that a majority still took us for leader after the
 * read arrived, and its apply, that the journal holds every entry committed
 * before. A leader cut off or paused that has been deposed meanwhile cannot
 * commit it, so it never answers from its stale state. One barrier at a time:
 * the reads that arrive while it is in flight share the next one, or ride on
 * a batch of mutations proposed before that (replica_propose). */

static void barrier_cb(struct raft_barrier *req, int status);

static void start_barrier(struct replica *rp)
{
    struct pending *batch = rp->read_waiting;
    rp->read_waiting = NULL;
    rp->barrier.data = rp;
    int rv = raft_barrier(&rp->raft, &rp->barrier, barrier_cb);
    if (rv) {
        server_confirmed(rp->n, batch, to_errno(rv));
        return;
    }
    rp->reading = batch;
    rp->barrier_busy = 1;
    kick(rp);
}

static void barrier_cb(struct raft_barrier *req, int status)
{
    struct replica *rp = req->data;
    struct pending *batch = rp->reading;
    rp->reading = NULL;
    rp->barrier_busy = 0;
    server_confirmed(rp->n, batch, confirmed(rp, status));
    if (!rp->barrier_busy && rp->read_waiting)
        start_barrier(rp);
}

void replica_read(struct nsd *n, struct pending *p)
{
    struct replica *rp = n->rep;
    p->next = rp->read_waiting;
    rp->read_waiting = p;
    if (!rp->barrier_busy)
        start_barrier(rp);
}

static void forget_in(struct pending *batch, const void *conn)
{
    for (struct pending *p = batch; p; p = p->next)
        if (p->c == conn)
            p->c = NULL;
}

void replica_forget(struct nsd *n, const void *conn)
{
    for (struct proposal *pr = n->rep->inflight; pr; pr = pr->next) {
        forget_in(pr->batch, conn);
        forget_in(pr->reads, conn);
    }
    forget_in(n->rep->reading, conn);
    forget_in(n->rep->read_waiting, conn);
    for (struct change *ch = n->rep->changes; ch; ch = ch->next)
        if (ch->conn == conn)
            ch->conn = NULL;
}

/* ---- membership --------------------------------------------------------------- */

static void change_cb(struct raft_change *req, int status)
{
    struct change *ch = req->data, **pp;
    struct replica *rp = ch->rp;
    if (!status && ch->promote) {
        /* Added as a spare; now a voter (raft catches it up first). */
        ch->promote = 0;
        status = raft_assign(&rp->raft, &ch->req, ch->id, RAFT_VOTER, change_cb);
        if (!status) {
            kick(rp);
            return;
        }
    }
    for (pp = &rp->changes; *pp != ch; pp = &(*pp)->next)
        ;
    *pp = ch->next;
    nsd_log("raft: membership change for node %llu: %s", (unsigned long long)ch->id,
            status ? raft_strerror(status) : "done");
    if (ch->conn)
        server_admin_done(rp->n, ch->conn, ch->req_id, status ? to_errno(status) : 0,
                          status ? raft_strerror(status) : NULL);
    free(ch);
}

int replica_change(struct nsd *n, void *conn, uint64_t req_id, uint64_t id, const char *addr)
{
    struct replica *rp = n->rep;
    /* A retried request (the client timed out while a new node caught up)
     * waits for the change already under way; one already done is done. */
    for (struct change *ch = rp->changes; ch; ch = ch->next)
        if (ch->id == id) {
            ch->conn = conn;
            ch->req_id = req_id;
            return 0;
        }
    for (unsigned i = 0; addr && i < rp->raft.configuration.n; i++) {
        const struct raft_server *sv = &rp->raft.configuration.servers[i];
        if (sv->id == id && sv->role == RAFT_VOTER && !strcmp(sv->address, addr)) {
            server_admin_done(n, conn, req_id, 0, NULL);
            return 0;
        }
    }
    struct change *ch = calloc(1, sizeof *ch);
    if (!ch)
        abort();
    *ch = (struct change){ .rp = rp, .conn = conn, .req_id = req_id, .id = id, .promote = addr != NULL };
    ch->req.data = ch;
    int rv = addr ? raft_add(&rp->raft, &ch->req, id, addr, change_cb)
                  : raft_remove(&rp->raft, &ch->req, id, change_cb);
    if (rv) {
        nsd_log("raft: membership change for node %llu refused: %s", (unsigned long long)id,
                raft_strerror(rv));
        free(ch);
        return -to_errno(rv);
    }
    ch->next = rp->changes;
    rp->changes = ch;
    kick(rp);
    return 0;
}

/* ---- views ------------------------------------------------------------------------ */

/* The leader raft knows and has heard from lately (0: none). */
static raft_id live_leader(struct raft *rf, const char **addr)
{
    raft_id id = 0;
    raft_leader(rf, &id, addr);
    /* A follower that has missed the leader's last heartbeats names nobody:
     * the leader is likely stopped or cut off, and a client sent there would
     * wait out its I/O timeout in the accept queue. */
    if (rf->state == RAFT_FOLLOWER && rf->io->time(rf->io) - rf->election_timer_start > RAFT_SUSPECT_MS)
        id = 0;
    return id;
}

void replica_leader(struct nsd *n, Nsd__Redirect *r, struct arena *a)
{
    const char *addr = NULL;
    char want[24];
    raft_id id = live_leader(&n->rep->raft, &addr);
    snprintf(want, sizeof want, "%llu", (unsigned long long)id);
    sqlite3_stmt *st = jq(&n->j, "SELECT node, host, unix_path, tcp FROM leader WHERE id = 1", "");
    /* The announcement of an earlier leader names nobody to go to. */
    if (id && st && sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), want)) {
        r->node = arena_strdup(a, want);
        r->host = arena_strdup(a, (const char *)sqlite3_column_text(st, 1));
        r->unix_path = arena_strdup(a, (const char *)sqlite3_column_text(st, 2));
        r->tcp = arena_strdup(a, (const char *)sqlite3_column_text(st, 3));
    }
    if (st)
        sqlite3_reset(st);
}

int replica_forward(struct nsd *n, const Nsd__Forward *fw)
{
    struct replica *rp = n->rep;
    const char *addr = NULL;
    raft_id id = live_leader(&rp->raft, &addr);
    Nsd__Redirect r = NSD__REDIRECT__INIT;
    struct arena a = { 0 };
    /* A leader on this host is reached directly (the Redirect says where). */
    replica_leader(n, &r, &a);
    int here = r.node[0] && !strcmp(r.host, n->host);
    arena_free(&a);
    int fd = here || !id || id == rp->raft.id || id != rp->forwarding_to ? -1
             : raftlink_forward(&rp->transport, addr, fw);
    if (fd >= 0 && !rp->forwarded++)
        nsd_log("raft: forwarding clients to the leader, node %llu at %s", (unsigned long long)id, addr);
    return fd;
}

void replica_status(struct nsd *n, Nsd__StatusReply *s, struct arena *a)
{
    struct raft *r = &n->rep->raft;
    raft_id lid = 0;
    const char *laddr = NULL;
    raft_leader(r, &lid, &laddr);
    int leading = r->state == RAFT_LEADER;
    raft_index last = raft_last_index(r);
    s->standbys = arena_alloc(a, (r->configuration.n + 1) * sizeof *s->standbys);
    for (unsigned i = 0; i < r->configuration.n; i++) {
        const struct raft_server *sv = &r->configuration.servers[i];
        Nsd__Node *nd = arena_alloc(a, sizeof *nd);
        char id[24];
        nsd__node__init(nd);
        snprintf(id, sizeof id, "%llu", (unsigned long long)sv->id);
        nd->id = arena_strdup(a, id);
        nd->address = arena_strdup(a, sv->address);
        nd->voter = sv->role == RAFT_VOTER;
        nd->role = sv->id == lid ? "leader" : sv->role == RAFT_VOTER ? "follower" : "spare";
        if (sv->id == r->id) {
            nd->role = (char *)state_name(r->state);
            nd->pid = getpid();
            nd->started_ms = n->self.started_ms;
            nd->last_seen_ms = now_ms();
            nd->term = r->current_term;
            nd->commit_index = r->commit_index;
            /* (in the journal: raft's last_applied counts the deferred) */
            nd->applied_index = r->last_applied - n->rep->nlater;
            nd->match_index = r->last_stored;
            nd->lag = r->commit_index - nd->applied_index;
        }
        if (leading) {
            /* The leader knows how far each node has the log. */
            nd->match_index = sv->id == r->id ? r->last_stored : r->leader_state.progress[i].match_index;
            nd->lag = last - nd->match_index;
        }
        if (sv->id == lid && !s->leader)
            s->leader = nd;
        else
            s->standbys[s->n_standbys++] = nd;
    }
    if (!s->leader) {
        s->leader = arena_alloc(a, sizeof *s->leader);
        nsd__node__init(s->leader);
        s->leader->role = "none";
    }
}

/* ---- start and end -------------------------------------------------------------- */

/* "ID=HOST:PORT,..." into conf; our own address into rp->addr. */
static int parse_peers(struct replica *rp, const char *peers, uint64_t self, struct raft_configuration *conf)
{
    char buf[1024], *save = NULL;
    snprintf(buf, sizeof buf, "%s", peers);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '='), *end = NULL;
        unsigned long long id = eq ? strtoull(tok, &end, 10) : 0;
        if (!id || end != eq || !strchr(eq + 1, ':')) {
            nsd_log("--peers: bad entry '%s' (want ID=IP:PORT, ID a number > 0)", tok);
            return -1;
        }
        if (raft_configuration_add(conf, id, eq + 1, RAFT_VOTER)) {
            nsd_log("--peers: node %llu or address %s given twice", id, eq + 1);
            return -1;
        }
        if (id == self)
            snprintf(rp->addr, sizeof rp->addr, "%s", eq + 1);
    }
    if (!rp->addr[0]) {
        nsd_log("--peers does not name this node (%llu)", (unsigned long long)self);
        return -1;
    }
    return 0;
}

static void revive_cb(evutil_socket_t fd, short what, void *arg);

static void forwarded(void *arg, int fd, const Nsd__Forward *fw)
{
    server_forwarded(arg, fd, fw);
}

/* raft and its I/O, from the log in o->dir. 0 or -1. */
/* raft_uv (libraft 0.15) answers a snapshot get with no snapshot on disk as
 * a success with the snapshot unset, which the leader then reads to send
 * it: nsd crashed so when a leader's append failed on a full disk and raft
 * truncated its log below a follower's next entry. With no snapshot the get
 * fails here instead; raft gives that send up and tries again later. */
static int has_snapshot(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    if (!d)
        return 0;
    while (!found && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        found = !strncmp(e->d_name, "snapshot-", 9) && len > 5 && !strcmp(e->d_name + len - 5, ".meta");
    }
    closedir(d);
    return found;
}

static int snapshot_get_checked(struct raft_io *io, struct raft_io_snapshot_get *req, raft_io_snapshot_get_cb cb)
{
    struct replica *rp = (struct replica *)((char *)io - offsetof(struct replica, io));
    if (!has_snapshot(rp->opts.dir))
        return RAFT_NOTFOUND;
    return rp->uv_snapshot_get(io, req, cb);
}

static int start_raft(struct replica *rp)
{
    const struct replica_opts *o = &rp->opts;
    struct nsd *n = rp->n;
    struct raft_configuration conf;
    int rv;
    rp->state = RAFT_UNAVAILABLE;
    rp->closed = rp->broken = 0;
    raft_configuration_init(&conf);
    if (parse_peers(rp, o->peers, o->id, &conf)) {
        raft_configuration_close(&conf);
        return -1;
    }
    rp->fsm = (struct raft_fsm){ .version = 2, .data = rp, .apply = fsm_apply, .snapshot = fsm_snapshot,
                                 .restore = fsm_restore, .snapshot_finalize = fsm_snapshot_finalize };
    if (uv_loop_init(&rp->loop)) {
        raft_configuration_close(&conf);
        return -1;
    }
    if (raftlink_init(&rp->transport, n->base, &rp->loop, o->key) ||
        raft_uv_init(&rp->io, &rp->loop, o->dir, &rp->transport) ||
        raft_init(&rp->raft, &rp->io, &rp->fsm, o->id, rp->addr)) {
        nsd_log("raft: cannot set up in %s: %s", o->dir, rp->io.errmsg[0] ? rp->io.errmsg : "error");
        raft_configuration_close(&conf);
        return -1;
    }
    rp->raft.data = rp;
    rp->uv_snapshot_get = rp->io.snapshot_get;
    rp->io.snapshot_get = snapshot_get_checked;
    raftlink_on_forward(&rp->transport, forwarded, n);
    /* Every node of a new group bootstraps the same configuration; one
     * that has a log already keeps it. */
    rv = o->join ? 0 : raft_bootstrap(&rp->raft, &conf);
    raft_configuration_close(&conf);
    if (rv && rv != RAFT_CANTBOOTSTRAP) {
        nsd_log("raft: bootstrap: %s", raft_errmsg(&rp->raft));
        return -1;
    }
    rp->full = 0;
    stand(rp, replica_disk_full(rp->n));
    raft_set_heartbeat_timeout(&rp->raft, RAFT_HEARTBEAT_MS);
    raft_set_snapshot_threshold(&rp->raft, o->snapshot_every);
    raft_set_snapshot_trailing(&rp->raft, RAFT_SNAPSHOT_TRAILING);
    /* A node cut off and back must not depose a working leader. */
    raft_set_pre_vote(&rp->raft, true);
    if (raft_start(&rp->raft)) {
        nsd_log("raft: start: %s", raft_errmsg(&rp->raft)[0] ? raft_errmsg(&rp->raft) :
                                   rp->transport.errmsg[0] ? rp->transport.errmsg : rp->io.errmsg);
        return -1;
    }
    rp->io_ev = event_new(n->base, uv_backend_fd(&rp->loop), EV_READ | EV_PERSIST, run_uv, rp);
    rp->timer = evtimer_new(n->base, run_uv, rp);
    if (!rp->io_ev || !rp->timer)
        abort();
    event_add(rp->io_ev, NULL);
    kick(rp);
    nsd_log("raft: node %llu at %s, log in %s (journal applied up to %llu)", (unsigned long long)o->id,
            rp->addr, o->dir, (unsigned long long)state_applied(&n->j));
    return 0;
}

int replica_open(struct nsd *n, const struct replica_opts *o)
{
    struct replica *rp = calloc(1, sizeof *rp);
    if (!rp)
        abort();
    rp->n = n;
    rp->opts = *o;
    n->rep = rp;
    rp->revive = evtimer_new(n->base, revive_cb, rp);
    rp->space = evtimer_new(n->base, space_cb, rp);
    rp->drain = evtimer_new(n->base, drain_cb, rp);
    rp->later_tail = &rp->later;
    if (!rp->revive || !rp->space || !rp->drain)
        abort();
    space_cb(-1, 0, rp);
    if (mkdir(o->dir, 0700) && errno != EEXIST) {
        nsd_log("cannot create %s: %s", o->dir, strerror(errno));
        return -1;
    }
    return start_raft(rp);
}

static void closed_cb(struct raft *r)
{
    ((struct replica *)r->data)->closed = 1;
}

/* Requests in flight fail (RAFT_SHUTDOWN): answered "not leader". */
static void stop_raft(struct replica *rp)
{
    if (!rp->io_ev)
        return;
    event_free(rp->io_ev);
    event_free(rp->timer);
    rp->io_ev = rp->timer = NULL;
    raft_close(&rp->raft, closed_cb);
    while (!rp->closed)
        uv_run(&rp->loop, UV_RUN_ONCE);
    raft_uv_close(&rp->io);
    raftlink_free(&rp->transport);
    uv_run(&rp->loop, UV_RUN_DEFAULT);
    uv_loop_close(&rp->loop);
    journal_batch_end(&rp->n->j);   /* (a failure: the next start replays them) */
    drop_deferred(rp);              /* (so does this) */
    drop_replies(rp);
}

static void revive_cb(evutil_socket_t fd, short what, void *arg)
{
    struct replica *rp = arg;
    struct timeval later = { REVIVE_MS / 1000, REVIVE_MS % 1000 * 1000 };
    (void)fd;
    (void)what;
    /* Still full: a restart would fail, and free the log segments raft
     * allocated ahead for others to take. The broken raft stays (it
     * applies nothing, stands for no election, and hands over any
     * leadership a transfer gave it); again a second later. */
    if (replica_disk_full(rp->n)) {
        rp->hand_off = 1;
        kick(rp);
        evtimer_add(rp->revive, &later);
        return;
    }
    stop_raft(rp);
    /* (A log that cannot even be loaded: as at a start, nsd exits.) */
    if (start_raft(rp)) {
        rp->broken = 1;
        rp->n->exit_code = 1;
        event_base_loopexit(rp->n->base, NULL);
    }
}

void replica_close(struct nsd *n)
{
    struct replica *rp = n->rep;
    stop_raft(rp);
    event_free(rp->revive);
    event_free(rp->space);
    event_free(rp->drain);
    free(rp);
    n->rep = NULL;
}
