/*
 * nsdc: client library for the nsd wire protocol.
 *
 * The protocol core (nsdc.c) does framing, Frame encode/decode through
 * protobuf-c, the versioned hello with the sandbox MAC, request-id matching
 * and retry across reconnects. It touches the outside world only through
 * struct nsdc_ops, and uses no libc beyond memcpy/memset, so the freestanding
 * libos can compile it with its own transport and allocator. glibc programs
 * use the socket + libsodium adapter in nsdc_posix.h.
 *
 * The framing constants and the MAC input are defined here once and used by
 * the server as well.
 */
#ifndef NSDC_H
#define NSDC_H

#include <stddef.h>
#include <stdint.h>
#include "nsd.pb-c.h"

#define NSD_PROTO_VERSION 1u
#define NSD_FRAME_HDR 4u                 /* big-endian body length */
#define NSD_FRAME_MAX (1u << 20)          /* bodies above this are refused */
#define NSD_SECRET_LEN 32u
#define NSD_MAC_LEN 32u
#define NSD_NONCE_LEN 24u
#define NSD_CLIENT_ID_LEN 16u
#define NSD_NAME_MAX 64u                  /* sandbox names */
/* Largest MAC input: nonce || client id || sandbox name. */
#define NSD_MAC_INPUT_MAX (NSD_NONCE_LEN + NSD_CLIENT_ID_LEN + NSD_NAME_MAX)
/* Requests sent with nsdc_send whose replies have not been read yet: a
 * full queue makes the sender wait for nsd (and its journal). */
#define NSDC_ASYNC_MAX 32

struct nsdc_ops {
    void *ctx;
    /* Open the transport to the current leader. 0 or -errno. */
    int (*connect)(void *ctx);
    void (*disconnect)(void *ctx);
    /* Like read(2)/write(2) but returning -errno; may be partial. */
    long (*read)(void *ctx, void *buf, size_t n);
    long (*write)(void *ctx, const void *buf, size_t n);
    /* out = MAC(msg, key) with a NSD_SECRET_LEN key, NSD_MAC_LEN output. */
    void (*mac)(void *ctx, uint8_t *out, const uint8_t *msg, size_t len, const uint8_t *key);
    void (*random)(void *ctx, void *buf, size_t n);
    void (*sleep_ms)(void *ctx, unsigned ms);
    int64_t (*now_ms)(void *ctx);
    ProtobufCAllocator *alloc;            /* used for frames and decoded replies */
    /* Optional: a node that does not lead named the leader; the next
     * connect should go there. NULL: reconnect where connect goes anyway. */
    void (*redirect)(void *ctx, const Nsd__Redirect *r);
    /* Optional: nonzero when a read would not block. nsdc_send then reads
     * the replies that have come, so that a sender that never waits does
     * not fill its queue and end up waiting. NULL: they are read only
     * when the queue is full. */
    int (*ready)(void *ctx);
};

struct nsdc {
    const struct nsdc_ops *ops;
    Nsd__Role role;
    char sandbox[NSD_NAME_MAX + 1];
    uint8_t secret[NSD_SECRET_LEN];
    uint8_t client_id[NSD_CLIENT_ID_LEN];
    uint64_t seq;                         /* last request id used */
    int connected;
    int retry_ms;                         /* how long a call keeps reconnecting */
    char node[NSD_NAME_MAX + 1];          /* leader seen at the last hello */
    uint64_t term;
    int hello_pending;                    /* Hello sent, its answer not read yet */
    int ticket_hello;                     /* ...and it was made over a Ticket */
    /* Frames other than the awaited reply go here: pushes (req_id 0), the
     * replies to nsdc_send requests and the HelloOk. May be NULL. */
    void (*on_push)(struct nsdc *c, const Nsd__Frame *f, void *arg);
    void *push_arg;
    char err[160];                        /* last error, for messages */
    int cause;                            /* why the last node could not serve (ENOSPC), or 0 */
    /* nsdc_send requests not answered yet, oldest first, packed, so that a
     * reconnect can re-send them with the same ids. */
    struct nsdc_async { uint64_t id; uint8_t *buf; size_t len; } out[NSDC_ASYNC_MAX];
    int nout;
};

/* sandbox/secret only for NSD__ROLE__ROLE_PICO. Draws a fresh client id:
 * a forked child must call it again (and connect anew), or the leader would
 * take its requests for retries of its parent's. */
void nsdc_init(struct nsdc *c, const struct nsdc_ops *ops, Nsd__Role role,
               const char *sandbox, const uint8_t *secret);

/*
 * Send req (its req_id is assigned here) and wait for the reply with the same
 * id. On a dropped connection (a transport read timeout included), a "not
 * leader" answer or a Redirect to the leader, the same request is re-sent
 * after reconnecting, until retry_ms has passed: the leader answers a
 * mutation it already applied from its journal (the request id is in the
 * replicated log), so a retry is never applied twice. Returns 0 with *reply set (free with nsdc_free), or -errno: the
 * errnum of an Error reply (message in c->err) or a transport error.
 */
int nsdc_call(struct nsdc *c, Nsd__Frame *req, Nsd__Frame **reply);
/*
 * Send now, collect later: sends req (id assigned here) and returns without
 * waiting; its reply reaches on_push whenever the client next reads (in a
 * later nsdc_call or nsdc_flush). It is re-sent after a reconnect, so it is
 * applied once like any other request. 0 or -errno (-errno only when it
 * could not even be queued; a transport error is retried later).
 */
int nsdc_send(struct nsdc *c, Nsd__Frame *req);
/* Reads the replies and pushes that have come (ops->ready), not waiting. */
void nsdc_poll(struct nsdc *c);
/* Waits until every nsdc_send request has its reply. 0 or -errno. */
int nsdc_flush(struct nsdc *c);
void nsdc_free(struct nsdc *c, Nsd__Frame *f);
/* A Ps or Members comes a page at a time (a sandbox's processes may not fit
 * in one frame). Moves the rows of page rep (a ProcList, consumed) to the end
 * of *all (rep itself when *all is NULL) and pg past its last row; true while
 * more follow: send the request again. -ENOMEM: *all and rep are freed. */
int nsdc_page(struct nsdc *c, Nsd__Frame **all, Nsd__Frame *rep, Nsd__Page *pg);
/* Connects and says hello now unless connected (nsdc_call does it lazily);
 * the answer to the hello is read with the first reply. */
int nsdc_connect(struct nsdc *c);
/* The hello on a transport the caller connected (ops->connect done), not
 * waiting for its answer: requests may follow at once (the leader reads
 * them after the hello) and the answer is taken as the first frame read; a
 * refusal then fails that read. 0 or -errno (then closed). */
int nsdc_hello_nowait(struct nsdc *c);
/* The same without even the server hello (a fork child): the MAC is over
 * ticket, a Ticket nsd gave this sandbox. A refused ticket fails the read of
 * the answer with -ESTALE, so that the caller reconnects and says hello the
 * ordinary way (the queued requests are sent again). 0 or -errno. */
int nsdc_hello_ticket(struct nsdc *c, const uint8_t ticket[NSD_NONCE_LEN]);
void nsdc_close(struct nsdc *c);

/*
 * The nodes of a raft group, tried in turn: ADDRESS[,ADDRESS...], and the
 * leader a Redirect named, tried next, once. Shared by the glibc adapter
 * and the libos transport; it only picks strings, the caller connects.
 */
#define NSDC_ADDR_MAX 256
#define NSDC_LIST_MAX 1024
struct nsdc_addrs {
    char list[NSDC_LIST_MAX];
    size_t next;                          /* offset in list of the next one */
    char redirect[NSDC_ADDR_MAX];
    char addr[NSDC_ADDR_MAX];             /* the one picked last */
    unsigned stays;                       /* "no leader yet" answers in a row */
};
void nsdc_addrs_init(struct nsdc_addrs *a, const char *list);
/* Sets and returns a->addr: the Redirect's leader, else the next of the list. */
const char *nsdc_addrs_pick(struct nsdc_addrs *a);
/* Records where r points: the leader's unix socket if it runs on host me,
 * else "tcp:" its TCP address (if it has one). A Redirect that names no
 * leader (an election is under way) keeps us on the node that said it, for
 * NSDC_STAY_MAX tries: it learns the new leader as soon as there is one,
 * while the next node of the list may be the paused leader, whose accept
 * queue would hold us for a whole I/O timeout. Then on down the list (a
 * node cut off from the others never learns a leader). */
#define NSDC_STAY_MAX 50
void nsdc_addrs_redirect(struct nsdc_addrs *a, const Nsd__Redirect *r, const char *me);

/* Shared with the server. */
size_t nsdc_mac_input(uint8_t *out, const uint8_t *nonce, const uint8_t *client_id,
                      const char *sandbox);
/* Packs f behind its 4-byte header into a buffer from alloc; *len = total. */
uint8_t *nsdc_pack(ProtobufCAllocator *alloc, const Nsd__Frame *f, size_t *len);
uint32_t nsdc_frame_len(const uint8_t hdr[NSD_FRAME_HDR]);
int nsdc_body_is_mutation(Nsd__Frame__BodyCase b);

#endif
