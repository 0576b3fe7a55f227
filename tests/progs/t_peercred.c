/* Unix socket credentials (issues 6 and 9): SO_PEERCRED of a socketpair
 * and of a named listener connected to by a child that changed uid, and
 * SCM_CREDENTIALS with SO_PASSCRED, the kernel's and explicit ones, with
 * the EPERM and EINVAL cases of a non-root sender, SO_PEERPIDFD, and a
 * socket's owner for SIGIO (F_SETOWN, F_GETOWN, F_GETOWN_EX). Runs as
 * root; prints pids only as relations (the peer is the parent, the child,
 * itself).
 *   t_peercred               the differential part
 *   t_peercred connect PATH  prints the SO_PEERCRED of a listener at PATH
 *                            and SO_PEERPIDFD's errno
 *   t_peercred passpidfd     SO_PASSPIDFD (not native: refused inside) */
#include "testutil.h"
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

static struct ucred peer(int fd)
{
    struct ucred u = { -1, (uid_t)-1, (gid_t)-1 };
    socklen_t len = sizeof(u);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len) < 0 || len != sizeof(u))
        u.pid = -2;
    return u;
}

/* SO_PEERPIDFD: the pidfd, or -errno. */
static int peer_pidfd(int fd)
{
    int pfd = -1;
    socklen_t len = sizeof(pfd);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pfd, &len) < 0)
        return -errno;
    return len == sizeof(pfd) ? pfd : -EINVAL;
}

/* One byte, with the ucred given (NULL: none). 0 or the errno. */
static int send_cred(int fd, char b, const struct ucred *u)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = { &b, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (u) {
        m.msg_control = ctl.buf;
        m.msg_controllen = sizeof(ctl.buf);
        ctl.h.cmsg_level = SOL_SOCKET;
        ctl.h.cmsg_type = SCM_CREDENTIALS;
        ctl.h.cmsg_len = CMSG_LEN(sizeof(*u));
        memcpy(CMSG_DATA(&ctl.h), u, sizeof(*u));
    }
    return sendmsg(fd, &m, 0) == 1 ? 0 : errno;
}

/* One byte and its credentials; pid -2 when none came. */
static struct ucred recv_cred(int fd)
{
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    char b;
    struct iovec iov = { &b, 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    struct ucred u = { -2, (uid_t)-1, (gid_t)-1 };
    if (recvmsg(fd, &m, 0) != 1)
        return u;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS)
        memcpy(&u, CMSG_DATA(cm), sizeof(u));
    return u;
}

static void socketpair_part(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        DIE("socketpair");
    struct ucred u = peer(sv[0]);
    /* both ends carry their creator's credentials */
    CHECK(u.pid == getpid(), "socketpair: the peer is the creator itself");
    printf("socketpair: uid %u gid %u\n", u.uid, u.gid);
    int on = 1;
    if (setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
        DIE("SO_PASSCRED");
    struct ucred mine = { getpid(), 0, 0 };
    CHECK(send_cred(sv[1], 'x', &mine) == 0, "root sends its own ucred");
    u = recv_cred(sv[0]);
    CHECK(u.pid == getpid(), "received: the pid is the sender's");
    printf("received: uid %u gid %u\n", u.uid, u.gid);
    fflush(stdout);
    pid_t ch = fork();
    if (ch < 0)
        DIE("fork");
    if (ch == 0) {
        u = peer(sv[1]);
        CHECK(u.pid == getppid(), "child: the peer of its end is the parent, which made the pair");
        printf("child: uid %u gid %u\n", u.uid, u.gid);
        int pfd = peer_pidfd(sv[1]);
        CHECK(pfd >= 0 && syscall(SYS_pidfd_send_signal, pfd, 0, NULL, 0) == 0,
              "child: SO_PEERPIDFD is a pidfd of the parent (signal 0 reaches it)");
        CHECK(send_cred(sv[1], 'c', NULL) == 0, "child sends without a ucred");
        _exit(tu_failures ? 1 : 0);
    }
    u = recv_cred(sv[0]);
    int st;
    waitpid(ch, &st, 0);
    CHECK(u.pid == ch, "the kernel's credentials of the child: its pid");
    printf("kernel's: uid %u gid %u; child exit %d\n", u.uid, u.gid, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(sv[0]);
    close(sv[1]);
}

static void child_connects(void)
{
    int e = setgroups(0, NULL) || setresgid(1234, 1234, 1234) || setresuid(4321, 4321, 4321);
    CHECK(!e, "child: now uid 4321 gid 1234");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "peer.sock" };
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
        DIE("connect");
    struct ucred u = peer(s);
    CHECK(u.pid == getppid(), "child: the listener is the parent");
    printf("child: listener uid %u gid %u\n", u.uid, u.gid);
    char b = 'a';
    if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1)
        DIE("handshake");
    /* the parent has SO_PASSCRED now */
    CHECK(send_cred(s, 'p', NULL) == 0, "child: sent without a ucred");
    struct ucred mine = { getpid(), 4321, 1234 };
    CHECK(send_cred(s, 'e', &mine) == 0, "child: sent its own ucred");
    struct ucred bad = mine;
    bad.pid = getppid();
    printf("child: another pid: %s\n", errname(send_cred(s, 'b', &bad)));
    bad = mine;
    bad.uid = 0;
    printf("child: uid 0: %s\n", errname(send_cred(s, 'b', &bad)));
    bad = mine;
    bad.gid = 0;
    printf("child: gid 0: %s\n", errname(send_cred(s, 'b', &bad)));
    bad = mine;
    bad.uid = (uid_t)-1;
    printf("child: uid -1: %s\n", errname(send_cred(s, 'b', &bad)));
    bad = mine;
    bad.pid = 0;
    printf("child: pid 0: %s\n", errname(send_cred(s, 'b', &bad)));
    if (read(s, &b, 1) != 1)
        DIE("final handshake");
    fflush(stdout);
    _exit(tu_failures ? 1 : 0);
}

static void listener_part(void)
{
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "peer.sock" };
    unlink(a.sun_path);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || chmod(a.sun_path, 0777) < 0 || listen(l, 1) < 0)
        DIE("listener");
    fflush(stdout);
    pid_t ch = fork();
    if (ch < 0)
        DIE("fork");
    if (ch == 0)
        child_connects();
    int s = accept(l, NULL, NULL);
    char b;
    if (s < 0 || read(s, &b, 1) != 1)
        DIE("accept");
    struct ucred got = peer(s);
    int pfd = peer_pidfd(s);
    int on = 1;
    if (setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0 || write(s, "g", 1) != 1)
        DIE("SO_PASSCRED");
    struct ucred plain = recv_cred(s), expl = recv_cred(s);
    if (write(s, "f", 1) != 1)
        DIE("final handshake");
    /* the child exits after the last byte: its pidfd becomes readable */
    struct pollfd pp = { pfd, POLLIN, 0 };
    CHECK(pfd >= 0 && poll(&pp, 1, -1) == 1 && (pp.revents & POLLIN), "accepted: SO_PEERPIDFD polls readable when the child exits");
    int st;
    waitpid(ch, &st, 0);
    CHECK(got.pid == ch, "accepted: the peer is the child");
    printf("accepted: uid %u gid %u\n", got.uid, got.gid);
    CHECK(plain.pid == ch, "kernel's credentials: the child's pid");
    printf("kernel's: uid %u gid %u\n", plain.uid, plain.gid);
    CHECK(expl.pid == ch, "explicit credentials: the child's pid");
    printf("explicit: uid %u gid %u\n", expl.uid, expl.gid);
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(s);
    close(l);
    unlink(a.sun_path);
}

static void owner_part(void)
{
    int sv[2], p[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(p) < 0)
        DIE("socketpair");
    sigset_t io, pend;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_BLOCK, &io, NULL);
    CHECK(fcntl(sv[0], F_SETOWN, getpid()) == 0 && fcntl(sv[0], F_GETOWN) == getpid(), "F_SETOWN/F_GETOWN itself");
    struct f_owner_ex ox;
    CHECK(fcntl(sv[0], F_GETOWN_EX, &ox) == 0 && ox.type == F_OWNER_PID && ox.pid == getpid(), "F_GETOWN_EX itself");
    /* the writer queues SIGIO to the owner before write returns */
    if (fcntl(sv[0], F_SETFL, O_ASYNC) < 0 || write(sv[1], "x", 1) != 1)
        DIE("O_ASYNC");
    bool got = sigpending(&pend) == 0 && sigismember(&pend, SIGIO);
    CHECK(got, "SIGIO is pending for the owner");
    int sig;
    if (got)
        sigwait(&io, &sig);
    fflush(stdout);
    pid_t ch = fork();
    if (ch < 0)
        DIE("fork");
    if (ch == 0) {
        char b;
        close(p[1]);
        _exit(read(p[0], &b, 1) == 0 ? 0 : 1);
    }
    close(p[0]);
    CHECK(fcntl(sv[0], F_SETOWN, ch) == 0 && fcntl(sv[0], F_GETOWN) == ch, "F_SETOWN/F_GETOWN a child");
    errno = 0;
    printf("F_SETOWN of no process: %s\n", fcntl(sv[0], F_SETOWN, 4000000) < 0 ? errname(errno) : "ok");
    close(p[1]);
    int st;
    waitpid(ch, &st, 0);
    close(sv[0]);
    close(sv[1]);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "connect")) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un a = { .sun_family = AF_UNIX };
        strncpy(a.sun_path, argv[2], sizeof(a.sun_path) - 1);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
            DIE("connect %s", argv[2]);
        struct ucred u = peer(s);
        printf("peer pid %d uid %u gid %u\n", u.pid, u.uid, u.gid);
        int pfd = peer_pidfd(s);
        printf("SO_PEERPIDFD: %s\n", pfd < 0 ? errname(-pfd) : "a pidfd");
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "passpidfd")) {
        int sv[2], on = 1;
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            DIE("socketpair");
        int r = setsockopt(sv[0], SOL_SOCKET, SO_PASSPIDFD, &on, sizeof(on));
        printf("SO_PASSPIDFD: %s\n", r < 0 ? errname(errno) : "set");
        return 0;
    }
    socketpair_part();
    listener_part();
    owner_part();
    return tu_done();
}
