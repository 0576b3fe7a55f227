/*
 * nsd as a node of a raft group (nsd --peers): canonical raft (libraft)
 * with its libuv I/O (raft_uv: log segments, snapshots; between nodes its
 * streams run over raftlink.c, sealed with the cluster key),
 * driven from nsd's libevent loop. The raft leader is the namespace leader:
 * it proposes batches of Ops, and every node applies the committed entries
 * to its own journal through state_apply(). See "nsd: replication" in
 * ARCHITECTURE.md.
 */
#ifndef NSD_REPLICA_H
#define NSD_REPLICA_H

#include <stdint.h>
#include "nsd.pb-c.h"
#include "util.h"

struct nsd;
struct pending;
struct replica;

/* Election timeout (raft randomizes it in [T, 2T)) and heartbeat. */
#define RAFT_ELECTION_MS 300
#define RAFT_HEARTBEAT_MS 50
/* A follower that has not heard the leader for this long redirects nowhere. */
#define RAFT_SUSPECT_MS (3 * RAFT_HEARTBEAT_MS)
#define RAFT_SNAPSHOT_EVERY 1024     /* entries between snapshots (--snapshot-every) */
#define RAFT_SNAPSHOT_TRAILING 128   /* entries kept behind a snapshot */
#define REVIVE_MS 1000               /* raft restarts this long after an I/O error */
#define DISK_FREE_MIN (4 << 20)      /* bytes free below which the disk counts as full */
#define FULL_ELECTION_MS 3600000     /* the election timeout of a node on a full disk */
#define UNREADY_LEADER_MS 5000       /* a leader whose first entry is not applied by then restarts its raft */

struct replica_opts {
    uint64_t id;                /* --node */
    const char *peers;          /* --peers ID=HOST:PORT,... */
    const char *dir;            /* raft's log directory */
    int join;                   /* --join: started empty, waiting to be added */
    const uint8_t *key;         /* --cluster-key: seals the traffic between nodes */
    unsigned snapshot_every;
};

/* Opens and starts the node (bootstrapping a fresh group from peers). 0 or -1. */
int replica_open(struct nsd *n, const struct replica_opts *o);
/* Stops raft and closes. */
void replica_close(struct nsd *n);
/* A leader about to exit hands its leadership to the most current node and
 * leaves the loop once it has (1); 0: nothing to hand over. */
int replica_hand_over(struct nsd *n);
/* Proposes the batch; server_committed() answers it once it is committed and
 * applied here, or failed (not leader any more, ...). */
void replica_propose(struct nsd *n, struct pending *batch);
/* A read that must be current (p->req): server_confirmed() answers it once
 * a barrier proposed after it is applied here, or fails it (not leader). */
void replica_read(struct nsd *n, struct pending *p);
/* A connection is gone: its requests in flight are answered to nobody. */
void replica_forget(struct nsd *n, const void *conn);
/* Fills the nodes of a Status reply: every member with its role as this node sees it. */
void replica_status(struct nsd *n, Nsd__StatusReply *s, struct arena *a);
/* Membership (admin, on the leader): answered through server_admin_done(). 0 or -errno now. */
int replica_change(struct nsd *n, void *conn, uint64_t req_id, uint64_t id, const char *addr);
/* A follower's connection to the leader for a client of its own, over the
 * node link (raftlink_forward): its fd, or -1 (no live leader elsewhere,
 * too many forwarded). */
int replica_forward(struct nsd *n, const Nsd__Forward *fw);
/* This node's disk is (nearly) full: it cannot take entries, and does not
 * stand for election. */
int replica_disk_full(struct nsd *n);
/* Where the leader is, as announced in the journal (node empty: unknown). */
void replica_leader(struct nsd *n, Nsd__Redirect *r, struct arena *a);

#endif
