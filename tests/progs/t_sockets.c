/* Sockets within one process: socketpair (stream and datagram), fd passing
 * with SCM_RIGHTS, a named AF_UNIX stream server in the cwd, and a loopback
 * TCP echo server on an ephemeral port with a client thread. */
#include "testutil.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define ECHO_BYTES (1u << 20)

static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return r < 0 ? r : (ssize_t)got;
        got += r;
    }
    return got;
}

/* Rewrites an SCM_RIGHTS slot back and forth while the main thread sends it. */
static volatile int *flip_slot;
static int flip_vals[2];
static volatile int flip_stop;

static void *flipper(void *arg)
{
    (void)arg;
    while (!flip_stop) {
        *flip_slot = flip_vals[0];
        *flip_slot = flip_vals[1];
    }
    return NULL;
}

/* Echo server: accept one connection, echo until EOF. */
static void *echo_server(void *arg)
{
    int ls = *(int *)arg;
    int c = accept(ls, NULL, NULL);
    if (c < 0)
        return (void *)1;
    char buf[8192];
    ssize_t r;
    while ((r = read(c, buf, sizeof(buf))) > 0) {
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(c, buf + off, r - off);
            if (w <= 0)
                return (void *)1;
            off += w;
        }
    }
    close(c);
    return NULL;
}

/* Client writes in one thread while the main thread reads back, so a full
 * socket buffer in either direction cannot deadlock. */
static int client_fd;
static char *client_data;
static void *client_writer(void *arg)
{
    (void)arg;
    for (size_t off = 0; off < ECHO_BYTES;) {
        ssize_t w = write(client_fd, client_data + off, ECHO_BYTES - off < 7000 ? ECHO_BYTES - off : 7000);
        if (w <= 0)
            return (void *)1;
        off += w;
    }
    shutdown(client_fd, SHUT_WR);
    return NULL;
}

static int echo_roundtrip(int fd)
{
    client_fd = fd;
    pthread_t w;
    pthread_create(&w, NULL, client_writer, NULL);
    char *back = malloc(ECHO_BYTES + 1);
    ssize_t got = read_full(fd, back, ECHO_BYTES + 1);
    void *wret;
    pthread_join(w, &wret);
    int ok = got == ECHO_BYTES && !memcmp(back, client_data, ECHO_BYTES) && wret == NULL;
    free(back);
    return ok;
}

int main(void)
{
    int sv[2];
    char buf[256];
    signal(SIGPIPE, SIG_IGN);
    client_data = malloc(ECHO_BYTES);
    for (size_t i = 0; i < ECHO_BYTES; i++)
        client_data[i] = (char)(i * 31 + (i >> 12));

    /* Stream socketpair: bidirectional, EOF after shutdown. */
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair stream");
    CHECK(write(sv[0], "ping", 4) == 4 && read(sv[1], buf, 4) == 4 && !memcmp(buf, "ping", 4), "a->b");
    CHECK(send(sv[1], "pong", 4, 0) == 4 && recv(sv[0], buf, 4, 0) == 4 && !memcmp(buf, "pong", 4), "b->a");
    CHECK(shutdown(sv[0], SHUT_WR) == 0 && read(sv[1], buf, 4) == 0, "shutdown gives EOF");
    int type = 0;
    socklen_t tl = sizeof(type);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM, "SO_TYPE stream");
    close(sv[1]);
    CHECK(write(sv[0], "x", 1) == -1 && errno == EPIPE, "write to closed peer: EPIPE");
    close(sv[0]);

    /* Datagram socketpair keeps message boundaries. */
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "socketpair dgram");
    send(sv[0], "one", 3, 0);
    send(sv[0], "three", 5, 0);
    ssize_t a = recv(sv[1], buf, sizeof(buf), 0), b = recv(sv[1], buf, sizeof(buf), 0);
    CHECK(a == 3 && b == 5, "datagram boundaries kept (%zd, %zd)", a, b);
    CHECK(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN, "empty: EAGAIN");
    close(sv[0]);
    close(sv[1]);

    /* SCM_RIGHTS: pass a pipe's read end across a socketpair. */
    int p[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0, "socketpair + pipe");
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof(cbuf));
    struct iovec iov = { .iov_base = "F", .iov_len = 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[0], sizeof(int));
    CHECK(sendmsg(sv[0], &mh, 0) == 1, "sendmsg with SCM_RIGHTS");
    char c;
    iov = (struct iovec){ .iov_base = &c, .iov_len = 1 };
    mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    int newfd = -1;
    if (recvmsg(sv[1], &mh, 0) == 1 && (cm = CMSG_FIRSTHDR(&mh)) && cm->cmsg_type == SCM_RIGHTS)
        memcpy(&newfd, CMSG_DATA(cm), sizeof(int));
    CHECK(newfd >= 0 && newfd != p[0], "received a new fd");
    CHECK(write(p[1], "via", 3) == 3 && read(newfd, buf, 3) == 3 && !memcmp(buf, "via", 3), "passed fd reads the pipe");
    close(newfd);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);

    /* SCM_RIGHTS while another thread swaps the fd for one past the app's
     * hard limit (where a libos keeps its own fds, say a mount's root): only
     * the app's pipe may ever arrive. */
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0 && pipe(p) == 0,
          "socketpair + pipe for the swap race");
    cm = CMSG_FIRSTHDR(&mh);
    flip_slot = (volatile int *)CMSG_DATA(cm);
    flip_vals[0] = p[0];
    flip_vals[1] = (int)rl.rlim_max;
    flip_stop = 0;
    pthread_t fl;
    pthread_create(&fl, NULL, flipper, NULL);
    int foreign = 0;
    for (int i = 0; i < 20000; i++) {
        iov = (struct iovec){ .iov_base = "F", .iov_len = 1 };
        mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        if (sendmsg(sv[0], &mh, 0) != 1)
            continue;
        char rbuf[CMSG_SPACE(sizeof(int))];
        iov = (struct iovec){ .iov_base = &c, .iov_len = 1 };
        mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = rbuf, .msg_controllen = sizeof(rbuf) };
        struct stat st;
        if (recvmsg(sv[1], &mh, 0) == 1 && (cm = CMSG_FIRSTHDR(&mh)) && cm->cmsg_type == SCM_RIGHTS) {
            memcpy(&newfd, CMSG_DATA(cm), sizeof(int));
            foreign += fstat(newfd, &st) != 0 || !S_ISFIFO(st.st_mode);
            close(newfd);
        }
    }
    flip_stop = 1;
    pthread_join(fl, NULL);
    CHECK(foreign == 0, "a swapped-in fd past the limit is never sent (%d were)", foreign);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);

    /* Named AF_UNIX stream socket in the cwd. */
    unlink("t_sock");
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    strcpy(un.sun_path, "t_sock");
    CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&un, sizeof(un)) == 0 && listen(ls, 4) == 0, "AF_UNIX bind+listen");
    pthread_t srv;
    pthread_create(&srv, NULL, echo_server, &ls);
    int cs = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(cs, (struct sockaddr *)&un, sizeof(un)) == 0, "AF_UNIX connect");
    CHECK(echo_roundtrip(cs), "AF_UNIX echo of 1 MiB");
    pthread_join(srv, NULL);
    close(cs);
    close(ls);
    CHECK(unlink("t_sock") == 0, "unlink socket file");

    /* TCP over loopback, ephemeral port. */
    ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t il = sizeof(in);
    CHECK(bind(ls, (struct sockaddr *)&in, sizeof(in)) == 0 && listen(ls, 4) == 0, "TCP bind+listen on 127.0.0.1:0");
    CHECK(getsockname(ls, (struct sockaddr *)&in, &il) == 0 && in.sin_port != 0, "getsockname gives a port");
    pthread_create(&srv, NULL, echo_server, &ls);
    cs = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(cs, (struct sockaddr *)&in, sizeof(in)) == 0, "TCP connect");
    CHECK(setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0, "TCP_NODELAY");
    struct sockaddr_in peer;
    socklen_t pl = sizeof(peer);
    CHECK(getpeername(cs, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_port == in.sin_port, "getpeername");
    CHECK(echo_roundtrip(cs), "TCP echo of 1 MiB");
    pthread_join(srv, NULL);
    close(cs);
    close(ls);

    /* Connecting to a closed port is refused. */
    cs = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(cs, (struct sockaddr *)&in, sizeof(in)) == -1 && errno == ECONNREFUSED, "closed port: ECONNREFUSED");
    close(cs);
    return tu_done();
}
