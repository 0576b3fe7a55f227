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
#include "raftlink.h"
#include "sealink.h"
#include "util.h"

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
 * One connection, sealed (nsd/sealink.c). Once keyed, the connecting side's
 * first sealed frame names it (id, address), the accepting side answers an
 * empty one. Then every frame is a sealed chunk of raft's bytes. A forwarded
 * client connection (raftlink_forward) is a link like raft's: its hello is
 * id 0 and a packed Forward, its plain end the client's socket here and a
 * socketpair to the server there.
 */
struct link {
    struct rlink *rl;
    struct link *next;
    struct sealink *net;
    struct bufferevent *plain;
    struct raft_uv_connect *req;    /* outgoing, until open */
    raft_uv_connect_cb cb;
    int outgoing, open;
    int forward;                    /* a client connection, not raft's */
    uint8_t *fwd_hello;             /* outgoing forward: its hello, until sent */
    size_t fwd_len;
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
    sealink_free(l->net);
    if (l->plain)
        bufferevent_free(l->plain);
    free(l);
}

static void plain_read_cb(struct bufferevent *bev, void *arg)
{
    struct link *l = arg;
    uint8_t m[SEALINK_CHUNK];
    size_t n;
    while ((n = bufferevent_read(bev, m, sizeof m)))
        if (sealink_send(l->net, m, n) || (l->forward && sealink_pending(l->net) > FORWARD_BUF_MAX)) {
            link_free(l, RAFT_NOCONNECTION);
            return;
        }
}

/* The plain end closed (raft, or a forwarded client): both sides go, what
 * it sent still reaching the peer (a client's last request). */
static void plain_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct link *l = arg;
    (void)bev, (void)what;
    sealink_free_flushed(l->net);
    l->net = NULL;
    link_free(l, RAFT_NOCONNECTION);
}

static void drained_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    link_free(arg, RAFT_NOCONNECTION);
}

static void drained_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)what;
    drained_cb(bev, arg);
}

/* The link is open: our end of its plain side is fd. */
static void plain_start(struct link *l, evutil_socket_t fd)
{
    l->plain = bufferevent_socket_new(l->rl->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!l->plain)
        abort();
    bufferevent_setcb(l->plain, plain_read_cb, NULL, plain_event_cb, l);
    bufferevent_enable(l->plain, EV_READ | EV_WRITE);
    sealink_opened(l->net, 0);
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

/* Keyed: the connecting side's hello, who we are (or a forward, and the
 * client's bytes behind it). */
static void net_keyed(void *arg)
{
    struct link *l = arg;
    if (l->fwd_hello) {
        sealink_send(l->net, l->fwd_hello, l->fwd_len);
        free(l->fwd_hello);
        l->fwd_hello = NULL;
        bufferevent_enable(l->plain, EV_READ | EV_WRITE);
        bufferevent_trigger(l->plain, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
        return;
    }
    if (!l->outgoing)
        return;
    uint8_t m[8 + sizeof l->rl->address];
    size_t an = strlen(l->rl->address);
    for (int i = 0; i < 8; i++)
        m[i] = l->rl->id >> (8 * i);
    memcpy(m + 8, l->rl->address, an);
    sealink_send(l->net, m, 8 + an);
}

/* A follower's client connection: the server gets the other end of a
 * socketpair, as if the client were connected here. */
static int accept_forward(struct link *l, const uint8_t *m, size_t n)
{
    int sv[2];
    Nsd__Forward *fw = l->rl->forward_cb ? nsd__forward__unpack(NULL, n, m) : NULL;
    if (!fw || sealink_send(l->net, NULL, 0) ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv)) {
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
static int net_frame(void *arg, const uint8_t *m, size_t n)
{
    struct link *l = arg;
    struct rlink *rl = l->rl;
    if (l->open)
        return bufferevent_write(l->plain, m, n) ||
               (l->forward && evbuffer_get_length(bufferevent_get_output(l->plain)) > FORWARD_BUF_MAX);
    if (l->outgoing && l->forward) {   /* the answer; the client's bytes flow already */
        sealink_opened(l->net, 0);
        l->open = 1;
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
    if (sealink_send(l->net, NULL, 0))
        return -1;
    struct uv_stream_s *s = open_plain(l);
    if (!s)
        return -1;
    rl->accept_cb(rl->t, id, addr, s);
    return 0;
}

/* The peer went: what it sent still reaches the plain end (a reply, a
 * refusal's reason), then both sides go. */
static void net_closed(void *arg)
{
    struct link *l = arg;
    if (!l->open || !evbuffer_get_length(bufferevent_get_output(l->plain))) {
        link_free(l, RAFT_NOCONNECTION);
        return;
    }
    sealink_free(l->net);
    l->net = NULL;
    bufferevent_disable(l->plain, EV_READ);
    bufferevent_setcb(l->plain, NULL, drained_cb, drained_event_cb, l);
}

static const struct sealink_cb net_cb = { net_keyed, net_frame, net_closed };

static struct link *link_new(struct rlink *rl, evutil_socket_t fd, int outgoing)
{
    struct link *l = calloc(1, sizeof *l);
    if (!l)
        abort();
    l->rl = rl;
    l->outgoing = outgoing;
    l->net = sealink_new(rl->base, fd, rl->key, &net_cb, l, "raft link");
    l->next = rl->links;
    rl->links = l;
    return l;
}

static void accept_cb(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
    (void)lis, (void)sa, (void)len;
    link_new(arg, fd, 0);
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
    struct link *l = link_new(rl, -1, 1);
    l->req = req;
    l->cb = cb;
    if (sealink_connect(l->net, (struct sockaddr *)&ss, len)) {
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

void raftlink_on_forward(struct raft_uv_transport *t, raftlink_forward_cb cb, void *arg)
{
    struct rlink *rl = rl_of(t);
    rl->forward_cb = cb;
    rl->forward_arg = arg;
}

int raftlink_forward(struct raft_uv_transport *t, const char *address, const Nsd__Forward *fw)
{
    struct rlink *rl = rl_of(t);
    struct sockaddr_storage ss;
    int len = sizeof ss, sv[2];
    if (rl->nforward >= RAFTLINK_FORWARD_MAX || evutil_parse_sockaddr_port(address, (struct sockaddr *)&ss, &len) ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv))
        return -1;
    struct link *l = link_new(rl, -1, 1);
    l->forward = 1;
    rl->nforward++;
    l->fwd_len = 8 + nsd__forward__get_packed_size(fw);
    l->fwd_hello = calloc(1, l->fwd_len);
    if (!l->fwd_hello)
        abort();
    nsd__forward__pack(fw, l->fwd_hello + 8);
    /* Read once the hello is sealed (net_keyed): the server's bytes wait. */
    l->plain = bufferevent_socket_new(rl->base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    if (!l->plain)
        abort();
    bufferevent_setcb(l->plain, plain_read_cb, NULL, plain_event_cb, l);
    if (sealink_connect(l->net, (struct sockaddr *)&ss, len)) {
        link_free(l, 0);
        close(sv[0]);
        return -1;
    }
    return sv[0];
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
