/*
 * Protocol core of the nsd client. Freestanding: only memcpy/memset from the
 * C library, everything else through struct nsdc_ops.
 */
#include <string.h>
#include <linux/errno.h>
#include "nsdc.h"

static size_t slen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void scopy(char *dst, const char *src, size_t cap)
{
    size_t n = slen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void set_err(struct nsdc *c, const char *a, const char *b)
{
    c->err[0] = 0;
    scopy(c->err, a, sizeof c->err);
    if (b) {
        size_t n = slen(c->err);
        scopy(c->err + n, b, sizeof c->err - n);
    }
}

void nsdc_init(struct nsdc *c, const struct nsdc_ops *ops, Nsd__Role role,
               const char *sandbox, const uint8_t *secret)
{
    memset(c, 0, sizeof *c);
    c->ops = ops;
    c->role = role;
    c->retry_ms = 10000;
    if (sandbox)
        scopy(c->sandbox, sandbox, sizeof c->sandbox);
    if (secret)
        memcpy(c->secret, secret, NSD_SECRET_LEN);
    ops->random(ops->ctx, c->client_id, sizeof c->client_id);
}

size_t nsdc_mac_input(uint8_t *out, const uint8_t *nonce, const uint8_t *client_id,
                      const char *sandbox)
{
    size_t n = slen(sandbox);
    if (n > NSD_NAME_MAX)
        n = NSD_NAME_MAX;
    memcpy(out, nonce, NSD_NONCE_LEN);
    memcpy(out + NSD_NONCE_LEN, client_id, NSD_CLIENT_ID_LEN);
    memcpy(out + NSD_NONCE_LEN + NSD_CLIENT_ID_LEN, sandbox, n);
    return NSD_NONCE_LEN + NSD_CLIENT_ID_LEN + n;
}

uint32_t nsdc_frame_len(const uint8_t hdr[NSD_FRAME_HDR])
{
    return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

uint8_t *nsdc_pack(ProtobufCAllocator *alloc, const Nsd__Frame *f, size_t *len)
{
    size_t body = nsd__frame__get_packed_size(f);
    if (body > NSD_FRAME_MAX)
        return NULL;
    uint8_t *buf = alloc->alloc(alloc->allocator_data, NSD_FRAME_HDR + body);
    if (!buf)
        return NULL;
    buf[0] = body >> 24;
    buf[1] = body >> 16;
    buf[2] = body >> 8;
    buf[3] = body;
    nsd__frame__pack(f, buf + NSD_FRAME_HDR);
    *len = NSD_FRAME_HDR + body;
    return buf;
}

void nsdc_addrs_init(struct nsdc_addrs *a, const char *list)
{
    memset(a, 0, sizeof *a);
    scopy(a->list, list, sizeof a->list);
}

static int same(const char *x, const char *y)
{
    while (*x && *x == *y)
        x++, y++;
    return *x == *y;
}

const char *nsdc_addrs_pick(struct nsdc_addrs *a)
{
    if (a->redirect[0]) {
        memcpy(a->addr, a->redirect, sizeof a->addr);
        a->redirect[0] = 0;
        return a->addr;
    }
    /* The next node is another one than the last (which a Redirect may have
     * named): the last failed us, and may be a paused leader. */
    char last[NSDC_ADDR_MAX];
    memcpy(last, a->addr, sizeof last);
    for (int tries = 0; tries < 2; tries++) {
        const char *s = a->list + a->next;
        size_t n = 0;
        while (s[n] && s[n] != ',')
            n++;
        scopy(a->addr, s, n + 1 < sizeof a->addr ? n + 1 : sizeof a->addr);
        a->next = s[n] ? (size_t)(s + n + 1 - a->list) : 0;
        if (!same(a->addr, last))
            break;
    }
    return a->addr;
}

void nsdc_addrs_redirect(struct nsdc_addrs *a, const Nsd__Redirect *r, const char *me)
{
    size_t i = 0;
    if (!r->node[0]) {
        if (a->stays++ < NSDC_STAY_MAX)
            memcpy(a->redirect, a->addr, sizeof a->redirect);
        else
            a->stays = 0;
        return;
    }
    a->stays = 0;
    while (r->host[i] && r->host[i] == me[i])
        i++;
    if (r->unix_path[0] && r->host[i] == me[i]) {
        scopy(a->redirect, r->unix_path, sizeof a->redirect);
    } else if (r->tcp[0]) {
        memcpy(a->redirect, "tcp:", 4);
        scopy(a->redirect + 4, r->tcp, sizeof a->redirect - 4);
    }
}

int nsdc_body_is_mutation(Nsd__Frame__BodyCase b)
{
    /* 32..63 are the mutations, 64 on the queries (proto/nsd.proto). */
    return b >= NSD__FRAME__BODY_SANDBOX_CREATE && b < NSD__FRAME__BODY_LOOKUP;
}

static int write_all(struct nsdc *c, const uint8_t *p, size_t n)
{
    while (n) {
        long r = c->ops->write(c->ops->ctx, p, n);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return r ? (int)r : -EPIPE;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int read_all(struct nsdc *c, uint8_t *p, size_t n)
{
    while (n) {
        long r = c->ops->read(c->ops->ctx, p, n);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            return r ? (int)r : -ECONNRESET;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int send_frame(struct nsdc *c, const Nsd__Frame *f)
{
    size_t len;
    uint8_t *buf = nsdc_pack(c->ops->alloc, f, &len);
    if (!buf)
        return -EMSGSIZE;
    int r = write_all(c, buf, len);
    c->ops->alloc->free(c->ops->alloc->allocator_data, buf);
    return r;
}

/* Reads one frame; hostile sizes and undecodable bodies are protocol errors. */
static int recv_frame(struct nsdc *c, Nsd__Frame **out)
{
    uint8_t hdr[NSD_FRAME_HDR];
    int r = read_all(c, hdr, sizeof hdr);
    if (r)
        return r;
    uint32_t len = nsdc_frame_len(hdr);
    if (len > NSD_FRAME_MAX) {
        set_err(c, "oversized frame from nsd", 0);
        return -EPROTO;
    }
    ProtobufCAllocator *a = c->ops->alloc;
    uint8_t *buf = a->alloc(a->allocator_data, len ? len : 1);
    if (!buf)
        return -ENOMEM;
    r = read_all(c, buf, len);
    if (!r) {
        *out = nsd__frame__unpack(a, len, buf);
        if (!*out) {
            set_err(c, "undecodable frame from nsd", 0);
            r = -EPROTO;
        }
    }
    a->free(a->allocator_data, buf);
    return r;
}

void nsdc_free(struct nsdc *c, Nsd__Frame *f)
{
    if (f)
        nsd__frame__free_unpacked(f, c->ops->alloc);
}

int nsdc_page(struct nsdc *c, Nsd__Frame **all, Nsd__Frame *rep, Nsd__Page *pg)
{
    Nsd__ProcList *page = rep->proc_list;
    int more = page->more && page->n_procs;
    if (!*all) {
        *all = rep;
    } else {
        Nsd__ProcList *pl = (*all)->proc_list;
        ProtobufCAllocator *a = c->ops->alloc;
        Nsd__Proc **v = a->alloc(a->allocator_data, (pl->n_procs + page->n_procs) * sizeof *v);
        if (!v) {
            nsdc_free(c, rep);
            nsdc_free(c, *all);
            *all = NULL;
            return -ENOMEM;
        }
        if (pl->n_procs)
            memcpy(v, pl->procs, pl->n_procs * sizeof *v);
        if (page->n_procs)
            memcpy(v + pl->n_procs, page->procs, page->n_procs * sizeof *v);
        if (pl->procs)
            a->free(a->allocator_data, pl->procs);
        pl->procs = v;
        pl->n_procs += page->n_procs;
        page->n_procs = 0; /* its rows are *all's now */
        nsdc_free(c, rep);
    }
    Nsd__ProcList *pl = (*all)->proc_list;
    if (pl->n_procs) {
        pg->after_sandbox = pl->procs[pl->n_procs - 1]->sandbox;
        pg->after_pid = pl->procs[pl->n_procs - 1]->pid;
    }
    return more;
}

static int hello_answer(struct nsdc *c, const Nsd__Frame *rep);

/* A Redirect: go to the leader it names (if any) at the next connect; the
 * request is retried there (-ESTALE, like "not leader"). */
static int follow(struct nsdc *c, const Nsd__Redirect *r)
{
    if (c->ops->redirect)
        c->ops->redirect(c->ops->ctx, r);
    set_err(c, r->node[0] ? "redirected to leader " : "no leader yet", r->node);
    c->cause = r->cause;
    return -ESTALE;
}

/* A call out of time: if the last node asked could not serve because its
 * disk is full, that is the error (ENOSPC), not "not leader". */
static int gave_up(struct nsdc *c, int r)
{
    if (r != -ESTALE || c->cause != ENOSPC)
        return r;
    set_err(c, "no node of the group can write: disk full", 0);
    return -ENOSPC;
}

/* A frame that is not the awaited reply: a push, or the reply to an
 * nsdc_send request, which is then no longer outstanding. -ESTALE when that
 * reply says "not leader": the request stays queued for the next leader. */
static int dispatch(struct nsdc *c, Nsd__Frame *f)
{
    int r = 0;
    if (c->hello_pending && f->req_id == 0 && c->ticket_hello && f->body_case == NSD__FRAME__BODY_SERVER_HELLO) {
        nsdc_free(c, f); /* sent at accept; ours did not wait for it */
        return 0;
    }
    if (c->hello_pending && f->req_id == 0) {
        r = hello_answer(c, f);
        nsdc_free(c, f);
        return r;
    }
    for (int i = 0; f->req_id && i < c->nout; i++) {
        if (c->out[i].id != f->req_id)
            continue;
        if (f->body_case == NSD__FRAME__BODY_ERROR && f->error->errnum == ESTALE) {
            c->cause = f->error->cause;
            r = -ESTALE;
            break;
        }
        if (f->body_case == NSD__FRAME__BODY_REDIRECT) {
            r = follow(c, f->redirect);
            break;
        }
        c->ops->alloc->free(c->ops->alloc->allocator_data, c->out[i].buf);
        for (c->nout--; i < c->nout; i++)
            c->out[i] = c->out[i + 1];
        break;
    }
    if (!r && c->on_push)
        c->on_push(c, f, c->push_arg);
    nsdc_free(c, f);
    return r;
}

void nsdc_close(struct nsdc *c)
{
    if (c->connected)
        c->ops->disconnect(c->ops->ctx);
    c->connected = 0;
    c->hello_pending = 0;
    c->ticket_hello = 0;
}

/* Transport errors after which the same request may succeed on a new connection. */
static int transient(int e)
{
    return e == -ECONNREFUSED || e == -ENOENT || e == -ECONNRESET || e == -EPIPE ||
           e == -ESTALE || e == -ENOTCONN || e == -ETIMEDOUT || e == -EAGAIN;
}

/* The leader's answer to our Hello: HelloOk, or Error (then closed). */
static int hello_answer(struct nsdc *c, const Nsd__Frame *rep)
{
    int ticket = c->ticket_hello;
    c->hello_pending = 0;
    c->ticket_hello = 0;
    if (rep->body_case == NSD__FRAME__BODY_HELLO_OK) {
        scopy(c->node, rep->hello_ok->node, sizeof c->node);
        c->term = rep->hello_ok->term;
        if (c->on_push) /* it may carry a Ticket */
            c->on_push(c, rep, c->push_arg);
        return 0;
    }
    if (rep->body_case == NSD__FRAME__BODY_REDIRECT)
        return follow(c, rep->redirect);
    if (rep->body_case == NSD__FRAME__BODY_ERROR) {
        set_err(c, "hello refused: ", rep->error->msg);
        /* A ticket this node does not know (a failover, one too old):
         * the ordinary hello on a new connection. */
        if (ticket)
            return -ESTALE;
        return rep->error->errnum ? -rep->error->errnum : -EPROTO;
    }
    set_err(c, "unexpected answer to hello", 0);
    return -EPROTO;
}

/* Sends our hello, its MAC over nonce (the server's, or a ticket's); the
 * answer is read by the caller later as the first frame (dispatch). */
static int hello_write(struct nsdc *c, const uint8_t *nonce, int ticket)
{
    Nsd__Hello h = NSD__HELLO__INIT;
    Nsd__Frame f = NSD__FRAME__INIT;
    uint8_t macin[NSD_MAC_INPUT_MAX], mac[NSD_MAC_LEN];
    h.version = NSD_PROTO_VERSION;
    h.role = c->role;
    h.sandbox = c->sandbox;
    h.client_id.data = c->client_id;
    h.client_id.len = sizeof c->client_id;
    if (c->role == NSD__ROLE__ROLE_PICO) {
        size_t n = nsdc_mac_input(macin, nonce, c->client_id, c->sandbox);
        c->ops->mac(c->ops->ctx, mac, macin, n, c->secret);
        h.mac.data = mac;
        h.mac.len = sizeof mac;
    }
    if (ticket) {
        h.ticket.data = (uint8_t *)nonce;
        h.ticket.len = NSD_NONCE_LEN;
    }
    f.body_case = NSD__FRAME__BODY_HELLO;
    f.hello = &h;
    int r = send_frame(c, &f);
    if (!r) {
        c->hello_pending = 1;
        c->ticket_hello = ticket;
    }
    return r;
}

/* Reads the server hello and sends ours. */
static int hello_send(struct nsdc *c)
{
    Nsd__Frame *sh = 0;
    int r = recv_frame(c, &sh);
    if (r)
        return r;
    if (sh->body_case != NSD__FRAME__BODY_SERVER_HELLO ||
        sh->server_hello->version != NSD_PROTO_VERSION ||
        sh->server_hello->nonce.len != NSD_NONCE_LEN) {
        set_err(c, "bad server hello (protocol version mismatch?)", 0);
        nsdc_free(c, sh);
        return -EPROTO;
    }
    r = hello_write(c, sh->server_hello->nonce.data, 0);
    nsdc_free(c, sh);
    return r;
}

static int connect_leader(struct nsdc *c)
{
    int r = c->ops->connect(c->ops->ctx);
    if (r) {
        set_err(c, "cannot connect to nsd", 0);
        return r;
    }
    c->connected = 1;
    /* Pipelined: the answer to the hello is read as the first frame before
     * the reply to the first request, which nsd serves only after it, so a
     * start-up pays one round trip less. */
    r = hello_send(c);
    /* Requests sent but not answered before the connection went. */
    for (int i = 0; !r && i < c->nout; i++)
        r = write_all(c, c->out[i].buf, c->out[i].len);
    if (r)
        nsdc_close(c);
    return r;
}

int nsdc_connect(struct nsdc *c)
{
    return c->connected ? 0 : connect_leader(c);
}

int nsdc_hello_ticket(struct nsdc *c, const uint8_t ticket[NSD_NONCE_LEN])
{
    c->connected = 1;
    int r = hello_write(c, ticket, 1);
    if (r)
        nsdc_close(c);
    return r;
}

int nsdc_hello_nowait(struct nsdc *c)
{
    c->connected = 1;
    int r = hello_send(c);
    if (r)
        nsdc_close(c);
    return r;
}

/* One attempt on the current connection. */
static int exchange(struct nsdc *c, Nsd__Frame *req, Nsd__Frame **reply)
{
    int r = send_frame(c, req);
    /* nsd closes after refusing a hello: its answer says why */
    if (r && c->hello_pending) {
        Nsd__Frame *f = 0;
        int h = recv_frame(c, &f);
        if (!h && (h = dispatch(c, f)))
            r = h;
    }
    while (!r) {
        Nsd__Frame *f = 0;
        r = recv_frame(c, &f);
        if (r)
            break;
        if (f->req_id == req->req_id) {
            *reply = f;
            return 0;
        }
        r = dispatch(c, f);
    }
    return r;
}

int nsdc_call(struct nsdc *c, Nsd__Frame *req, Nsd__Frame **reply)
{
    const struct nsdc_ops *o = c->ops;
    int64_t deadline = o->now_ms(o->ctx) + c->retry_ms;
    req->req_id = ++c->seq;
    c->err[0] = 0;
    c->cause = 0;
    for (;;) {
        Nsd__Frame *rep = 0;
        int r = c->connected ? 0 : connect_leader(c);
        if (!r)
            r = exchange(c, req, &rep);
        if (!r && rep->body_case == NSD__FRAME__BODY_REDIRECT) {
            r = follow(c, rep->redirect);
            nsdc_free(c, rep);
        } else if (!r && rep->body_case != NSD__FRAME__BODY_ERROR) {
            *reply = rep;
            return 0;
        } else if (!r) {
            set_err(c, rep->error->msg, 0);
            r = rep->error->errnum ? -rep->error->errnum : -EPROTO;
            c->cause = rep->error->cause;
            nsdc_free(c, rep);
            if (r != -ESTALE)           /* an answer: the connection stays */
                return r;
        }
        /* Dropped, refused or told "not leader": a new leader may be coming. */
        nsdc_close(c);
        if (!transient(r) || o->now_ms(o->ctx) >= deadline)
            return gave_up(c, r);
        o->sleep_ms(o->ctx, 20);
    }
}

int nsdc_flush(struct nsdc *c)
{
    const struct nsdc_ops *o = c->ops;
    int64_t deadline = o->now_ms(o->ctx) + c->retry_ms;
    c->cause = 0;
    while (c->nout) {
        int r = c->connected ? 0 : connect_leader(c);
        Nsd__Frame *f = 0;
        if (!r)
            r = recv_frame(c, &f);
        if (!r)
            r = dispatch(c, f);
        if (!r)
            continue;
        nsdc_close(c);
        if (!transient(r) || o->now_ms(o->ctx) >= deadline)
            return gave_up(c, r);
        o->sleep_ms(o->ctx, 20);
    }
    return 0;
}

/* Reads the frames that have come, without waiting for more. A failure
 * closes the connection; the queue is re-sent on the next connect. */
void nsdc_poll(struct nsdc *c)
{
    while (c->connected && c->ops->ready && c->ops->ready(c->ops->ctx)) {
        Nsd__Frame *f = 0;
        int r = recv_frame(c, &f);
        if (!r)
            r = dispatch(c, f);
        if (r) {
            nsdc_close(c);
            return;
        }
    }
}

int nsdc_send(struct nsdc *c, Nsd__Frame *req)
{
    nsdc_poll(c);
    if (c->nout == NSDC_ASYNC_MAX) {
        int r = nsdc_flush(c);
        if (r)
            return r;
    }
    req->req_id = ++c->seq;
    struct nsdc_async *a = &c->out[c->nout];
    a->buf = nsdc_pack(c->ops->alloc, req, &a->len);
    if (!a->buf)
        return -EMSGSIZE;
    a->id = req->req_id;
    c->nout++;
    /* A fresh connection sends every queued request, this one included. */
    int r = c->connected ? write_all(c, a->buf, a->len) : connect_leader(c);
    if (r)
        nsdc_close(c);
    return 0;
}
