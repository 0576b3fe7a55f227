/*
 * glibc adapter for the nsd client: unix or TCP sockets, libsodium MAC and
 * randomness, malloc. Also the one place that knows nsd's default paths
 * (used by nsd, graphenectl and the launcher).
 */
#ifndef NSDC_POSIX_H
#define NSDC_POSIX_H

#include <stddef.h>
#include "nsdc.h"

/* A connection attempt gives up after this long, and so does a read or a
 * write on a connection to a node of a group (then the call retries at the
 * next node): a paused leader does not hold its clients. Short, as a client
 * with a request in flight at a stopped leader waits this long before it
 * moves on (about an election timeout); a leader merely slow beyond it is
 * asked again with the same request id, which is harmless. */
#define NSDC_CONNECT_TIMEOUT_MS 500
#define NSDC_IO_TIMEOUT_MS 500
/* One address (a lone nsd, or one node asked for its status): more patient,
 * a retry can only go to the same place. */
#define NSDC_IO_TIMEOUT_LONE_MS 2000

/* An address is a unix socket path, or "tcp:HOST:PORT". */
struct nsdc_posix {
    struct nsdc_ops ops;
    int fd;
    struct nsdc_addrs to;       /* to.addr: connected (or to connect) to */
};

/* Sets up p->ops for addr (NULL: nsd_default_socket()): a unix socket path
 * or "tcp:HOST:PORT", or several, comma-separated (the nodes of a raft
 * group, tried in turn); follows Redirects. -1 if libsodium fails. (nsdc_tcp.c) */
int nsdc_posix_init(struct nsdc_posix *p, const char *addr);
/* The same for unix socket paths only: links no resolver, for the static
 * launcher (admin requests are served only on the unix socket anyway). */
void nsdc_posix_init_unix(struct nsdc_posix *p, const char *addr);
/* Connects p->fd to the unix socket p->to.addr; 0 or -errno. */
int nsdc_posix_connect_unix(struct nsdc_posix *p);
/* The read and write timeouts of a connected socket. */
void nsdc_posix_timeouts(const struct nsdc_posix *p, int fd);

/* Where the default nsd lives (and `graphene run` starts an embedded one):
 * $GRAPHENE_RUNTIME_DIR, else /run/graphene for root, else
 * $XDG_RUNTIME_DIR/graphene, else /tmp/graphene-$UID. */
const char *nsd_runtime_dir(char *buf, size_t n);
/* What `nsd --embedded` writes to its --ready-fd once it listens; anything
 * else written there says why it failed. */
#define NSD_EMBEDDED_READY "1"
/* $GRAPHENE_NSD, else nsd.sock in nsd_runtime_dir(). */
const char *nsd_default_socket(char *buf, size_t n);
/* nsd.db in the directory of the default socket. */
const char *nsd_default_journal(char *buf, size_t n);
/* mkdir -p of the directory part of path (mode 0755: picoprocesses of any
 * user may reach the socket; they authenticate by sandbox MAC). */
int nsd_make_parent_dir(const char *path);

/* Splits "tcp:HOST:PORT"; 1 if addr is TCP, 0 if a unix path, -1 malformed. */
int nsd_parse_tcp(const char *addr, char *host, size_t hostlen, char *port, size_t portlen);

void nsd_hex(char *out, const unsigned char *in, size_t n);   /* out: 2n+1 */
int nsd_unhex(unsigned char *out, size_t n, const char *in);  /* 0 if exactly n bytes */

#endif
