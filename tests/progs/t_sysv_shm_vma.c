/* System V shared memory and the app's own memory calls, as Linux counts
 * attachments by mappings (shm_open/shm_close of each vma): munmap of a
 * whole attachment detaches it, of a part keeps it (a hole in the middle
 * makes two mappings, so two attachments), shmdt of the attach address
 * detaches every piece left, a mapping put over an attachment detaches it,
 * a removed segment goes with its last munmap, a fork child counts the
 * pieces it inherits, an mprotect of a part splits the mapping too;
 * mprotect(PROT_WRITE) of a SHM_RDONLY attachment is refused with EACCES. */
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include "sysv_util.h"

static long nattch(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) < 0 ? -1 : (long)ds.shm_nattch;
}

int main(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    int id = shmget(IPC_PRIVATE, 3 * pg, IPC_CREAT | 0600);
    char *a = shmat(id, NULL, 0);
    SHOW("attached", nattch(id));
    SHOW("munmap of the whole attachment", munmap(a, 3 * pg));
    SHOW("nattch", nattch(id));
    SHOW("shmdt after it", shmdt(a));

    a = shmat(id, NULL, 0);
    SHOW("munmap of the first page", munmap(a, pg));
    SHOW("nattch", nattch(id));
    a[pg] = 'x';
    SHOW("shmdt of the attach address", shmdt(a));
    SHOW("nattch", nattch(id));

    a = shmat(id, NULL, 0);
    SHOW("munmap of the middle page", munmap(a + pg, pg));
    SHOW("nattch (two mappings)", nattch(id));
    pid_t kid = fork();
    if (kid == 0) {
        printf("child: nattch %ld\n", nattch(id));
        fflush(stdout);
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    SHOW("nattch after the child's exit", nattch(id));
    SHOW("munmap of the last page", munmap(a + 2 * pg, pg));
    SHOW("nattch", nattch(id));
    SHOW("shmdt of the attach address", shmdt(a));
    SHOW("nattch", nattch(id));

    a = shmat(id, NULL, 0);
    SHOW("munmap of the last page", munmap(a + 2 * pg, pg));
    SHOW("nattch", nattch(id));
    SHOW("shmdt of the attach address", shmdt(a));
    SHOW("nattch", nattch(id));

    a = shmat(id, NULL, 0);
    void *over = mmap(a, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    SHOW("anonymous mapping put over the attachment", over == a);
    SHOW("nattch", nattch(id));
    SHOW("shmdt after it", shmdt(a));
    munmap(a, 3 * pg);

    char *r = shmat(id, NULL, SHM_RDONLY);
    SHOW("mprotect of a SHM_RDONLY attachment to PROT_WRITE", mprotect(r, pg, PROT_READ | PROT_WRITE));
    SHOW("to PROT_NONE", mprotect(r, pg, PROT_NONE));
    SHOW("back to PROT_READ", mprotect(r, 3 * pg, PROT_READ));
    char *w = shmat(id, NULL, 0);
    SHOW("nattch (r, w)", nattch(id));
    SHOW("a writable attachment's first page to PROT_READ", mprotect(w, pg, PROT_READ));
    SHOW("nattch (two mappings of w)", nattch(id));
    SHOW("and back to PROT_WRITE", mprotect(w, pg, PROT_READ | PROT_WRITE));
    SHOW("nattch (never merged again)", nattch(id));
    SHOW("shmdt", shmdt(w));
    SHOW("shmdt", shmdt(r));

    a = shmat(id, NULL, 0);
    SHOW("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
    SHOW("nattch", nattch(id));
    SHOW("munmap of it", munmap(a, 3 * pg));
    SHOW("IPC_STAT after the last munmap", nattch(id));
    return 0;
}
