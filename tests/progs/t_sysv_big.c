/* Message queues beyond 64 KiB: msgmax and msgmnb written up to INT_MAX
 * (Linux's bound), messages of 1 and 2 MiB sent and received whole (by
 * type out of the middle, FIFO, MSG_NOERROR, MSG_COPY, E2BIG), a queue's
 * bytes bounded by msg_qbytes, 100000 empty messages bounded by their
 * count, msg_qbytes up to a msgmnb of INT_MAX (and as an int), and a writer of big messages
 * blocked for room by a reader in another process, and the send and
 * receive times against time() around them. Contents are checked
 * by checksum. Run as root in a new IPC namespace natively. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include "sysv_util.h"

#define MIB (1L << 20)

struct big {
    long type;
    unsigned char text[];
};

static void put(const char *f, const char *v)
{
    char path[64], what[96], buf[32];
    snprintf(path, sizeof path, "/proc/sys/kernel/%s", f);
    int fd = open(path, O_WRONLY);
    snprintf(what, sizeof what, "write %s [%s]", f, v);
    SHOW(what, write(fd, v, strlen(v)));
    close(fd);
    fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("  %s: %s", f, buf);
}

static void fill(struct big *m, long type, long size)
{
    m->type = type;
    for (long i = 0; i < size; i++)
        m->text[i] = (unsigned char)(i * 7 + type * 13 + (i >> 12));
}

static uint32_t sum(const unsigned char *p, long n)
{
    uint32_t s = 2166136261u; /* FNV-1a */
    for (long i = 0; i < n; i++)
        s = (s ^ p[i]) * 16777619u;
    return s;
}

static void stat_q(int q)
{
    struct msqid_ds ds;
    SHOW("IPC_STAT", msgctl(q, IPC_STAT, &ds));
    printf("  qnum %lu cbytes %lu qbytes %lu\n", (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes,
           (unsigned long)ds.msg_qbytes);
}

static void recv_one(int q, struct big *m, long size, long type, int flg)
{
    char what[64];
    snprintf(what, sizeof what, "msgrcv type %ld size %ld flags %o", type, size, flg);
    memset(m->text, 0, (size_t)size);
    errno = 0;
    long n = msgrcv(q, m, (size_t)size, type, flg);
    if (n < 0)
        printf("%s = -1 %s\n", what, errname(errno));
    else
        printf("%s = %ld: type %ld sum %08x\n", what, n, m->type, sum(m->text, n));
    fflush(stdout);
}

int main(void)
{
    sysv_test_init();
    put("msgmax", "2147483647");
    put("msgmnb", "2147483647");
    put("msgmax", "2147483648");
    put("msgmax", "2097152");
    put("msgmnb", "4194304");
    struct big *m = malloc(sizeof(*m) + 3 * MIB);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    stat_q(q);
    /* four of 1 MiB fill the 4 MiB queue; a fifth does not fit */
    for (long t = 1; t <= 4; t++) {
        fill(m, t, MIB);
        SHOW("msgsnd 1 MiB", msgsnd(q, m, MIB, IPC_NOWAIT));
    }
    SHOW("msgsnd 1 MiB to the full queue", msgsnd(q, m, MIB, IPC_NOWAIT));
    SHOW("msgsnd 1 byte to the full queue", msgsnd(q, m, 1, IPC_NOWAIT));
    SHOW("msgsnd above msgmax", msgsnd(q, m, 2 * MIB + 1, IPC_NOWAIT));
    stat_q(q);
    recv_one(q, m, MIB - 1, 3, IPC_NOWAIT);                /* E2BIG */
    recv_one(q, m, 1000, 3, IPC_NOWAIT | MSG_NOERROR);     /* cut: the rest is lost */
    recv_one(q, m, MIB, 1, IPC_NOWAIT | MSG_COPY);         /* the second, copied */
    recv_one(q, m, MIB, 2, IPC_NOWAIT);                    /* out of the middle */
    recv_one(q, m, MIB, 0, IPC_NOWAIT);
    fill(m, 5, 2 * MIB);
    SHOW("msgsnd 2 MiB", msgsnd(q, m, 2 * MIB, IPC_NOWAIT));
    stat_q(q);
    recv_one(q, m, 3 * MIB, 0, IPC_NOWAIT);
    recv_one(q, m, 3 * MIB, 0, IPC_NOWAIT);
    recv_one(q, m, 3 * MIB, 0, IPC_NOWAIT);

    /* empty messages: qbytes bounds their count too */
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 100000;
    SHOW("IPC_SET qbytes 100000", msgctl(q, IPC_SET, &ds));
    long sent = 0, got = 0;
    m->type = 9;
    while (msgsnd(q, m, 0, IPC_NOWAIT) == 0)
        sent++;
    printf("empty messages sent: %ld, then %s\n", sent, errname(errno));
    stat_q(q);
    while (msgrcv(q, m, 0, 0, IPC_NOWAIT) == 0)
        got++;
    printf("empty messages received: %ld, then %s\n", got, errname(errno));

    /* msg_qbytes up to msgmnb (above it needs CAP_SYS_RESOURCE, which
     * root in a container may lack); Linux takes it as an int */
    put("msgmnb", "2147483647");
    ds.msg_qbytes = 1L << 30;
    SHOW("IPC_SET qbytes 1 GiB", msgctl(q, IPC_SET, &ds));
    stat_q(q);
    ds.msg_qbytes = 8L << 30;
    SHOW("IPC_SET qbytes 8 GiB", msgctl(q, IPC_SET, &ds));
    stat_q(q);
    put("msgmnb", "4194304");
    ds.msg_qbytes = 4 * MIB;
    SHOW("IPC_SET qbytes 4 MiB", msgctl(q, IPC_SET, &ds));

    /* a writer of three 2 MiB messages waits for room for the third */
    pid_t p = fork();
    if (p == 0) {
        for (long t = 1; t <= 3; t++) {
            fill(m, t, 2 * MIB);
            if (t == 3)
                about_to_block();
            if (msgsnd(q, m, 2 * MIB, 0) < 0)
                _exit(1);
        }
        _exit(0);
    }
    wait_blocked(p);
    stat_q(q);
    for (int i = 0; i < 3; i++)
        recv_one(q, m, 2 * MIB, 0, 0);
    show_wait("writer", p);
    stat_q(q);
    /* the times are those of the calls, also across a second's end */
    long bad = 0;
    time_t start = time(NULL), t0, t1;
    m->type = 1;
    do {
        t0 = time(NULL);
        msgsnd(q, m, 8, 0);
        msgrcv(q, m, 8, 0, 0);
        msgctl(q, IPC_STAT, &ds);
        t1 = time(NULL);
        bad += ds.msg_stime < t0 || ds.msg_stime > t1 || ds.msg_rtime < t0 || ds.msg_rtime > t1;
    } while (t1 <= start + 1);
    printf("stime and rtime outside their calls' seconds: %ld times\n", bad);
    SHOW("IPC_RMID", msgctl(q, IPC_RMID, NULL));
    put("msgmax", "8192");
    put("msgmnb", "16384");
    return 0;
}
