/* The TCP transport of the glibc adapter, in its own object so that a static
 * program that only needs the unix socket (the launcher) links no resolver.
 * The list of nodes and the Redirects: nsdc_addrs (nsdc.c). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sodium.h>
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
            nsdc_posix_timeouts(p, fd);
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

static int px_connect(void *ctx)
{
    struct nsdc_posix *p = ctx;
    char host[200], port[16];
    nsdc_addrs_pick(&p->to);
    int tcp = nsd_parse_tcp(p->to.addr, host, sizeof host, port, sizeof port);
    if (tcp < 0)
        return -EINVAL;
    return tcp ? connect_tcp(p, host, port) : nsdc_posix_connect_unix(p);
}

int nsdc_posix_init(struct nsdc_posix *p, const char *addr)
{
    if (sodium_init() < 0)
        return -1;
    nsdc_posix_init_unix(p, addr);
    p->ops.connect = px_connect;
    return 0;
}
