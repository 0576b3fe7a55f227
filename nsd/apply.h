/*
 * apply(): the leader logic. Each operation of the journal is applied to the
 * namespace tables inside the transaction that appends it to the log.
 * Deterministic: the result depends only on the tables and the Op (which
 * carries the leader's clock and randomness), so replaying the log, or a
 * replicated log on another host, drives the same state.
 */
#ifndef NSD_APPLY_H
#define NSD_APPLY_H

#include "journal.h"
#include "nsd.pb-c.h"
#include "util.h"

#define NSD_PID_MAX 4194304      /* Linux pid_max on 64-bit */
#define RANGE_DEFAULT 64
#define RANGE_MAX 4096
#define NSD_IPC_CREAT 01000
#define NSD_IPC_EXCL 02000
#define NSD_IPC_PRIVATE 0
#define NSD_KILLED_STATUS 9      /* wait status of a process killed by SIGKILL */
/* A live row c of procs that its fork child has not claimed yet: still its
 * parent's client, or none once the parent ended (apply.c claim()). */
#define NSD_UNCLAIMED "(c.client = '' OR c.client = (SELECT p.client FROM procs p" \
                      " WHERE p.sandbox = c.sandbox AND p.pid = c.ppid))"

/* Fills reply (from a): the result, or an Error body for a refused operation.
 * 0, or -1 when the journal failed (the caller rolls back). */
int apply(struct journal *j, const Nsd__Op *op, Nsd__Frame *reply, struct arena *a);

/* Sets an Error body. */
void reply_error(Nsd__Frame *reply, struct arena *a, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
