/*
 * The nsd process: libevent loop, lease ticks, listeners and connections.
 * Only the leader listens; standbys poll the lease and bind the socket
 * path once they win it, so clients find the leader by reconnecting.
 */
#ifndef NSD_SERVER_H
#define NSD_SERVER_H

#include <stdint.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include "journal.h"
#include "nsdc.h"
#include "lease.h"
#include "query.h"

#define NODE_HEARTBEAT_MS 1000
#define SWEEP_GRACE_MS 2000          /* after a takeover, before the first sweep */
#define SWEEP_MS 2000                /* period of the sweep for vanished clients */

struct conn;
struct watch;

struct nsd {
    struct event_base *base;
    struct journal j;
    struct lease lease;
    struct node_info self;
    char node[64];
    char host[48];                  /* our hostname: processes here can be checked */
    const char *sock_path;
    const char *tcp_addr;           /* "HOST:PORT" or NULL */
    int standby;                    /* wait for the lease forever */
    int64_t give_up_ms;             /* not standby: fail if not leader by then */
    struct evconnlistener *unix_l, *tcp_l;
    struct event *tick, *sigterm, *sigint;
    int64_t last_renew, last_heartbeat, next_sweep;
    struct conn *conns;
    struct pending *pending;        /* mutations waiting for the group commit */
    struct event *flush_ev;
    int exit_code;
    const char *journal_path;
    struct watch *watches;          /* launchers of ephemeral sandboxes (pidfds) */
    int watch_sync;                 /* a sandbox was created: watch its launcher */
    /* nsd --embedded (embedded.c) */
    int embedded;
    int ready_fd;                   /* told once listening; -1: none */
    int had_conn;
};

enum conn_state { CONN_HELLO, CONN_READY, CONN_CLOSING };

struct conn {
    struct nsd *n;
    struct bufferevent *bev;        /* NULL for the fuzz driver */
    struct evbuffer *in;            /* input frames (the fuzz driver sets it) */
    int paused;                     /* a mutation of it is queued */
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
    uint8_t *fd_reply;              /* a reply that carries fd_out, waiting for */
    size_t fd_reply_len;            /* the output to drain (server.c) */
    int fd_out;
};

int nsd_init(struct nsd *n, const char *journal_path);
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

#endif
