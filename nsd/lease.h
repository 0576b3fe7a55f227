/*
 * Leader lease with a fencing term, kept in the journal's lease row.
 *
 * A node leads while the row names it with its term and the expiry is in the
 * future. The leader renews every LEASE_RENEW_MS; standbys take an expired
 * lease by bumping the term. Every mutating transaction re-checks the row
 * under the write lock (lease_check), so a leader that was paused past its
 * expiry can never write after somebody else took over.
 */
#ifndef NSD_LEASE_H
#define NSD_LEASE_H

#include <stdint.h>
#include "journal.h"

#define LEASE_MS 300
#define LEASE_RENEW_MS 100
#define LEASE_POLL_MS 50

struct lease {
    char node[64];
    uint64_t term;          /* ours while leading */
    int64_t expires_ms;     /* as last written by us */
    int leading;
};

/* Takes the lease if it is free or expired: 1 taken, 0 held by another
 * (holder/expiry returned for messages), -1 journal error. */
int lease_try_acquire(struct journal *j, struct lease *l, char *holder, size_t n, int64_t *expires);
/* Extends our lease: 0, or -1 if it is no longer ours (step down). */
int lease_renew(struct journal *j, struct lease *l);
/* Inside a write transaction: 0 if we still hold an unexpired lease. */
int lease_check(struct journal *j, struct lease *l);
/* Without touching the journal: our lease has not expired by our own clock
 * (used to fence reads). */
int lease_valid(const struct lease *l);

#endif
