/* Pipes, poll, epoll, eventfd: readiness and EOF/EPIPE semantics, a 4 MiB
 * transfer between threads through a pipe, O_NONBLOCK, EFD_SEMAPHORE. */
#include "testutil.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define XFER (4u << 20)
static int xp[2];
static unsigned long long sent_hash;

static void *pipe_writer(void *arg)
{
    (void)arg;
    char *buf = malloc(XFER);
    for (size_t i = 0; i < XFER; i++)
        buf[i] = (char)(i * 7 + i / 4096);
    sent_hash = fnv1a(buf, XFER, FNV_INIT);
    /* Odd-sized writes so reads and writes never line up. */
    for (size_t off = 0; off < XFER;) {
        size_t chunk = XFER - off < 12345 ? XFER - off : 12345;
        ssize_t w = write(xp[1], buf + off, chunk);
        if (w <= 0)
            break;
        off += w;
    }
    close(xp[1]);
    free(buf);
    return NULL;
}

int main(void)
{
    int p[2];
    char buf[64];
    struct pollfd pfd;

    CHECK(pipe(p) == 0, "pipe");
    pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
    CHECK(poll(&pfd, 1, 0) == 0, "poll empty pipe: not readable");
    pfd = (struct pollfd){ .fd = p[1], .events = POLLOUT };
    CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT), "empty pipe writable");
    CHECK(write(p[1], "abc", 3) == 3, "write 3");
    pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
    CHECK(poll(&pfd, 1, 1000) == 1 && pfd.revents == POLLIN, "poll: POLLIN");
    int avail = -1;
    CHECK(ioctl(p[0], FIONREAD, &avail) == 0 && avail == 3, "FIONREAD = 3");
    CHECK(read(p[0], buf, sizeof(buf)) == 3 && !memcmp(buf, "abc", 3), "read returns what is there");
    close(p[1]);
    pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
    CHECK(poll(&pfd, 1, 1000) == 1 && (pfd.revents & POLLHUP), "writer closed: POLLHUP");
    CHECK(read(p[0], buf, sizeof(buf)) == 0, "read at EOF returns 0");
    close(p[0]);

    /* poll ignores a negative fd, however far below -1, and leaves it as
     * it was, also next to an fd past the hard limit (POLLNVAL). */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int past = (int)rl.rlim_max;
    struct pollfd two[2] = { { .fd = -past - 10, .events = POLLIN }, { .fd = past, .events = POLLIN } };
    CHECK(poll(two, 2, 0) == 1 && two[0].fd == -past - 10 && two[0].revents == 0 && two[1].fd == past &&
          two[1].revents == POLLNVAL, "poll: negative fd ignored, fd past the limit POLLNVAL");

    /* poll takes at most RLIMIT_NOFILE (soft) entries. */
    struct rlimit low = { 16, rl.rlim_max };
    struct pollfd many[17];
    for (int i = 0; i < 17; i++)
        many[i] = (struct pollfd){ .fd = -1 };
    CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0 && poll(many, 16, 0) == 0 && poll(many, 17, 0) == -1 &&
          errno == EINVAL && setrlimit(RLIMIT_NOFILE, &rl) == 0, "poll: nfds above RLIMIT_NOFILE is EINVAL");

    /* Writing to a pipe with no reader: SIGPIPE (ignored here) and EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    CHECK(pipe(p) == 0, "pipe");
    close(p[0]);
    CHECK(write(p[1], "x", 1) == -1 && errno == EPIPE, "write without reader: EPIPE");
    close(p[1]);

    /* Non-blocking pipe: EAGAIN when empty and when full. */
    CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0, "pipe2 O_NONBLOCK|O_CLOEXEC");
    CHECK(read(p[0], buf, 1) == -1 && errno == EAGAIN, "empty non-blocking read: EAGAIN");
    CHECK(fcntl(p[0], F_GETFD) == FD_CLOEXEC, "O_CLOEXEC set");
    size_t total = 0;
    static char chunk[4096];
    ssize_t w;
    while ((w = write(p[1], chunk, sizeof(chunk))) > 0)
        total += w;
    CHECK(w == -1 && errno == EAGAIN && total >= 4096, "full non-blocking pipe: EAGAIN");
    pfd = (struct pollfd){ .fd = p[1], .events = POLLOUT };
    CHECK(poll(&pfd, 1, 0) == 0, "full pipe not writable");
    close(p[0]);
    close(p[1]);

    /* Bulk transfer between threads. */
    CHECK(pipe(xp) == 0, "pipe for transfer");
    pthread_t t;
    pthread_create(&t, NULL, pipe_writer, NULL);
    char *rbuf = malloc(XFER + 1);
    size_t got = 0;
    ssize_t r;
    while ((r = read(xp[0], rbuf + got, XFER + 1 - got)) > 0)
        got += r;
    pthread_join(t, NULL);
    CHECK(got == XFER && fnv1a(rbuf, got, FNV_INIT) == sent_hash, "4 MiB through a pipe, checksum matches");
    printf("transfer checksum %016llx\n", sent_hash);
    close(xp[0]);
    free(rbuf);

    /* eventfd: counter semantics. */
    int efd = eventfd(0, EFD_NONBLOCK);
    uint64_t v = 5;
    CHECK(efd >= 0 && write(efd, &v, 8) == 8 && write(efd, &v, 8) == 8, "eventfd write 5 twice");
    CHECK(read(efd, &v, 8) == 8 && v == 10, "eventfd read sums to %llu", (unsigned long long)v);
    CHECK(read(efd, &v, 8) == -1 && errno == EAGAIN, "eventfd drained: EAGAIN");
    close(efd);
    efd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    int sem_ok = 1;
    for (int i = 0; i < 3; i++)
        sem_ok &= read(efd, &v, 8) == 8 && v == 1;
    CHECK(sem_ok && read(efd, &v, 8) == -1 && errno == EAGAIN, "EFD_SEMAPHORE: 3 reads of 1");

    /* epoll over a pipe and the eventfd. */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0, "epoll_create1");
    CHECK(pipe(p) == 0, "pipe");
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "EPOLL_CTL_ADD pipe");
    ev = (struct epoll_event){ .events = EPOLLIN, .data.u32 = 2 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0, "EPOLL_CTL_ADD eventfd");
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == -1 && errno == EEXIST, "double add: EEXIST");
    struct epoll_event out[4];
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "nothing ready");
    CHECK(write(p[1], "q", 1) == 1, "write to pipe");
    int nr = epoll_wait(ep, out, 4, 1000);
    CHECK(nr == 1 && out[0].data.u32 == 1 && (out[0].events & EPOLLIN), "epoll: pipe ready");
    v = 1;
    CHECK(write(efd, &v, 8) == 8, "eventfd signal");
    nr = epoll_wait(ep, out, 4, 1000);
    int mask = 0;
    for (int i = 0; i < nr; i++)
        mask |= 1 << out[i].data.u32;
    CHECK(nr == 2 && mask == 6, "epoll: both ready (level-triggered)");
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "EPOLL_CTL_DEL");
    nr = epoll_wait(ep, out, 4, 1000);
    CHECK(nr == 1 && out[0].data.u32 == 2, "only eventfd left");
    /* Edge-triggered: reported once per new event. */
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLET, .data.u32 = 3 };
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev) == 0, "EPOLL_CTL_MOD to EPOLLET");
    nr = epoll_wait(ep, out, 4, 0);
    int nr2 = epoll_wait(ep, out, 4, 0);
    CHECK(nr == 1 && nr2 == 0, "EPOLLET reports once (%d then %d)", nr, nr2);
    close(ep);
    close(efd);
    close(p[0]);
    close(p[1]);
    return tu_done();
}
