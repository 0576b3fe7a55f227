/*
 * Read-only requests: lookups for picoprocesses (scoped to their sandbox)
 * and the views of graphenectl. They read the journal without a write
 * transaction; the server serves them only while it leads.
 */
#ifndef NSD_QUERY_H
#define NSD_QUERY_H

#include "journal.h"
#include "nsd.pb-c.h"
#include "util.h"

struct node_info {
    const char *node;
    int pid;
    int64_t started_ms;
    uint64_t term;
    /* A raft group: fills leader and standbys (every member as this node
     * sees it); NULL on a single node, which is the leader. */
    void (*members)(void *arg, Nsd__StatusReply *s, struct arena *a);
    void *arg;
};

/* sandbox_id 0 = admin (may name any sandbox in the request). Fills reply;
 * 0, or -1 on a journal error. */
int query(struct journal *j, uint32_t sandbox_id, const struct node_info *self,
          const Nsd__Frame *req, Nsd__Frame *reply, struct arena *a);

#endif
