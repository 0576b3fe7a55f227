#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>
#include "nsdc_posix.h"

static void *px_alloc(void *d, size_t n) { (void)d; return malloc(n); }
static void px_free(void *d, void *p) { (void)d; free(p); }
static ProtobufCAllocator px_allocator = { px_alloc, px_free, NULL };

int nsd_parse_tcp(const char *addr, char *host, size_t hostlen, char *port, size_t portlen)
{
    if (strncmp(addr, "tcp:", 4))
        return 0;
    const char *h = addr + 4, *colon = strrchr(h, ':');
    if (!colon || colon == h || !colon[1] || (size_t)(colon - h) >= hostlen ||
        strlen(colon + 1) >= portlen)
        return -1;
    memcpy(host, h, colon - h);
    host[colon - h] = 0;
    strcpy(port, colon + 1);
    return 1;
}

void nsdc_posix_timeouts(const struct nsdc_posix *p, int fd)
{
    int ms = strchr(p->to.list, ',') ? NSDC_IO_TIMEOUT_MS : NSDC_IO_TIMEOUT_LONE_MS;
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int nsdc_posix_connect_unix(struct nsdc_posix *p)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(p->to.addr) >= sizeof sa.sun_path)
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, p->to.addr);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        int e = -errno;
        close(fd);
        return e;
    }
    nsdc_posix_timeouts(p, fd);
    p->fd = fd;
    return 0;
}

static int px_connect_unix(void *ctx)
{
    struct nsdc_posix *p = ctx;
    nsdc_addrs_pick(&p->to);
    return nsdc_posix_connect_unix(p);
}

static void px_redirect(void *ctx, const Nsd__Redirect *r)
{
    char me[64] = "";
    gethostname(me, sizeof me - 1);
    nsdc_addrs_redirect(&((struct nsdc_posix *)ctx)->to, r, me);
}

static void px_disconnect(void *ctx)
{
    struct nsdc_posix *p = ctx;
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}

static long px_read(void *ctx, void *buf, size_t n)
{
    long r = read(((struct nsdc_posix *)ctx)->fd, buf, n);
    return r < 0 ? -errno : r;
}

static long px_write(void *ctx, const void *buf, size_t n)
{
    long r = send(((struct nsdc_posix *)ctx)->fd, buf, n, MSG_NOSIGNAL);
    return r < 0 ? -errno : r;
}

static void px_mac(void *ctx, uint8_t *out, const uint8_t *msg, size_t len, const uint8_t *key)
{
    (void)ctx;
    crypto_auth(out, msg, len, key);
}

static void px_random(void *ctx, void *buf, size_t n)
{
    (void)ctx;
    randombytes_buf(buf, n);
}

static void px_sleep(void *ctx, unsigned ms)
{
    (void)ctx;
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static int64_t px_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* No sodium_init: crypto_auth (HMAC-SHA-512-256) and randombytes_buf
 * (getrandom) pick no implementation by the CPU, and the launcher, which
 * links this alone, would pay sodium_init's CPU feature probing at every
 * start (cpuid traps to the hypervisor on a VM, ~5 us each). */
void nsdc_posix_init_unix(struct nsdc_posix *p, const char *addr)
{
    _Static_assert(NSD_MAC_LEN == crypto_auth_BYTES && NSD_SECRET_LEN == crypto_auth_KEYBYTES,
                   "MAC sizes follow libsodium's crypto_auth");
    char def[256];
    memset(p, 0, sizeof *p);
    p->fd = -1;
    nsdc_addrs_init(&p->to, addr ? addr : nsd_default_socket(def, sizeof def));
    p->ops = (struct nsdc_ops){
        .ctx = p, .connect = px_connect_unix, .disconnect = px_disconnect,
        .read = px_read, .write = px_write, .mac = px_mac, .random = px_random,
        .sleep_ms = px_sleep, .now_ms = px_now, .alloc = &px_allocator, .redirect = px_redirect,
    };
}

const char *nsd_runtime_dir(char *buf, size_t n)
{
    const char *env = getenv("GRAPHENE_RUNTIME_DIR"), *xdg = getenv("XDG_RUNTIME_DIR");
    if (env && *env)
        snprintf(buf, n, "%s", env);
    else if (geteuid() == 0)
        snprintf(buf, n, "/run/graphene");
    else if (xdg && *xdg)
        snprintf(buf, n, "%s/graphene", xdg);
    else
        snprintf(buf, n, "/tmp/graphene-%u", (unsigned)geteuid());
    return buf;
}

const char *nsd_default_socket(char *buf, size_t n)
{
    const char *env = getenv("GRAPHENE_NSD");
    char dir[256];
    if (env && *env)
        snprintf(buf, n, "%s", env);
    else
        snprintf(buf, n, "%s/nsd.sock", nsd_runtime_dir(dir, sizeof dir));
    return buf;
}

const char *nsd_default_journal(char *buf, size_t n)
{
    char sock[256];
    nsd_default_socket(sock, sizeof sock);
    char *slash = strrchr(sock, '/');
    if (slash)
        slash[1] = 0;
    else
        sock[0] = 0;
    snprintf(buf, n, "%snsd.db", sock);
    return buf;
}

int nsd_make_parent_dir(const char *path)
{
    char d[256];
    snprintf(d, sizeof d, "%s", path);
    for (char *s = d + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(d, 0755) && errno != EEXIST)
            return -1;
        *s = '/';
    }
    return 0;
}

void nsd_hex(char *out, const unsigned char *in, size_t n)
{
    sodium_bin2hex(out, 2 * n + 1, in, n);
}

int nsd_unhex(unsigned char *out, size_t n, const char *in)
{
    size_t got = 0;
    if (sodium_hex2bin(out, n, in, strlen(in), NULL, &got, NULL) || got != n)
        return -1;
    return 0;
}
