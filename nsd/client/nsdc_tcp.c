/* The TCP transport of the glibc adapter, in its own object so that a static
 * program that only needs the unix socket (the launcher) links no resolver.
 * It also knows the nodes of a raft group: a list tried in turn, and the
 * leader a Redirect names. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include "nsdc_posix.h"

/* connect(2) that gives up after NSDC_CONNECT_TIMEOUT_MS. */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int r = connect(fd, sa, len);
    if (r && errno == EINPROGRESS) {
        struct pollfd pfd = { fd, POLLOUT, 0 };
        int err = 0;
        socklen_t el = sizeof err;
        r = poll(&pfd, 1, NSDC_CONNECT_TIMEOUT_MS);
        if (r == 0)
            errno = ETIMEDOUT;
        else if (r > 0 && !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el))
            errno = err;
        r = r > 0 && !err ? 0 : -1;
    }
    fcntl(fd, F_SETFL, fl);
    return r;
}

static int connect_tcp(struct nsdc_posix *p, const char *host, const char *port)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (getaddrinfo(host, port, &hints, &ai))
        return -EHOSTUNREACH;
    int err = -ECONNREFUSED;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (!connect_timeout(fd, a->ai_addr, a->ai_addrlen)) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            nsdc_posix_timeouts(fd);
            p->fd = fd;
            err = 0;
            break;
        }
        err = -errno;
        close(fd);
    }
    freeaddrinfo(ai);
    return err;
}

/* The address to try now: the leader a Redirect named, else the next one
 * of the list. */
static void pick(struct nsdc_posix *p)
{
    if (p->redirect[0]) {
        snprintf(p->addr, sizeof p->addr, "%s", p->redirect);
        p->redirect[0] = 0;
        return;
    }
    const char *s = p->list + p->next, *comma = strchr(s, ',');
    size_t n = comma ? (size_t)(comma - s) : strlen(s);
    snprintf(p->addr, sizeof p->addr, "%.*s", (int)n, s);
    p->next = comma ? (size_t)(comma + 1 - p->list) : 0;
}

static int px_connect(void *ctx)
{
    struct nsdc_posix *p = ctx;
    char host[200], port[16];
    pick(p);
    int tcp = nsd_parse_tcp(p->addr, host, sizeof host, port, sizeof port);
    if (tcp < 0)
        return -EINVAL;
    return tcp ? connect_tcp(p, host, port) : nsdc_posix_connect_unix(p);
}

/* The leader's unix socket if it runs on this host, else its TCP address. */
static void px_redirect(void *ctx, const Nsd__Redirect *r)
{
    struct nsdc_posix *p = ctx;
    char me[64] = "";
    gethostname(me, sizeof me - 1);
    if (r->unix_path[0] && !strcmp(r->host, me))
        snprintf(p->redirect, sizeof p->redirect, "%s", r->unix_path);
    else if (r->tcp[0])
        snprintf(p->redirect, sizeof p->redirect, "tcp:%s", r->tcp);
}

int nsdc_posix_init(struct nsdc_posix *p, const char *addr)
{
    char def[256];
    if (nsdc_posix_init_unix(p, addr))
        return -1;
    snprintf(p->list, sizeof p->list, "%s", addr ? addr : nsd_default_socket(def, sizeof def));
    p->ops.connect = px_connect;
    p->ops.redirect = px_redirect;
    return 0;
}
