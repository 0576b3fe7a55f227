/*
 * The transport between the nodes of a raft group: raft_uv's TCP streams,
 * authenticated and encrypted with a cluster key (libsodium). raft_uv gets
 * one end of a socketpair per connection (a libuv pipe); nsd's libevent loop
 * carries the other end's bytes over TCP, sealed with crypto_secretstream
 * (XChaCha20-Poly1305) under per-connection keys derived from the cluster
 * key and a nonce of each side, so only holders of the key talk raft and a
 * recorded connection cannot be replayed.
 */
#ifndef NSD_RAFTLINK_H
#define NSD_RAFTLINK_H

#include <stdint.h>
#include <event2/event.h>
#include <raft/uv.h>

#define RAFTLINK_KEY_LEN 32

/* Sets up t (the raft_uv_transport interface) over base and loop. 0 or -1. */
int raftlink_init(struct raft_uv_transport *t, struct event_base *base, uv_loop_t *loop,
                  const uint8_t key[RAFTLINK_KEY_LEN]);
/* After raft_uv has closed it: frees what is left. */
void raftlink_free(struct raft_uv_transport *t);
/* Reads a cluster key file (64 hex digits). 0, or -1 (logged). */
int raftlink_read_key(const char *path, uint8_t key[RAFTLINK_KEY_LEN]);

#endif
