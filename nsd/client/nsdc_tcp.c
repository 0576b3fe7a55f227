/* The TCP transport of the glibc adapter, in its own object so that a static
 * program that only needs the unix socket (the launcher) links no resolver. */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>
#include "nsdc_posix.h"

static int px_connect(void *ctx)
{
    struct nsdc_posix *p = ctx;
    char host[200], port[16];
    int tcp = nsd_parse_tcp(p->addr, host, sizeof host, port, sizeof port);
    if (tcp < 0)
        return -EINVAL;
    if (!tcp)
        return nsdc_posix_connect_unix(p);
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
    if (getaddrinfo(host, port, &hints, &ai))
        return -EHOSTUNREACH;
    int err = -ECONNREFUSED;
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        int fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        if (!connect(fd, a->ai_addr, a->ai_addrlen)) {
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
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

int nsdc_posix_init(struct nsdc_posix *p, const char *addr)
{
    if (nsdc_posix_init_unix(p, addr))
        return -1;
    p->ops.connect = px_connect;
    return 0;
}
