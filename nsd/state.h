/*
 * The state machine of nsd: batches of packed Ops applied to the journal in
 * one transaction, each through apply() with its reply logged beside it so
 * that a retried request is answered from the log instead of applied twice.
 * A single node calls it directly; in a raft group every node calls it for
 * each committed entry (replica.c), so all journals go through the same
 * states.
 */
#ifndef NSD_STATE_H
#define NSD_STATE_H

#include <stddef.h>
#include <stdint.h>
#include "journal.h"
#include "nsd.pb-c.h"

/* Per client, the request ids kept in the oplog when a snapshot trims it:
 * far more than a client ever has outstanding (nsdc retries only its
 * unanswered requests, at most NSDC_ASYNC_MAX + 1). */
#define OPLOG_KEEP_PER_CLIENT 64
/* A client with no process left (it exited and was reaped; admins never
 * have one) cannot retry, except an admin within its retry time: its rows
 * go once this many trim periods of operations (--snapshot-every) are
 * newer. Without it every fork child left its rows for good. */
#define OPLOG_GONE_PERIODS 64

struct op_reply {
    uint8_t *buf;           /* packed reply frame (malloc; empty for synthetic ops) */
    size_t len;
};

/*
 * Applies ops[0..nops) in one transaction. term: the proposing leader's raft
 * term (0 on a single node); index: the raft index of the entry, recorded
 * as 'applied' (0: none); an index already applied here is skipped (1).
 * leader: an announcement to record (may be NULL). replies: nops slots
 * filled with malloc'd replies (or NULL: not wanted). 0, 1 (skipped), or
 * -errno (ENOSPC, EIO) when nothing was committed.
 */
int state_apply(struct journal *j, const ProtobufCBinaryData *ops, size_t nops, uint64_t term,
                uint64_t index, const Nsd__Redirect *leader, struct op_reply *replies);
/* The last raft index applied to this journal (0: none). */
uint64_t state_applied(struct journal *j);
/* Drops what no retry can need any more: per client all but its last
 * OPLOG_KEEP_PER_CLIENT requests, synthetic ops, and the requests of
 * clients with no process older than OPLOG_GONE_PERIODS * every
 * operations (every: the trim's period). 0 or -1. */
int state_trim_oplog(struct journal *j, uint64_t every);

#endif
