#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <sodium.h>
#include "nsdc_posix.h"
#include "raftlink.h"
#include "util.h"

#define NONCE_LEN 32
#define HDR_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define CHUNK 16384                 /* plaintext per sealed frame */
#define HANDSHAKE_S 5
#define FORWARD_BUF_MAX (1 << 20)   /* bytes a forwarded connection may hold unsent, each way */

struct link;

struct rlink {
    struct raft_uv_transport *t;    /* raft_uv finds itself through t->data */
    struct event_base *base;
    uv_loop_t *loop;
    uint8_t key[RAFTLINK_KEY_LEN];
    uint64_t id;
    char address[64];
    raft_uv_accept_cb accept_cb;
    raftlink_forward_cb forward_cb;
    void *forward_arg;
    unsigned nforward;              /* our clients' connections forwarded out */
    struct evconnlistener *listener;
    struct link *links;
};

/*
 * One connection. Handshake: each side sends its nonce; each then sends the
 * header of its sealing stream, keyed by H(key; sender's nonce || receiver's
 * nonce); the connecting side's first sealed frame names it (id, address),
 * the accepting side answers an empty one. Then every frame is a 4-byte
 * length and a sealed chunk of raft's bytes. A forwarded client connection
 * (raftlink_forward) is a link like raft's: its hello is id 0 and a packed
 * Forward, its plain end the client's socket here and a socketpair to the
 * server there.
 */
struct link {
    struct rlink *rl;
    struct link *next;
    struct bufferevent *net, *plain;
    struct raft_uv_connect *req;    /* outgoing, until open */
    raft_uv_connect_cb cb;
    int outgoing, got_nonce, got_header, open, draining;
    int forward;                    /* a client connection, not raft's */
    uint8_t *fwd_hello;             /* outgoing forward: its hello, until sent */
    size_t fwd_len;
    uint8_t nonce[NONCE_LEN], peer_nonce[NONCE_LEN];
    crypto_secretstream_xchacha20poly1305_state tx, rx;
};

static struct rlink *rl_of(struct raft_uv_transport *t)
{
    return t->impl;
}

static void link_free(struct link *l, int status)
{
    for (struct link **pp = &l->rl->links; *pp; pp = &(*pp)->next)
        if (*pp == l) {
            *pp = l->next;
            break;
        }
    if (l->req)
        l->cb(l->req, NULL, status);
    if (l->forward && l->outgoing)
        l->rl->nforward--;
    free(l->fwd_hello);
    if (l->net)
        bufferevent_free(l->net);
    if (l->plain)
        bufferevent_free(l->plain);
    sodium_memzero(l, sizeof *l);
    free(l);
}

static int seal(struct link *l, const uint8_t *m, size_t n)
{
    uint8_t c[CHUNK + ABYTES], hdr[4];
    unsigned long long clen;
    crypto_secretstream_xchacha20poly1305_push(&l->tx, c, &clen, m, n, NULL, 0, 0);
    hdr[0] = clen >> 24, hdr[1] = clen >> 16, hdr[2] = clen >> 8, hdr[3] = clen;
    return bufferevent_write(l->net, hdr, 4) || bufferevent_write(l->net, c, clen);
}

static void plain_read_cb(struct bufferevent *bev, void *arg)
{
    struct link *l = arg;
    uint8_t m[CHUNK];
    size_t n;
    while ((n = bufferevent_read(bev, m, sizeof m)))
        if (seal(l, m, n) ||
            (l->forward && evbuffer_get_length(bufferevent_get_output(l->net)) > FORWARD_BUF_MAX)) {
            link_free(l, RAFT_NOCONNECTION);
            return;
        }
}

static void any_event_cb(struct bufferevent *bev, short what, void *arg);

/* The link is open: our end of its plain side is fd. */
static void plain_start(struct link *l, evutil_socket_t fd)
{
    l->plain = bufferevent_socket_new(l->rl->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!l->plain)
        abort();
    bufferevent_setcb(l->plain, plain_read_cb, NULL, any_event_cb, l);
    bufferevent_enable(l->plain, EV_READ | EV_WRITE);
    bufferevent_set_timeouts(l->net, NULL, NULL);
    l->open = 1;
}

/* The raft side of an open link: a libuv pipe on one end of a socketpair. */
static struct uv_stream_s *open_plain(struct link *l)
{
    int sv[2];
    uv_pipe_t *pipe = raft_malloc(sizeof *pipe);
    if (!pipe || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        raft_free(pipe);
        return NULL;
    }
    if (uv_pipe_init(l->rl->loop, pipe, 0) || uv_pipe_open(pipe, sv[0])) {
        close(sv[0]);
        close(sv[1]);
        raft_free(pipe);
        return NULL;
    }
    evutil_make_socket_nonblocking(sv[1]);
    plain_start(l, sv[1]);
    return (struct uv_stream_s *)pipe;
}

static void derive(const struct link *l, uint8_t *out, const uint8_t *first, const uint8_t *second)
{
    uint8_t in[2 * NONCE_LEN];
    memcpy(in, first, NONCE_LEN);
    memcpy(in + NONCE_LEN, second, NONCE_LEN);
    crypto_generichash(out, crypto_secretstream_xchacha20poly1305_KEYBYTES, in, sizeof in, l->rl->key,
                       RAFTLINK_KEY_LEN);
}

/* A follower's client connection: the server gets the other end of a
 * socketpair, as if the client were connected here. */
static int accept_forward(struct link *l, const uint8_t *m, size_t n)
{
    int sv[2];
    Nsd__Forward *fw = l->rl->forward_cb ? nsd__forward__unpack(NULL, n, m) : NULL;
    if (!fw || seal(l, NULL, 0) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv)) {
        if (fw)
            nsd__forward__free_unpacked(fw, NULL);
        return -1;
    }
    l->forward = 1;
    plain_start(l, sv[1]);
    l->rl->forward_cb(l->rl->forward_arg, sv[0], fw);
    nsd__forward__free_unpacked(fw, NULL);
    return 0;
}

/* A sealed frame received: the handshake's hello or its answer, or raft's bytes.
 * 0, or -1 to drop the link. */
static int frame(struct link *l, const uint8_t *m, size_t n)
{
    struct rlink *rl = l->rl;
    if (l->open)
        return bufferevent_write(l->plain, m, n) ||
               (l->forward && evbuffer_get_length(bufferevent_get_output(l->plain)) > FORWARD_BUF_MAX);
    if (l->outgoing && l->forward) {   /* the client's bytes flow already */
        l->open = 1;
        bufferevent_set_timeouts(l->net, NULL, NULL);
        return 0;
    }
    if (l->outgoing) {   /* the answer: the peer holds the key */
        struct uv_stream_s *s = open_plain(l);
        if (!s)
            return -1;
        struct raft_uv_connect *req = l->req;
        l->req = NULL;
        l->cb(req, s, 0);
        return 0;
    }
    uint64_t id = 0;
    char addr[64];
    if (n < 9)
        return -1;
    for (int i = 0; i < 8; i++)
        id |= (uint64_t)m[i] << (8 * i);
    if (!id)
        return accept_forward(l, m + 8, n - 8);
    if (n - 8 >= sizeof addr)
        return -1;
    memcpy(addr, m + 8, n - 8);
    addr[n - 8] = 0;
    if (seal(l, NULL, 0))
        return -1;
    struct uv_stream_s *s = open_plain(l);
    if (!s)
        return -1;
    rl->accept_cb(rl->t, id, addr, s);
    return 0;
}

static void net_read_cb(struct bufferevent *bev, void *arg)
{
    struct link *l = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES], hdr[HDR_LEN];
    if (!l->got_nonce) {
        if (evbuffer_get_length(in) < NONCE_LEN)
            return;
        evbuffer_remove(in, l->peer_nonce, NONCE_LEN);
        l->got_nonce = 1;
        derive(l, key, l->nonce, l->peer_nonce);
        crypto_secretstream_xchacha20poly1305_init_push(&l->tx, hdr, key);
        sodium_memzero(key, sizeof key);
        bufferevent_write(bev, hdr, sizeof hdr);
        if (l->fwd_hello) {   /* hello: a forward, and the client's bytes behind it */
            seal(l, l->fwd_hello, l->fwd_len);
            free(l->fwd_hello);
            l->fwd_hello = NULL;
            bufferevent_enable(l->plain, EV_READ | EV_WRITE);
            bufferevent_trigger(l->plain, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
        } else if (l->outgoing) {   /* hello: who we are */
            uint8_t m[8 + sizeof l->rl->address];
            size_t an = strlen(l->rl->address);
            for (int i = 0; i < 8; i++)
                m[i] = l->rl->id >> (8 * i);
            memcpy(m + 8, l->rl->address, an);
            seal(l, m, 8 + an);
        }
    }
    if (!l->got_header) {
        if (evbuffer_get_length(in) < HDR_LEN)
            return;
        evbuffer_remove(in, hdr, HDR_LEN);
        derive(l, key, l->peer_nonce, l->nonce);
        int bad = crypto_secretstream_xchacha20poly1305_init_pull(&l->rx, hdr, key);
        sodium_memzero(key, sizeof key);
        if (bad)
            goto drop;
        l->got_header = 1;
    }
    for (;;) {
        uint8_t h[4], c[CHUNK + ABYTES], m[CHUNK];
        unsigned long long mlen;
        unsigned char tag;
        if (evbuffer_copyout(in, h, 4) < 4)
            return;
        size_t clen = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (clen < ABYTES || clen > sizeof c)
            goto drop;
        if (evbuffer_get_length(in) < 4 + clen)
            return;
        evbuffer_drain(in, 4);
        evbuffer_remove(in, c, clen);
        if (crypto_secretstream_xchacha20poly1305_pull(&l->rx, m, &mlen, &tag, c, clen, NULL, 0) ||
            frame(l, m, mlen))
            goto drop;
    }
drop:
    nsd_log("raft link: dropping a connection that failed authentication");
    link_free(l, RAFT_NOCONNECTION);
}

static void drained_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    link_free(arg, RAFT_NOCONNECTION);
}

static void any_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct link *l = arg;
    if (bev == l->net && (what & BEV_EVENT_CONNECTED)) {
        bufferevent_write(l->net, l->nonce, NONCE_LEN);
        return;
    }
    /* One side ended: what it sent still reaches the other (a client's
     * last request, a refusal's reason), then both go. */
    struct bufferevent *other = bev == l->net ? l->plain : l->net;
    if (l->open && !l->draining && other && evbuffer_get_length(bufferevent_get_output(other))) {
        l->draining = 1;
        bufferevent_disable(bev, EV_READ | EV_WRITE);
        bufferevent_disable(other, EV_READ);
        bufferevent_setcb(other, NULL, drained_cb, any_event_cb, l);
        return;
    }
    link_free(l, RAFT_NOCONNECTION);   /* EOF, error or handshake timeout: both sides go */
}

static struct link *link_new(struct rlink *rl, evutil_socket_t fd)
{
    struct link *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->rl = rl;
    randombytes_buf(l->nonce, sizeof l->nonce);
    l->net = bufferevent_socket_new(rl->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!l->net)
        abort();
    struct timeval hs = { HANDSHAKE_S, 0 };
    bufferevent_setcb(l->net, net_read_cb, NULL, any_event_cb, l);
    bufferevent_set_timeouts(l->net, &hs, &hs);
    bufferevent_enable(l->net, EV_READ | EV_WRITE);
    l->next = rl->links;
    rl->links = l;
    return l;
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)lis, (void)sa, (void)len;
    struct link *l = link_new(arg, fd);
    bufferevent_write(l->net, l->nonce, NONCE_LEN);
}

/* ---- the raft_uv_transport interface -------------------------------------------- */

static int t_init(struct raft_uv_transport *t, raft_id id, const char *address)
{
    struct rlink *rl = rl_of(t);
    rl->id = id;
    snprintf(rl->address, sizeof rl->address, "%s", address);
    return 0;
}

static int t_listen(struct raft_uv_transport *t, raft_uv_accept_cb cb)
{
    struct rlink *rl = rl_of(t);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    rl->accept_cb = cb;
    if (evutil_parse_sockaddr_port(rl->address, (struct sockaddr *)&ss, &len)) {
        snprintf(t->errmsg, sizeof t->errmsg, "bad address %s (want IP:PORT)", rl->address);
        return RAFT_INVALID;
    }
    rl->listener = evconnlistener_new_bind(rl->base, accept_cb, rl,
                                           LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                           64, (struct sockaddr *)&ss, len);
    if (!rl->listener) {
        snprintf(t->errmsg, sizeof t->errmsg, "cannot listen on %s: %s", rl->address, strerror(errno));
        return RAFT_IOERR;
    }
    return 0;
}

static int t_connect(struct raft_uv_transport *t, struct raft_uv_connect *req, raft_id id,
                     const char *address, raft_uv_connect_cb cb)
{
    struct rlink *rl = rl_of(t);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    (void)id;
    if (evutil_parse_sockaddr_port(address, (struct sockaddr *)&ss, &len))
        return RAFT_NOCONNECTION;
    struct link *l = link_new(rl, -1);
    l->outgoing = 1;
    l->req = req;
    l->cb = cb;
    if (bufferevent_socket_connect(l->net, (struct sockaddr *)&ss, len)) {
        l->req = NULL;
        link_free(l, 0);
        return RAFT_NOCONNECTION;
    }
    return 0;
}

static void t_close(struct raft_uv_transport *t, raft_uv_transport_close_cb cb)
{
    struct rlink *rl = rl_of(t);
    if (rl->listener)
        evconnlistener_free(rl->listener);
    rl->listener = NULL;
    while (rl->links)
        link_free(rl->links, RAFT_CANCELED);
    if (cb)
        cb(t);
}

int raftlink_init(struct raft_uv_transport *t, struct event_base *base, uv_loop_t *loop,
                  const uint8_t key[RAFTLINK_KEY_LEN])
{
    struct rlink *rl = calloc(1, sizeof *rl);
    if (!rl)
        return -1;
    rl->base = base;
    rl->loop = loop;
    memcpy(rl->key, key, RAFTLINK_KEY_LEN);
    rl->t = t;
    *t = (struct raft_uv_transport){ .impl = rl, .init = t_init, .listen = t_listen, .connect = t_connect,
                                     .close = t_close };
    return 0;
}

void raftlink_free(struct raft_uv_transport *t)
{
    struct rlink *rl = rl_of(t);
    if (!rl)
        return;
    t_close(t, NULL);
    sodium_memzero(rl, sizeof *rl);
    free(rl);
    t->impl = NULL;
}

void raftlink_on_forward(struct raft_uv_transport *t, raftlink_forward_cb cb, void *arg)
{
    struct rlink *rl = rl_of(t);
    rl->forward_cb = cb;
    rl->forward_arg = arg;
}

int raftlink_forward(struct raft_uv_transport *t, const char *address, const Nsd__Forward *fw,
                     struct bufferevent *client)
{
    struct rlink *rl = rl_of(t);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (rl->nforward >= RAFTLINK_FORWARD_MAX || evutil_parse_sockaddr_port(address, (struct sockaddr *)&ss, &len))
        return -1;
    struct link *l = link_new(rl, -1);
    l->outgoing = l->forward = 1;
    rl->nforward++;
    l->fwd_len = 8 + nsd__forward__get_packed_size(fw);
    l->fwd_hello = calloc(1, l->fwd_len);
    if (!l->fwd_hello)
        abort();
    nsd__forward__pack(fw, l->fwd_hello + 8);
    if (bufferevent_socket_connect(l->net, (struct sockaddr *)&ss, len)) {
        link_free(l, 0);
        return -1;
    }
    /* Read again once the hello is sealed (the bytes waiting are the client's). */
    l->plain = client;
    bufferevent_disable(client, EV_READ);
    bufferevent_set_timeouts(client, NULL, NULL);
    bufferevent_setcb(client, plain_read_cb, NULL, any_event_cb, l);
    return 0;
}

void raftlink_drop_forwards(struct raft_uv_transport *t)
{
    struct rlink *rl = rl_of(t);
    for (struct link **pp = &rl->links; *pp;)
        if ((*pp)->forward && (*pp)->outgoing)
            link_free(*pp, RAFT_NOCONNECTION);
        else
            pp = &(*pp)->next;
}

int raftlink_read_key(const char *path, uint8_t key[RAFTLINK_KEY_LEN])
{
    char hex[2 * RAFTLINK_KEY_LEN + 2] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(hex, 1, sizeof hex - 1, f) : 0;
    if (f)
        fclose(f);
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == ' '))
        hex[--n] = 0;
    if (!f || nsd_unhex(key, RAFTLINK_KEY_LEN, hex)) {
        nsd_log("--cluster-key %s: %s", path,
                f ? "want 64 hex digits (e.g. `head -c32 /dev/urandom | od -An -tx1 | tr -d ' \\n'`)"
                  : strerror(errno));
        sodium_memzero(hex, sizeof hex);
        return -1;
    }
    sodium_memzero(hex, sizeof hex);
    return 0;
}
