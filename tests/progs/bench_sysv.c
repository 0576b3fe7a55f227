/* System V IPC costs, each the median of many single operations:
 *   sysv_msg_roundtrip   a message to another process and its reply
 *   sysv_sem_pingpong    a semaphore post to another process and its post back
 *   sysv_shm_attach_detach  shmat + shmdt of an existing 64 KiB segment
 * Prints "NAME_us: X" lines for libos_bench.sh; IPC_PRIVATE objects only,
 * removed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "bench_util.h"

struct m {
    long type;
    char text[8];
};

static void msg_roundtrip(int n)
{
    int q = msgget(IPC_PRIVATE, 0600);
    double *t = malloc(n * sizeof(*t));
    pid_t p = fork();
    if (p == 0) {
        struct m m;
        for (int i = 0; i < n; i++) {
            msgrcv(q, &m, sizeof(m.text), 1, 0);
            m.type = 2;
            msgsnd(q, &m, sizeof(m.text), 0);
        }
        _exit(0);
    }
    struct m m = { 1, "ping" };
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        m.type = 1;
        msgsnd(q, &m, sizeof(m.text), 0);
        msgrcv(q, &m, sizeof(m.text), 2, 0);
        t[i] = now_us() - t0;
    }
    waitpid(p, NULL, 0);
    report("sysv_msg_roundtrip", t, n);
    msgctl(q, IPC_RMID, NULL);
    free(t);
}

static void sem_op(int s, unsigned short num, short op)
{
    struct sembuf b = { num, op, 0 };
    semop(s, &b, 1);
}

static void sem_pingpong(int n)
{
    int s = semget(IPC_PRIVATE, 2, 0600);
    double *t = malloc(n * sizeof(*t));
    pid_t p = fork();
    if (p == 0) {
        for (int i = 0; i < n; i++) {
            sem_op(s, 0, -1);
            sem_op(s, 1, 1);
        }
        _exit(0);
    }
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        sem_op(s, 0, 1);
        sem_op(s, 1, -1);
        t[i] = now_us() - t0;
    }
    waitpid(p, NULL, 0);
    report("sysv_sem_pingpong", t, n);
    semctl(s, 0, IPC_RMID);
    free(t);
}

static void shm_attach_detach(int n)
{
    int id = shmget(IPC_PRIVATE, 65536, 0600);
    double *t = malloc(n * sizeof(*t));
    for (int i = 0; i < n; i++) {
        double t0 = now_us();
        void *a = shmat(id, NULL, 0);
        shmdt(a);
        t[i] = now_us() - t0;
    }
    report("sysv_shm_attach_detach", t, n);
    shmctl(id, IPC_RMID, NULL);
    free(t);
}

int main(void)
{
    msg_roundtrip(5000);
    sem_pingpong(5000);
    shm_attach_detach(5000);
    return 0;
}
