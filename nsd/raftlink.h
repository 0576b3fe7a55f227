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

#include "nsd.pb-c.h"
#include "sealink.h"

#define RAFTLINK_KEY_LEN SEALINK_KEY_LEN
#define RAFTLINK_FORWARD_MAX 256    /* client connections a node forwards at a time */

/* The leader's side of a forwarded client connection: fd is the server's
 * end of it (the client's bytes from its Hello on), fw what the follower
 * says of the client. */
typedef void (*raftlink_forward_cb)(void *arg, int fd, const Nsd__Forward *fw);

/* Sets up t (the raft_uv_transport interface) over base and loop. 0 or -1. */
int raftlink_init(struct raft_uv_transport *t, struct event_base *base, uv_loop_t *loop,
                  const uint8_t key[RAFTLINK_KEY_LEN]);
/* After raft_uv has closed it: frees what is left. */
void raftlink_free(struct raft_uv_transport *t);
void raftlink_on_forward(struct raft_uv_transport *t, raftlink_forward_cb cb, void *arg);
/* A connection to the node at address for a client of ours, sealed: the
 * server's end of it (fd: what the server writes there reaches the node as
 * from the client, and the node's answers come back on it; either end's
 * close closes the other), or -1 (too many forwarded, bad address). */
int raftlink_forward(struct raft_uv_transport *t, const char *address, const Nsd__Forward *fw);
/* Closes every forwarded client connection (the leader changed: they retry). */
void raftlink_drop_forwards(struct raft_uv_transport *t);

#endif
