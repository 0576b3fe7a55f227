#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <sodium.h>
#include "nsdc_posix.h"
#include "sealink.h"
#include "util.h"

#define NONCE_LEN 32
#define HDR_LEN crypto_secretstream_xchacha20poly1305_HEADERBYTES
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define HANDSHAKE_S 5

struct sealink {
    struct bufferevent *net;
    const struct sealink_cb *cb;
    void *arg;
    const char *what;
    int got_nonce, got_header, closing;
    uint8_t key[SEALINK_KEY_LEN];
    uint8_t nonce[NONCE_LEN], peer_nonce[NONCE_LEN];
    crypto_secretstream_xchacha20poly1305_state tx, rx;
};

int sealink_send(struct sealink *s, const uint8_t *m, size_t n)
{
    uint8_t c[SEALINK_CHUNK + ABYTES], hdr[4];
    unsigned long long clen;
    if (!s->got_nonce || n > SEALINK_CHUNK)
        return -1;
    crypto_secretstream_xchacha20poly1305_push(&s->tx, c, &clen, m, n, NULL, 0, 0);
    hdr[0] = clen >> 24, hdr[1] = clen >> 16, hdr[2] = clen >> 8, hdr[3] = clen;
    return bufferevent_write(s->net, hdr, 4) || bufferevent_write(s->net, c, clen);
}

static void derive(const struct sealink *s, uint8_t *out, const uint8_t *first, const uint8_t *second)
{
    uint8_t in[2 * NONCE_LEN];
    memcpy(in, first, NONCE_LEN);
    memcpy(in + NONCE_LEN, second, NONCE_LEN);
    crypto_generichash(out, crypto_secretstream_xchacha20poly1305_KEYBYTES, in, sizeof in, s->key,
                       SEALINK_KEY_LEN);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct sealink *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    uint8_t key[crypto_secretstream_xchacha20poly1305_KEYBYTES], hdr[HDR_LEN];
    if (!s->got_nonce) {
        if (evbuffer_get_length(in) < NONCE_LEN)
            return;
        evbuffer_remove(in, s->peer_nonce, NONCE_LEN);
        s->got_nonce = 1;
        derive(s, key, s->nonce, s->peer_nonce);
        crypto_secretstream_xchacha20poly1305_init_push(&s->tx, hdr, key);
        sodium_memzero(key, sizeof key);
        bufferevent_write(bev, hdr, sizeof hdr);
        if (s->cb->keyed)
            s->cb->keyed(s->arg);
    }
    if (!s->got_header) {
        if (evbuffer_get_length(in) < HDR_LEN)
            return;
        evbuffer_remove(in, hdr, HDR_LEN);
        derive(s, key, s->peer_nonce, s->nonce);
        int bad = crypto_secretstream_xchacha20poly1305_init_pull(&s->rx, hdr, key);
        sodium_memzero(key, sizeof key);
        if (bad)
            goto drop;
        s->got_header = 1;
    }
    for (;;) {
        uint8_t h[4], c[SEALINK_CHUNK + ABYTES], m[SEALINK_CHUNK];
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
        if (crypto_secretstream_xchacha20poly1305_pull(&s->rx, m, &mlen, &tag, c, clen, NULL, 0))
            goto drop;
        /* The owner dropped it (and may have freed it), or closes it: stop here. */
        if (s->cb->frame(s->arg, m, mlen)) {
            s->cb->closed(s->arg);
            return;
        }
        if (s->closing)
            return;
    }
drop:
    nsd_log("%s: dropping a connection that failed authentication", s->what);
    s->cb->closed(s->arg);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct sealink *s = arg;
    if (s->closing)
        sealink_free(s);
}

/* The streams are small request/answer exchanges: Nagle's wait for an ACK
 * (delayed by the peer) would cost tens of ms each. */
static void nodelay(struct bufferevent *bev)
{
    int one = 1;
    setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct sealink *s = arg;
    if (s->closing) {
        sealink_free(s);
        return;
    }
    if (what & BEV_EVENT_CONNECTED) {
        nodelay(bev);
        bufferevent_write(bev, s->nonce, NONCE_LEN);
        return;
    }
    s->cb->closed(s->arg);   /* EOF, error or a time limit: both sides go */
}

struct sealink *sealink_new(struct event_base *base, int fd, const uint8_t key[SEALINK_KEY_LEN],
                            const struct sealink_cb *cb, void *arg, const char *what)
{
    struct sealink *s = calloc(1, sizeof *s);
    if (!s)
        abort();
    memcpy(s->key, key, SEALINK_KEY_LEN);
    s->cb = cb;
    s->arg = arg;
    s->what = what;
    randombytes_buf(s->nonce, sizeof s->nonce);
    s->net = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!s->net)
        abort();
    struct timeval hs = { HANDSHAKE_S, 0 };
    bufferevent_setcb(s->net, read_cb, write_cb, event_cb, s);
    bufferevent_set_timeouts(s->net, &hs, &hs);
    bufferevent_enable(s->net, EV_READ | EV_WRITE);
    if (fd >= 0) {
        nodelay(s->net);
        bufferevent_write(s->net, s->nonce, NONCE_LEN);
    }
    return s;
}

int sealink_connect(struct sealink *s, const struct sockaddr *sa, int len)
{
    return bufferevent_socket_connect(s->net, (struct sockaddr *)sa, len);
}

void sealink_opened(struct sealink *s, int idle_s)
{
    struct timeval t = { idle_s, 0 };
    bufferevent_set_timeouts(s->net, idle_s ? &t : NULL, idle_s ? &t : NULL);
}

size_t sealink_pending(const struct sealink *s)
{
    return evbuffer_get_length(bufferevent_get_output(s->net));
}

void sealink_free(struct sealink *s)
{
    if (!s)
        return;
    bufferevent_free(s->net);
    sodium_memzero(s, sizeof *s);
    free(s);
}

static void free_later_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    sealink_free(arg);
}

/* Never at once: it may be called from within the link's own callbacks. */
void sealink_free_flushed(struct sealink *s)
{
    if (!s)
        return;
    s->closing = 1;
    bufferevent_disable(s->net, EV_READ);
    if (!sealink_pending(s) && event_base_once(bufferevent_get_base(s->net), -1, EV_TIMEOUT, free_later_cb, s, NULL))
        sealink_free(s);
}

int sealink_read_key(const char *path, uint8_t key[SEALINK_KEY_LEN])
{
    char hex[2 * SEALINK_KEY_LEN + 2] = "";
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(hex, 1, sizeof hex - 1, f) : 0;
    if (f)
        fclose(f);
    while (n && (hex[n - 1] == '\n' || hex[n - 1] == ' '))
        hex[--n] = 0;
    if (!f || nsd_unhex(key, SEALINK_KEY_LEN, hex)) {
        nsd_log("--cluster-key %s: %s", path,
                f ? "want 64 hex digits (e.g. `head -c32 /dev/urandom | od -An -tx1 | tr -d ' \\n'`)"
                  : strerror(errno));
        sodium_memzero(hex, sizeof hex);
        return -1;
    }
    sodium_memzero(hex, sizeof hex);
    return 0;
}
