/*
 * A TCP connection sealed with a cluster key (libsodium), shared by nsd's
 * raft transport (nsd/raftlink.c) and paldaemon's links between hosts
 * (paldaemon/). Handshake: each side sends a random nonce, then the header
 * of its sending stream (crypto_secretstream, XChaCha20-Poly1305), keyed by
 * BLAKE2b(key; sender's nonce || receiver's nonce). Then every frame is a
 * 4-byte big-endian length and one sealed chunk. Only holders of the key
 * get a frame through (one that does not authenticate drops the link), and
 * a recorded connection cannot be replayed (the other side's nonce is fresh).
 */
#ifndef NSD_SEALINK_H
#define NSD_SEALINK_H

#include <stddef.h>
#include <stdint.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#define SEALINK_KEY_LEN 32
#define SEALINK_CHUNK 16384   /* plaintext per sealed frame, at most */

struct sealink;

struct sealink_cb {
    /* The sending stream is up (the peer's nonce came): frames may be sent. */
    void (*keyed)(void *arg);
    /* A frame authenticated: 0, or -1 to drop the link. */
    int (*frame)(void *arg, const uint8_t *m, size_t n);
    /* EOF, an error, the handshake's time limit or a frame that failed to
     * authenticate; the owner frees the link (sealink_free) here or later. */
    void (*closed)(void *arg);
};

/* A link over fd (an accepted connection: its nonce is sent at once), or
 * over a new socket for sealink_connect (fd -1). what names it in logs.
 * The handshake must end within HANDSHAKE_S seconds (sealink_opened). */
struct sealink *sealink_new(struct event_base *base, int fd, const uint8_t key[SEALINK_KEY_LEN],
                            const struct sealink_cb *cb, void *arg, const char *what);
int sealink_connect(struct sealink *s, const struct sockaddr *sa, int len);
/* Seals n <= SEALINK_CHUNK bytes as one frame. 0 or -1. */
int sealink_send(struct sealink *s, const uint8_t *m, size_t n);
/* The owner's handshake is over: no time limit any more, or idle_s seconds
 * without traffic (0: none). */
void sealink_opened(struct sealink *s, int idle_s);
/* Bytes queued for the peer and not yet written (for flow control). */
size_t sealink_pending(const struct sealink *s);
void sealink_free(struct sealink *s);
/* The same once what is queued for the peer is written (or the link
 * fails); no callback is made any more. */
void sealink_free_flushed(struct sealink *s);
/* Reads a cluster key file (64 hex digits). 0, or -1 (logged). */
int sealink_read_key(const char *path, uint8_t key[SEALINK_KEY_LEN]);

#endif
