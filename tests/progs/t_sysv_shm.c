/* System V shared memory: shmget/shmat/shmdt/shmctl and their errors,
 * attach counts through fork, exit and SIGKILL, removal at the last
 * detach, SHM_RDONLY, SHM_RND and SHM_REMAP, and a segment seen by a
 * process that attaches by key. */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include "sysv_util.h"

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

static void show_stat(const char *what, int id)
{
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        printf("%s: IPC_STAT %s\n", what, errname(errno));
        return;
    }
    printf("%s: size %zu nattch %lu mode %o key-private %d cpid-is-me %d lpid-is-me %d\n", what,
           (size_t)ds.shm_segsz, (unsigned long)ds.shm_nattch, ds.shm_perm.mode,
           ds.shm_perm.__key == IPC_PRIVATE, ds.shm_cpid == getpid(), ds.shm_lpid == getpid());
}

static void calls_and_errors(void)
{
    SHOW("shmget size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    int s = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    SHOW("shmget private 10000", s);
    int k = shmget(0x5a5, 4096, IPC_CREAT | 0640);
    SHOW("shmget key", k);
    SHOW("shmget key again smaller", shmget(0x5a5, 100, 0) == k);
    SHOW("shmget key larger", shmget(0x5a5, 8192, 0));
    SHOW("shmget key IPC_EXCL", shmget(0x5a5, 4096, IPC_CREAT | IPC_EXCL | 0600));
    SHOW("shmget unknown key", shmget(0x5a6, 4096, 0));
    show_stat("new", s);
    struct shmid_ds ds;
    shmctl(s, IPC_STAT, &ds);
    printf("atime %ld dtime %ld ctime set %d\n", (long)ds.shm_atime, (long)ds.shm_dtime, ds.shm_ctime > 0);
    char *a = shmat(s, NULL, 0);
    SHOW("shmat", a == (void *)-1 ? -1 : 0);
    printf("zero-filled %d\n", a[0] == 0 && a[9999] == 0);
    strcpy(a, "hello");
    char *b = shmat(s, NULL, SHM_RDONLY);
    printf("second attach sees '%s', different address %d\n", b, a != b);
    show_stat("two attaches", s);
    shmctl(s, IPC_STAT, &ds);
    printf("atime set %d\n", ds.shm_atime > 0);
    pid_t pid = fork();
    if (pid == 0) {
        b[0] = 'x'; /* read-only: SIGSEGV */
        _exit(0);
    }
    show_wait("write to SHM_RDONLY", pid);
    SHOW("shmdt second", shmdt(b));
    SHOW("shmdt again", shmdt(b));
    SHOW("shmdt not a segment", shmdt(&ds));
    show_stat("one attach", s);
    SHOW("shmat unaligned", shmat(s, a + 1, 0) == (void *)-1 ? -1 : 0);
    void *area = mmap(NULL, 3 * 16384, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *want = (char *)area + 16384;
    SHOW("shmat over a mapping", shmat(s, want, 0) == (void *)-1 ? -1 : 0);
    char *c = shmat(s, want, SHM_REMAP);
    printf("SHM_REMAP at the address %d sees '%s'\n", c == want, c);
    shmdt(c);
    char *d = shmat(s, want + 5, SHM_RND | SHM_REMAP);
    printf("SHM_RND rounds down %d\n", d == want);
    shmdt(d);
    SHOW("shmat bad id", shmat(12345, NULL, 0) == (void *)-1 ? -1 : 0);
    struct shminfo si;
    int mx = shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
    printf("IPC_INFO = %d shmmax %lu shmmin %lu shmmni %lu shmseg %lu shmall %lu\n", mx, si.shmmax, si.shmmin,
           si.shmmni, si.shmseg, si.shmall);
    struct shm_info info;
    mx = shmctl(0, SHM_INFO, (struct shmid_ds *)&info);
    printf("SHM_INFO = %d used %d pages %lu\n", mx, info.used_ids, info.shm_tot);
    SHOW("SHM_STAT index of k", shmctl(k % 32768, SHM_STAT, &ds) == k);
    SHOW("SHM_STAT_ANY index of k", shmctl(k % 32768, SHM_STAT_ANY, &ds) == k);
    SHOW("SHM_STAT unused index", shmctl(66, SHM_STAT, &ds));
    SHOW("SHM_LOCK", shmctl(s, SHM_LOCK, NULL));
    show_stat("locked", s);
    SHOW("SHM_UNLOCK", shmctl(s, SHM_UNLOCK, NULL));
    shmctl(s, IPC_STAT, &ds);
    ds.shm_perm.mode = 0604;
    SHOW("IPC_SET mode 604", shmctl(s, IPC_SET, &ds));
    show_stat("after IPC_SET", s);
    SHOW("shmctl bad cmd", shmctl(s, 99, &ds));
    /* removed while attached: found no more by key, gone at the last detach */
    SHOW("IPC_RMID attached", shmctl(s, IPC_RMID, NULL));
    show_stat("removed, attached", s);
    char *e = shmat(s, NULL, 0);
    printf("attach after IPC_RMID sees '%s'\n", e == (void *)-1 ? errname(errno) : e);
    shmdt(e);
    SHOW("shmdt last", shmdt(a));
    show_stat("after the last detach", s);
    SHOW("IPC_RMID key", shmctl(k, IPC_RMID, NULL));
    show_stat("removed unattached", k);
}

static void processes(void)
{
    int pfd[2], qfd[2];
    char x;
    int s = shmget(IPC_PRIVATE, 8192, 0600);
    char *a = shmat(s, NULL, 0);
    /* a fork child shares the attachment (counted twice) */
    if (pipe(pfd) || pipe(qfd))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        strcpy(a + 4096, "from the child");
        write(pfd[1], "r", 1);
        read(qfd[0], &x, 1);
        _exit(0);
    }
    read(pfd[0], &x, 1);
    show_stat("fork child attached", s);
    printf("parent reads '%s'\n", a + 4096);
    write(qfd[1], "g", 1);
    show_wait("fork child", pid);
    show_stat("after the child's exit", s);
    /* a process that attaches by key sees the data */
    int k = shmget(0x5a7, 4096, IPC_CREAT | 0600);
    char *kp = shmat(k, NULL, 0);
    strcpy(kp, "by key");
    pid = fork();
    if (pid == 0) {
        shmdt(kp);
        int id = shmget(0x5a7, 0, 0);
        char *p = shmat(id, NULL, SHM_RDONLY);
        printf("child attached by key reads '%s'\n", p);
        _exit(0);
    }
    show_wait("key reader", pid);
    shmdt(kp);
    shmctl(k, IPC_RMID, NULL);
    /* SIGKILL detaches too; the last attachment of a removed segment */
    pid = fork();
    if (pid == 0) {
        write(pfd[1], "r", 1);
        for (;;)
            pause();
    }
    read(pfd[0], &x, 1);
    SHOW("shmdt in the parent", shmdt(a));
    SHOW("IPC_RMID", shmctl(s, IPC_RMID, NULL));
    show_stat("held by the child only", s);
    kill(pid, SIGKILL);
    show_wait("killed child", pid);
    show_stat("after SIGKILL", s);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    calls_and_errors();
    processes();
    return 0;
}
