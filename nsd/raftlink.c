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

struct link;

struct rlink {
    struct raft_uv_transport *t;    /* raft_uv finds itself through t->data */
    struct event_base *base;
    uv_loop_t *loop;
    uint8_t key[RAFTLINK_KEY_LEN];
    uint64_t id;
    char address[64];
    raft_uv_accept_cb accept_cb;
    struct evconnlistener *listener;
    struct link *links;
};

/*
 * One connection, sealed (nsd/sealink.c). Once keyed, the connecting side's
 * first sealed frame names it (id, address), the accepting side answers an
 * empty one. Then every frame is a sealed chunk of raft's bytes.
 */
struct link {
    struct rlink *rl;
    struct link *next;
    struct sealink *net;
    struct bufferevent *plain;
    struct raft_uv_connect *req;    /* outgoing, until open */
    raft_uv_connect_cb cb;
    int outgoing, open;
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
        if (sealink_send(l->net, m, n)) {
            link_free(l, RAFT_NOCONNECTION);
            return;
        }
}

static void plain_event_cb(struct bufferevent *bev, short what, void *arg)
{
    (void)bev, (void)what;
    link_free(arg, RAFT_NOCONNECTION);   /* raft closed its end: both sides go */
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
    l->plain = bufferevent_socket_new(l->rl->base, sv[1], BEV_OPT_CLOSE_ON_FREE);
    if (!l->plain)
        abort();
    bufferevent_setcb(l->plain, plain_read_cb, NULL, plain_event_cb, l);
    bufferevent_enable(l->plain, EV_READ | EV_WRITE);
    sealink_opened(l->net, 0);
    l->open = 1;
    return (struct uv_stream_s *)pipe;
}

/* Keyed: the connecting side's hello, who we are. */
static void net_keyed(void *arg)
{
    struct link *l = arg;
    if (!l->outgoing)
        return;
    uint8_t m[8 + sizeof l->rl->address];
    size_t an = strlen(l->rl->address);
    for (int i = 0; i < 8; i++)
        m[i] = l->rl->id >> (8 * i);
    memcpy(m + 8, l->rl->address, an);
    sealink_send(l->net, m, 8 + an);
}

/* A sealed frame received: the handshake's hello or its answer, or raft's bytes.
 * 0, or -1 to drop the link. */
static int net_frame(void *arg, const uint8_t *m, size_t n)
{
    struct link *l = arg;
    struct rlink *rl = l->rl;
    if (l->open)
        return bufferevent_write(l->plain, m, n);
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
    if (n < 9 || n - 8 >= sizeof addr)
        return -1;
    for (int i = 0; i < 8; i++)
        id |= (uint64_t)m[i] << (8 * i);
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

static void net_closed(void *arg)
{
    link_free(arg, RAFT_NOCONNECTION);
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
