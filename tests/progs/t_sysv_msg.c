/* System V message queues: every flag of msgget/msgsnd/msgrcv/msgctl, and
 * queues shared by processes (ping-pong, many writers and one reader, a
 * removal under a blocked reader, signals during a blocked receive, a
 * queue that outlives its creator). Run natively inside `unshare --ipc`
 * (fresh ids from 0) and under graphene (a fresh sandbox). */
#include <sys/ipc.h>
#include <grp.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include "sysv_util.h"

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

struct m {
    long type;
    char text[256];
};

static int snd(int q, long type, const char *s, int flg)
{
    struct m m = { .type = type };
    size_t n = strlen(s);
    memcpy(m.text, s, n);
    return msgsnd(q, &m, n, flg);
}

/* Receives and prints one message (type and text). */
static void rcv(const char *what, int q, size_t sz, long type, int flg)
{
    struct m m;
    memset(&m, 0, sizeof(m));
    errno = 0;
    ssize_t n = msgrcv(q, &m, sz, type, flg);
    if (n < 0)
        printf("%s = -1 %s\n", what, errname(errno));
    else
        printf("%s = %zd type %ld '%.*s'\n", what, n, m.type, (int)n, m.text);
    fflush(stdout);
}

static void flags_and_types(void)
{
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    SHOW("msgget private", q);
    int q2 = msgget(IPC_PRIVATE, 0600);
    SHOW("msgget private again (a new queue)", q2);
    int k = msgget(0x5157, IPC_CREAT | 0640);
    SHOW("msgget key create", k);
    SHOW("msgget key again", msgget(0x5157, 0) == k);
    SHOW("msgget key IPC_EXCL", msgget(0x5157, IPC_CREAT | IPC_EXCL | 0600));
    SHOW("msgget unknown key", msgget(0x5158, 0600));
    SHOW("msgsnd type 0", snd(q, 0, "x", 0));
    SHOW("msgsnd size > msgmax", msgsnd(q, &(struct m){ 1, "" }, 8193, 0));
    SHOW("msgsnd bad id", snd(12345, 1, "x", 0));
    SHOW("msgsnd bad buffer", msgsnd(q, (void *)-4096L, 4, 0));
    SHOW("msgrcv negative size", msgrcv(q, &(struct m){ 0 }, (size_t)-1, 0, 0));
    SHOW("msgrcv MSG_COPY without IPC_NOWAIT", msgrcv(q, &(struct m){ 0 }, 8, 0, MSG_COPY));
    const long types[] = { 3, 1, 2, 1, 5, 4 };
    const char *texts[] = { "three", "one-a", "two", "one-b", "five", "four" };
    for (int i = 0; i < 6; i++)
        snd(q, types[i], texts[i], 0);
    struct msqid_ds ds;
    SHOW("IPC_STAT", msgctl(q, IPC_STAT, &ds));
    printf("qnum %lu cbytes %lu qbytes %lu lspid-is-me %d lrpid %d mode %o key %d\n",
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes,
           ds.msg_lspid == getpid(), ds.msg_lrpid, ds.msg_perm.mode, ds.msg_perm.__key);
    printf("uid-is-me %d cuid-is-me %d stime set %d rtime %ld\n", ds.msg_perm.uid == getuid(),
           ds.msg_perm.cuid == getuid(), ds.msg_stime > 0, (long)ds.msg_rtime);
    rcv("MSG_COPY 2", q, 256, 2, MSG_COPY | IPC_NOWAIT);
    rcv("MSG_COPY 9", q, 256, 9, MSG_COPY | IPC_NOWAIT);
    rcv("type 1", q, 256, 1, 0);
    rcv("type -2", q, 256, -2, 0);
    rcv("E2BIG", q, 2, 5, 0);
    rcv("MSG_NOERROR", q, 2, 5, MSG_NOERROR);
    rcv("MSG_EXCEPT 3", q, 256, 3, MSG_EXCEPT);
    rcv("type 0", q, 256, 0, 0);
    rcv("type -10", q, 256, -10, 0);
    rcv("empty IPC_NOWAIT", q, 256, 0, IPC_NOWAIT);
    rcv("type 7 IPC_NOWAIT", q, 256, 7, IPC_NOWAIT);
    SHOW("IPC_STAT", msgctl(q, IPC_STAT, &ds));
    printf("qnum %lu cbytes %lu lrpid-is-me %d rtime set %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, ds.msg_lrpid == getpid(), ds.msg_rtime > 0);
    /* msg_qbytes: a full queue blocks (EAGAIN with IPC_NOWAIT) */
    ds.msg_qbytes = 40;
    ds.msg_perm.mode = 0604;
    SHOW("IPC_SET qbytes 40 mode 604", msgctl(q, IPC_SET, &ds));
    int sent = 0;
    while (snd(q, 1, "0123456789", IPC_NOWAIT) == 0)
        sent++;
    printf("sent %d then %s\n", sent, errname(errno));
    SHOW("IPC_STAT", msgctl(q, IPC_STAT, &ds));
    printf("qnum %lu cbytes %lu qbytes %lu mode %o\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_perm.mode);
    /* zero-length messages count against qbytes too */
    ds.msg_qbytes = 3;
    msgctl(q, IPC_SET, &ds);
    while (msgrcv(q, &(struct m){ 0 }, 256, 0, IPC_NOWAIT) >= 0)
        ;
    sent = 0;
    while (snd(q, 1, "", IPC_NOWAIT) == 0)
        sent++;
    printf("empty messages sent %d then %s\n", sent, errname(errno));
    struct msginfo mi;
    int maxidx = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    printf("IPC_INFO = %d msgmax %d msgmnb %d msgmni %d msgssz %d msgseg %d msgpool %d msgmap %d msgtql %d\n",
           maxidx, mi.msgmax, mi.msgmnb, mi.msgmni, mi.msgssz, mi.msgseg, mi.msgpool, mi.msgmap, mi.msgtql);
    maxidx = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
    printf("MSG_INFO = %d queues %d messages %d bytes %d\n", maxidx, mi.msgpool, mi.msgmap, mi.msgtql);
    SHOW("MSG_STAT index of k", msgctl(k % 32768, MSG_STAT, &ds) == k);
    SHOW("MSG_STAT_ANY index of k", msgctl(k % 32768, MSG_STAT_ANY, &ds) == k);
    SHOW("MSG_STAT unused index", msgctl(100, MSG_STAT, &ds));
    SHOW("msgctl bad cmd", msgctl(q, 99, &ds));
    SHOW("IPC_RMID", msgctl(q, IPC_RMID, NULL));
    SHOW("IPC_RMID again", msgctl(q, IPC_RMID, NULL));
    SHOW("msgsnd removed", snd(q, 1, "x", 0));
    SHOW("IPC_RMID key", msgctl(k, IPC_RMID, NULL));
    msgctl(q2, IPC_RMID, NULL);
    int k2 = msgget(0x5157, IPC_CREAT | 0600);
    printf("same key after removal: new id %d, differs %d\n", k2, k2 != k);
    msgctl(k2, IPC_RMID, NULL);
    /* Linux's ids: seq * 32768 + index, the index cycling */
    for (int i = 0; i < 3; i++) {
        int id = msgget(IPC_PRIVATE, 0600);
        printf("id %d\n", id);
        msgctl(id, IPC_RMID, NULL);
    }
}

static void ping_pong(void)
{
    int q = msgget(IPC_PRIVATE, 0600);
    enum { N = 2000 };
    pid_t pid = fork();
    if (pid == 0) {
        struct m m;
        for (int i = 0; i < N; i++) {
            if (msgrcv(q, &m, sizeof(m.text), 1, 0) < 0)
                _exit(1);
            m.type = 2;
            if (msgsnd(q, &m, sizeof(int), 0) < 0)
                _exit(1);
        }
        _exit(0);
    }
    long sum = 0;
    struct m m;
    for (int i = 0; i < N; i++) {
        m.type = 1;
        memcpy(m.text, &i, sizeof(i));
        msgsnd(q, &m, sizeof(int), 0);
        msgrcv(q, &m, sizeof(m.text), 2, 0);
        int v;
        memcpy(&v, m.text, sizeof(v));
        sum += v;
    }
    printf("ping-pong %d round trips, sum %ld\n", N, sum);
    show_wait("ping-pong child", pid);
    msgctl(q, IPC_RMID, NULL);
}

static void many_writers(void)
{
    int q = msgget(IPC_PRIVATE, 0600);
    enum { W = 4, N = 300 };
    pid_t pids[W];
    for (int w = 0; w < W; w++) {
        pids[w] = fork();
        if (pids[w] == 0) {
            struct m m = { .type = w + 1 };
            for (int i = 0; i < N; i++) {
                memcpy(m.text, &i, sizeof(i));
                if (msgsnd(q, &m, sizeof(int), 0) < 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    int next[W] = { 0 }, bad = 0;
    struct m m;
    for (int i = 0; i < W * N; i++) {
        if (msgrcv(q, &m, sizeof(m.text), 0, 0) != sizeof(int)) {
            bad++;
            continue;
        }
        int v;
        memcpy(&v, m.text, sizeof(v));
        if (m.type < 1 || m.type > W || v != next[m.type - 1]++)
            bad++;
    }
    printf("many writers: %d messages, out of order %d\n", W * N, bad);
    for (int w = 0; w < W; w++)
        show_wait("writer", pids[w]);
    msgctl(q, IPC_RMID, NULL);
}

static void on_sig(int sig) { (void)sig; }

static void blocked_reader(void)
{
    int q = msgget(IPC_PRIVATE, 0600);
    pid_t pid = fork();
    if (pid == 0) {
        about_to_block();
        rcv("child: blocked msgrcv, queue removed", q, 256, 0, 0);
        _exit(0);
    }
    wait_blocked(pid);
    int rm = msgctl(q, IPC_RMID, NULL);
    show_wait("blocked reader", pid);
    SHOW("IPC_RMID under a blocked reader", rm);

    /* a handler interrupts: EINTR, with or without SA_RESTART */
    for (int restart = 0; restart < 2; restart++) {
        q = msgget(IPC_PRIVATE, 0600);
        pid = fork();
        if (pid == 0) {
            struct sigaction sa = { .sa_handler = on_sig, .sa_flags = restart ? SA_RESTART : 0 };
            sigaction(SIGUSR1, &sa, NULL);
            about_to_block();
            rcv(restart ? "child: msgrcv, handler with SA_RESTART" : "child: msgrcv, handler", q, 256, 0, 0);
            _exit(0);
        }
        wait_blocked(pid);
        kill(pid, SIGUSR1);
        show_wait("interrupted reader", pid);
        msgctl(q, IPC_RMID, NULL);
    }

    /* a stop and continue without a handler: the receive goes on */
    q = msgget(IPC_PRIVATE, 0600);
    pid = fork();
    if (pid == 0) {
        about_to_block();
        rcv("child: msgrcv across SIGSTOP/SIGCONT", q, 256, 0, 0);
        _exit(0);
    }
    wait_blocked(pid);
    kill(pid, SIGSTOP);
    int st;
    waitpid(pid, &st, WUNTRACED);
    printf("stopped %d\n", WIFSTOPPED(st));
    kill(pid, SIGCONT);
    snd(q, 9, "after-continue", 0);
    show_wait("continued reader", pid);

    /* a blocked sender woken by a receive */
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 8;
    msgctl(q, IPC_SET, &ds);
    snd(q, 1, "12345678", 0);
    pid = fork();
    if (pid == 0) {
        about_to_block();
        SHOW("child: blocked msgsnd", snd(q, 2, "abc", 0));
        _exit(0);
    }
    wait_blocked(pid);
    struct m m;
    ssize_t n = msgrcv(q, &m, sizeof(m.text), 1, 0);
    show_wait("blocked sender", pid);
    printf("parent: receive frees room = %zd '%.*s'\n", n, (int)n, m.text);
    rcv("parent: the blocked send arrived", q, 256, 0, 0);
    msgctl(q, IPC_RMID, NULL);
}

/* The creator fills the queue and exits; a later process reads it all. */
static void outlives_creator(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int q = msgget(0x0ff1ce, IPC_CREAT | 0600);
        for (int i = 0; i < 10; i++)
            snd(q, i + 1, "left behind", 0);
        _exit(0);
    }
    show_wait("creator", pid);
    int q = msgget(0x0ff1ce, 0);
    int n = 0;
    while (msgrcv(q, &(struct m){ 0 }, 256, 0, IPC_NOWAIT) > 0)
        n++;
    printf("messages left by the exited creator: %d\n", n);
    msgctl(q, IPC_RMID, NULL);
}

/* Permissions, from a child that dropped root: the object's mode against
 * the caller's class (owner, group, other), and owner-only controls. */
static void perms(void)
{
    int q = msgget(IPC_PRIVATE, 0640), k = msgget(0x7e42, IPC_CREAT | 0644);
    int s = semget(IPC_PRIVATE, 1, 0600), m = shmget(IPC_PRIVATE, 4096, 0604);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgroups(0, NULL) || setgid(65534) || setuid(65534)) {
            printf("FATAL cannot drop root\n");
            _exit(1);
        }
        struct msqid_ds ds;
        SHOW("other: msgsnd to 0640", snd(q, 1, "x", IPC_NOWAIT));
        SHOW("other: msgrcv from 0640", msgrcv(q, &(struct m){ 0 }, 8, 0, IPC_NOWAIT));
        SHOW("other: IPC_STAT of 0640", msgctl(q, IPC_STAT, &ds));
        SHOW("other: IPC_RMID of root's queue", msgctl(q, IPC_RMID, NULL));
        SHOW("other: msgget of 0644 asking rw", msgget(0x7e42, 0600));
        SHOW("other: msgget of 0644 asking r", msgget(0x7e42, 0400) == k);
        SHOW("other: msgget of 0644 asking nothing", msgget(0x7e42, 0) == k);
        SHOW("other: IPC_STAT of 0644", msgctl(k, IPC_STAT, &ds));
        SHOW("other: msgsnd to 0644", snd(k, 1, "x", IPC_NOWAIT));
        SHOW("other: IPC_SET of root's queue", msgctl(k, IPC_SET, &ds));
        SHOW("other: semop on 0600", semop(s, &(struct sembuf){ 0, 1, 0 }, 1));
        SHOW("other: GETVAL of 0600", semctl(s, 0, GETVAL));
        void *ro = shmat(m, NULL, SHM_RDONLY), *rw = shmat(m, NULL, 0);
        printf("other: shmat of 0604 read-only %s, read-write %s\n", ro == (void *)-1 ? "fails" : "works",
               rw == (void *)-1 ? errname(errno) : "works");
        int own = msgget(IPC_PRIVATE, 0600);
        struct msqid_ds od;
        msgctl(own, IPC_STAT, &od);
        printf("other's own queue: uid %u gid %u cuid %u\n", od.msg_perm.uid, od.msg_perm.gid, od.msg_perm.cuid);
        SHOW("other: IPC_RMID of its own queue", msgctl(own, IPC_RMID, NULL));
        _exit(0);
    }
    show_wait("unprivileged child", pid);
    msgctl(q, IPC_RMID, NULL);
    msgctl(k, IPC_RMID, NULL);
    semctl(s, 0, IPC_RMID);
    shmctl(m, IPC_RMID, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sysv_test_init();
    flags_and_types();
    ping_pong();
    many_writers();
    blocked_reader();
    outlives_creator();
    perms();
    return 0;
}
