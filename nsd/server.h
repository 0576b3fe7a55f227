/*
 * The nsd process: libevent loop, listeners and connections. A single node
 * leads from its start. In a raft group (replica.c) every node listens on its
 * own addresses; the leader serves, the others redirect clients to it.
 */
#ifndef NSD_SERVER_H
#define NSD_SERVER_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include "journal.h"
#include "nsdc.h"
#include "query.h"
#include "replica.h"
#include "state.h"

#define TICK_MS 50
/* A batch of mutations all sent without waiting (Frame.nowait) is
 * committed this long after its first, or at once when anything else
 * comes: a fork loop's Register, claim, Exit and Reap share a commit. */
#define LAZY_US 1000
#define SWEEP_GRACE_MS 2000          /* after a takeover, before the first sweep */
#define SWEEP_MS 2000                /* period of the sweep for vanished clients */

struct conn;
struct host_report;
struct watch;

struct nsd {
    struct event_base *base;
    struct journal j;
    struct node_info self;
    char node[64];
    char host[48];                  /* our hostname: processes here can be checked */
    const char *sock_path;
    const char *tcp_addr;           /* "HOST:PORT" or NULL */
    int lock_fd;                    /* flock on the journal: one nsd per journal */
    int leading;                    /* serving: a single node, or the raft leader... */
    int ready;                      /* ...whose announcement is applied (raft) */
    uint64_t term;                  /* raft term (0: single node) */
    unsigned trim_every;            /* single node: ops between oplog trims (0: never) */
    unsigned since_trim;
    struct replica *rep;            /* raft group, or NULL */
    struct evconnlistener *unix_l, *tcp_l;
    struct event *tick, *sigterm, *sigint;
    int64_t next_sweep;
    struct host_report *report;     /* a follower's sweep findings, for the leader */
    struct conn *conns;
    struct pending *pending;        /* mutations waiting for the group commit */
    struct event *flush_ev;
    struct event *lazy_ev;          /* the commit of a lazy batch, LAZY_US after its first op */
    int lazy;                       /* every pending op was sent with nowait */
    unsigned flush_gen;             /* batches flushed */
    int exit_code;
    const char *journal_path;
    struct watch *watches;          /* launchers of ephemeral sandboxes (pidfds) */
    int watch_sync;                 /* a sandbox was created: watch its launcher */
    /* nsd --embedded (embedded.c) */
    int embedded;
    int ready_fd;                   /* told once listening; -1: none */
    int had_conn;
};

/*
 * Mutations are group-committed: those that arrive in one turn of the event
 * loop are applied in one write transaction (one raft entry in a group),
 * and acknowledged only once committed. A connection with a queued mutation
 * reads no further frames until it is answered, so every connection sees its
 * requests answered in order. c is NULL for operations the leader makes up,
 * and once the connection is gone.
 */
struct pending {
    struct pending *next;
    struct conn *c;
    Nsd__Frame *req;                /* NULL for a made-up op */
    ProtobufCBinaryData op;         /* packed Op (malloc) */
    uint8_t *reply;                 /* packed reply frame (malloc) */
    size_t reply_len;
};

enum conn_state { CONN_HELLO, CONN_READY, CONN_CLOSING };

struct conn {
    struct nsd *n;
    struct bufferevent *bev;        /* NULL for the fuzz driver */
    struct evbuffer *in;            /* input frames (the fuzz driver sets it) */
    int paused;                     /* a request of it is held */
    int batched;                    /* one is in the batch being gathered */
    unsigned wait_flush;            /* a read waits for flush number wait_flush */
    int flushed_for;                /* that flush came: its read waits no more */
    int gone;                       /* the peer closed (-1) or failed (errno): */
                                    /* what it sent is applied, then it drops */
    struct conn *next, **pprev;
    int is_unix;
    enum conn_state state;
    Nsd__Role role;
    uint32_t sandbox_id;
    char client[2 * NSD_CLIENT_ID_LEN + 1];
    uint8_t nonce[NSD_NONCE_LEN];
    char peer[64];                  /* for log lines */
    int peer_pid;                   /* SO_PEERCRED on the unix socket, else 0 */
    int forwarded;                  /* by a follower, over the node link: */
    int forwarded_admin;            /* an admin peer there, it says */
    int reporter;                   /* a follower's HostReport link (no client) */
    /* A follower's client that it forwards to the leader (server.c, "forwarding"). */
    struct bufferevent *up;         /* the node link to the leader, or NULL */
    int up_hello;                   /* the leader's HelloOk: to pass on (0), to drop (-1), seen (1) */
    uint64_t up_applied;            /* the leader's applied index at c's hello */
    Nsd__Frame *held;               /* c's SysvMemfd, until our journal is that far */
    uint8_t *hello;                 /* an admin's hello frame, for a forward later */
    size_t hello_len;
    uint8_t *fd_reply;              /* a reply that carries fd_out, waiting for */
    size_t fd_reply_len;            /* the output to drain (server.c) */
    int fd_out;
};

/* ro: NULL for a single node. */
int nsd_init(struct nsd *n, const char *journal_path, const struct replica_opts *ro);
int nsd_run(struct nsd *n);
void nsd_fini(struct nsd *n);

/* Connection core, also driven directly by the fuzz target. */
struct conn *conn_new(struct nsd *n, struct bufferevent *bev, int is_unix, const char *peer);
/* Handles the complete frames in c->in. -1 if the connection was dropped
 * (and freed) because of what it sent. */
int conn_feed(struct conn *c);
void conn_drop(struct conn *c, const char *reason);
/* Applies the queued mutations in one transaction and answers them (the
 * event loop does this after each turn; the fuzz driver calls it). */
void nsd_flush(struct nsd *n);

/* From replica.c. The batch is committed and applied (err 0, replies in
 * it from the journal), or failed with errno err; answers and frees it. */
void server_committed(struct nsd *n, struct pending *batch, int err);
/* The reads of batch (replica_read) may be answered now (err 0), or fail
 * with errno err; answers and frees it. */
void server_confirmed(struct nsd *n, struct pending *batch, int err);
/* The node link brought a follower's client connection (fd, from its Hello on). */
void server_forwarded(struct nsd *n, int fd, const Nsd__Forward *fw);
/* The journal has applied more raft entries. */
void server_applied(struct nsd *n);
/* Raft made us leader (term) or not (term 0): serve, or drop clients. */
void server_leading(struct nsd *n, uint64_t term, const char *why);
/* Our announcement is applied: the journal is current, serve requests. */
void server_ready(struct nsd *n);
/* An admin membership change is done (err: errno or 0). */
void server_admin_done(struct nsd *n, void *conn, uint64_t req_id, int err, const char *msg);
/* Fills r (strings from a) with our client addresses. */
void server_self_redirect(struct nsd *n, Nsd__Redirect *r);

#endif
