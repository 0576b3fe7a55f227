/* System V semaphores: semget/semop/semtimedop/semctl and their errors,
 * atomic multi-operation semops, waiters counted by GETNCNT/GETZCNT,
 * SEM_UNDO at exit, after SIGKILL and after a crash, a removal under a
 * blocked semop, and a mutex shared by 4 processes guarding a counter in
 * System V shared memory. */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <pthread.h>
#include <sched.h>
#include "sysv_util.h"

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int op(int id, unsigned short num, short delta, short flg)
{
    struct sembuf b = { num, delta, flg };
    return semop(id, &b, 1);
}

static void show_vals(const char *what, int id, int n)
{
    unsigned short v[8];
    semctl(id, 0, GETALL, (union semun){ .array = v });
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %u", v[i]);
    printf("\n");
}

static void calls_and_errors(void)
{
    SHOW("semget nsems 0 create", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    SHOW("semget nsems -1", semget(IPC_PRIVATE, -1, IPC_CREAT | 0600));
    int s = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    SHOW("semget private 3", s);
    int k = semget(0x5e4, 2, IPC_CREAT | 0640);
    SHOW("semget key", k);
    SHOW("semget key again, nsems 0", semget(0x5e4, 0, 0) == k);
    SHOW("semget key, more semaphores", semget(0x5e4, 5, 0));
    SHOW("semget key IPC_EXCL", semget(0x5e4, 2, IPC_CREAT | IPC_EXCL | 0600));
    SHOW("semget unknown key", semget(0x5e5, 1, 0));
    struct semid_ds ds;
    SHOW("IPC_STAT", semctl(s, 0, IPC_STAT, (union semun){ .buf = &ds }));
    printf("nsems %lu mode %o otime %ld ctime set %d uid-is-me %d\n", (unsigned long)ds.sem_nsems,
           ds.sem_perm.mode, (long)ds.sem_otime, ds.sem_ctime > 0, ds.sem_perm.uid == getuid());
    SHOW("SETVAL 0 = 5", semctl(s, 0, SETVAL, (union semun){ .val = 5 }));
    SHOW("SETVAL -1", semctl(s, 0, SETVAL, (union semun){ .val = -1 }));
    SHOW("SETVAL 32768", semctl(s, 0, SETVAL, (union semun){ .val = 32768 }));
    SHOW("SETVAL semnum 3", semctl(s, 3, SETVAL, (union semun){ .val = 1 }));
    SHOW("GETVAL 0", semctl(s, 0, GETVAL));
    SHOW("GETVAL semnum 7", semctl(s, 7, GETVAL));
    SHOW("GETPID is me", semctl(s, 0, GETPID) == getpid());
    SHOW("GETPID never operated", semctl(s, 1, GETPID));
    unsigned short all[3] = { 1, 2, 3 };
    SHOW("SETALL 1 2 3", semctl(s, 0, SETALL, (union semun){ .array = all }));
    show_vals("GETALL", s, 3);
    /* several operations, all or nothing */
    struct sembuf two[2] = { { 0, -1, 0 }, { 1, -5, IPC_NOWAIT } };
    SHOW("semop -1 and -5 (would block)", semop(s, two, 2));
    show_vals("unchanged", s, 3);
    struct sembuf three[3] = { { 0, -1, 0 }, { 1, +4, 0 }, { 2, -3, 0 } };
    SHOW("semop -1 +4 -3", semop(s, three, 3));
    show_vals("after", s, 3);
    SHOW("semop wait-for-zero on 2 (zero)", op(s, 2, 0, 0));
    SHOW("semop wait-for-zero on 1 IPC_NOWAIT", op(s, 1, 0, IPC_NOWAIT));
    SHOW("semop sem_num 3", op(s, 3, 1, 0));
    SHOW("semop above SEMVMX", op(s, 1, 32767, 0));
    SHOW("semop nsops 0", semop(s, two, 0));
    static struct sembuf many[501];
    SHOW("semop 501 operations", semop(s, many, 501));
    SHOW("semop bad id", op(12345, 0, 1, 0));
    SHOW("semop bad buffer", semop(s, (void *)-4096L, 1));
    struct timespec ts = { 0, 20 * 1000 * 1000 };
    struct sembuf wait1 = { 0, -1, 0 };
    SHOW("semtimedop times out", semtimedop(s, &wait1, 1, &ts));
    ts.tv_nsec = 1000000000;
    SHOW("semtimedop bad timeout", semtimedop(s, &wait1, 1, &ts));
    SHOW("IPC_STAT", semctl(s, 0, IPC_STAT, (union semun){ .buf = &ds }));
    printf("otime set %d\n", ds.sem_otime > 0);
    ds.sem_perm.mode = 0604;
    SHOW("IPC_SET mode 604", semctl(s, 0, IPC_SET, (union semun){ .buf = &ds }));
    semctl(s, 0, IPC_STAT, (union semun){ .buf = &ds });
    printf("mode %o\n", ds.sem_perm.mode);
    struct seminfo si;
    int mx = semctl(0, 0, IPC_INFO, (union semun){ .__buf = &si });
    printf("IPC_INFO = %d semmsl %d semmns %d semopm %d semmni %d semvmx %d semaem %d semume %d semusz %d\n",
           mx, si.semmsl, si.semmns, si.semopm, si.semmni, si.semvmx, si.semaem, si.semume, si.semusz);
    mx = semctl(0, 0, SEM_INFO, (union semun){ .__buf = &si });
    printf("SEM_INFO = %d sets %d semaphores %d\n", mx, si.semusz, si.semaem);
    SHOW("SEM_STAT index of k", semctl(k % 32768, 0, SEM_STAT, (union semun){ .buf = &ds }) == k);
    SHOW("SEM_STAT_ANY index of k", semctl(k % 32768, 0, SEM_STAT_ANY, (union semun){ .buf = &ds }) == k);
    SHOW("SEM_STAT unused index", semctl(77, 0, SEM_STAT, (union semun){ .buf = &ds }));
    SHOW("semctl bad cmd", semctl(s, 0, 99));
    SHOW("IPC_RMID", semctl(s, 0, IPC_RMID));
    SHOW("GETVAL removed", semctl(s, 0, GETVAL));
    SHOW("IPC_RMID key", semctl(k, 0, IPC_RMID));
}

static void on_sig(int sig) { (void)sig; }

static void waiters(void)
{
    int s = semget(IPC_PRIVATE, 2, 0600);
    semctl(s, 1, SETVAL, (union semun){ .val = 1 });
    pid_t dec = fork();
    if (dec == 0) {
        about_to_block();
        _exit(op(s, 0, -2, 0) == 0 ? 0 : 1);
    }
    wait_blocked(dec);
    pid_t zero = fork();
    if (zero == 0) {
        about_to_block();
        _exit(op(s, 1, 0, 0) == 0 ? 0 : 1);
    }
    wait_blocked(zero);
    SHOW("GETNCNT 0", semctl(s, 0, GETNCNT));
    SHOW("GETZCNT 1", semctl(s, 1, GETZCNT));
    op(s, 0, 1, 0);
    SHOW("GETNCNT 0 after +1", semctl(s, 0, GETNCNT));
    op(s, 0, 1, 0);
    show_wait("decrementer", dec);
    op(s, 1, -1, 0);
    show_wait("waiter for zero", zero);
    SHOW("GETZCNT 1 after", semctl(s, 1, GETZCNT));

    pid_t pid = fork();
    if (pid == 0) {
        about_to_block();
        SHOW("child: semop, set removed", op(s, 0, -1, 0));
        _exit(0);
    }
    wait_blocked(pid);
    int rm = semctl(s, 0, IPC_RMID);
    show_wait("blocked semop", pid);
    SHOW("IPC_RMID under a blocked semop", rm);

    s = semget(IPC_PRIVATE, 1, 0600);
    pid = fork();
    if (pid == 0) {
        struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_RESTART };
        sigaction(SIGUSR1, &sa, NULL);
        about_to_block();
        SHOW("child: semop, handler with SA_RESTART", op(s, 0, -1, 0));
        _exit(0);
    }
    wait_blocked(pid);
    kill(pid, SIGUSR1);
    show_wait("interrupted semop", pid);
    semctl(s, 0, IPC_RMID);
}

static void undo(void)
{
    int s = semget(IPC_PRIVATE, 2, 0600);
    int ready = semget(IPC_PRIVATE, 1, 0600);
    semctl(s, 0, SETVAL, (union semun){ .val = 3 });
    pid_t pid = fork();
    if (pid == 0) {
        op(s, 0, -2, SEM_UNDO);
        op(s, 1, +5, SEM_UNDO);
        op(s, 0, +1, SEM_UNDO);
        _exit(0);
    }
    show_wait("exit with undo", pid);
    show_vals("after its exit (3 0)", s, 2);
    /* undo after execve too: the child execs /bin/true */
    pid = fork();
    if (pid == 0) {
        op(s, 0, -1, SEM_UNDO);
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    show_wait("exec with undo", pid);
    show_vals("after exec and exit (3 0)", s, 2);

    /* SIGKILL: the holder never says goodbye; a blocked waiter gets it */
    pid = fork();
    if (pid == 0) {
        op(s, 0, -3, SEM_UNDO);
        op(ready, 0, 1, 0);
        for (;;)
            pause();
    }
    op(ready, 0, -1, 0);
    pid_t waiter = fork();
    if (waiter == 0) {
        about_to_block();
        _exit(op(s, 0, -3, 0) == 0 ? 0 : 1);
    }
    wait_blocked(waiter);
    show_vals("held (0 0)", s, 2);
    kill(pid, SIGKILL);
    show_wait("killed holder", pid);
    show_wait("waiter after the kill", waiter);
    show_vals("waiter took it (0 0)", s, 2);
    op(s, 0, 3, 0);

    /* a crash (SIGSEGV) with undo */
    pid = fork();
    if (pid == 0) {
        op(s, 0, -1, SEM_UNDO);
        int *volatile bad = (int *)8;
        *bad = 1;
        _exit(0);
    }
    show_wait("crashed", pid);
    show_vals("after the crash (3 0)", s, 2);

    /* SETVAL clears the adjustments */
    pid = fork();
    if (pid == 0) {
        op(s, 0, -1, SEM_UNDO);
        op(ready, 0, 1, 0);
        op(ready, 0, 0, 0); /* waits for the parent's SETVAL */
        _exit(0);
    }
    op(ready, 0, -1, 0);
    semctl(s, 0, SETVAL, (union semun){ .val = 7 });
    semctl(ready, 0, SETVAL, (union semun){ .val = 0 });
    show_wait("undo cleared by SETVAL", pid);
    show_vals("after (7 0)", s, 2);
    semctl(s, 0, IPC_RMID);
    semctl(ready, 0, IPC_RMID);
}

/* A mutex among 4 processes: each adds to a counter in shared memory with
 * a yield between the read and the write. */
static void mutex(void)
{
    enum { P = 4, N = 1500 };
    int s = semget(IPC_PRIVATE, 1, 0600);
    semctl(s, 0, SETVAL, (union semun){ .val = 1 });
    int m = shmget(IPC_PRIVATE, 4096, 0600);
    volatile long *counter = shmat(m, NULL, 0);
    *counter = 0;
    pid_t pids[P];
    for (int p = 0; p < P; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            for (int i = 0; i < N; i++) {
                if (op(s, 0, -1, SEM_UNDO) < 0)
                    _exit(1);
                long v = *counter;
                if (i % 16 == 0)
                    sched_yield();
                *counter = v + 1;
                if (op(s, 0, 1, SEM_UNDO) < 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < P; p++)
        show_wait("mutex process", pids[p]);
    printf("counter %ld (expected %d), semaphore %d\n", *counter, P * N, semctl(s, 0, GETVAL));
    shmdt((void *)counter);
    shmctl(m, IPC_RMID, NULL);
    semctl(s, 0, IPC_RMID);
}

/* The same mutex among 4 threads of one process (and one lock word). */
static int thr_sem;
static volatile long thr_counter;

static void *thr_main(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1500; i++) {
        op(thr_sem, 0, -1, SEM_UNDO);
        long v = thr_counter;
        if (i % 16 == 0)
            sched_yield();
        thr_counter = v + 1;
        op(thr_sem, 0, 1, SEM_UNDO);
    }
    return NULL;
}

static void thread_mutex(void)
{
    thr_sem = semget(IPC_PRIVATE, 1, 0600);
    semctl(thr_sem, 0, SETVAL, (union semun){ .val = 1 });
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, thr_main, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("threads: counter %ld (expected 6000), semaphore %d\n", thr_counter, semctl(thr_sem, 0, GETVAL));
    semctl(thr_sem, 0, IPC_RMID);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sysv_test_init();
    calls_and_errors();
    waiters();
    undo();
    mutex();
    thread_mutex();
    return 0;
}
