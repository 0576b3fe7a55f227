/*
 * paldaemon's core (paldaemon/pal.c): the relay of RPC streams between
 * hosts. Picoprocesses of this host connect to its unix socket and name a
 * process of another host by what nsd recorded of it (proto/rpc.proto
 * Route); the relay reaches that host's paldaemon over TCP sealed with the
 * cluster key (nsd/sealink.c), which connects to the process's stream
 * socket in its stream directory. Then the bytes of the stream go both
 * ways, and the two picoprocesses run the stream's own handshake through
 * them. Every connection is one stream; anything malformed, oversized or
 * unauthenticated closes that connection and nothing else. A root client
 * may also have a program started on another host (Spawn), its output and
 * exit status relayed back.
 */
#ifndef PAL_H
#define PAL_H

#include <stdint.h>
#include <sys/socket.h>
#include <event2/event.h>
#include "sealink.h"

#define PAL_PEERS_MAX 16
#define PAL_HOST_MAX 64

struct pal_peer {
    char host[PAL_HOST_MAX + 1];
    struct sockaddr_storage addr;
    int addr_len;
};

struct relay;

struct pal {
    struct event_base *base;
    char host[PAL_HOST_MAX + 1];     /* this host's name, as its picoprocesses register it */
    char rpc_dir[108];               /* the stream directory: the only sockets it connects to */
    uint8_t key[SEALINK_KEY_LEN];
    struct pal_peer peers[PAL_PEERS_MAX];
    int n_peers;
    struct relay *relays;
    int verbose;                     /* a log line for every stream */
    /* Spawn (proto/rpc.proto): refused without a manifest directory. */
    const char *manifests, *graphene, *nsd;
    unsigned long served, refused;   /* streams opened, connections closed for bad input */
};

/* "HOST=IP:PORT,..." into p->peers. 0, or -1 (message on stderr). */
int pal_parse_peers(struct pal *p, const char *spec);
/* A connection from a picoprocess of this host (unix socket). */
void pal_accept_local(struct pal *p, int fd);
/* A connection from another host's paldaemon (TCP). */
void pal_accept_peer(struct pal *p, int fd);
/* Closes every connection (and kills the programs it started). */
void pal_close_all(struct pal *p);
/* SIGCHLD: reaps the programs started for other hosts. */
void pal_reap(struct pal *p);

#endif
