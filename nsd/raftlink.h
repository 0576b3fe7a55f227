/*
 * The transport between the nodes of a raft group: raft_uv's TCP streams,
 * authenticated and encrypted with a cluster key (libsodium). raft_uv gets
 * one end of a socketpair per connection (a libuv pipe); nsd's libevent loop
 * carries the other end's bytes over TCP, sealed with the cluster key
 * (nsd/sealink.c), so only holders of the key talk raft and a recorded
 * connection cannot be replayed.
 */
#ifndef NSD_RAFTLINK_H
#define NSD_RAFTLINK_H

#include <stdint.h>
#include <event2/event.h>
#include <raft/uv.h>

#include "sealink.h"

#define RAFTLINK_KEY_LEN SEALINK_KEY_LEN

/* Sets up t (the raft_uv_transport interface) over base and loop. 0 or -1. */
int raftlink_init(struct raft_uv_transport *t, struct event_base *base, uv_loop_t *loop,
                  const uint8_t key[RAFTLINK_KEY_LEN]);
/* After raft_uv has closed it: frees what is left. */
void raftlink_free(struct raft_uv_transport *t);

#endif
