/* Many objects at once: 300 semaphore sets and 300 shared memory segments
 * (beyond the 128 of each the shared memory once held), each usable, then
 * removed. */
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include "sysv_util.h"

#define N 300

int main(void)
{
    static int sems[N], shms[N];
    int ok_sem = 0, ok_shm = 0, used = 0;
    for (int i = 0; i < N; i++) {
        sems[i] = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
        shms[i] = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        ok_sem += sems[i] >= 0;
        ok_shm += shms[i] >= 0;
    }
    printf("semaphore sets made: %d, segments made: %d\n", ok_sem, ok_shm);
    for (int i = 0; i < N; i++) {
        struct sembuf op = { 1, (short)(i + 1), 0 };
        if (sems[i] >= 0 && semop(sems[i], &op, 1) == 0 && semctl(sems[i], 1, GETVAL) == i + 1)
            used++;
        char *p = shms[i] >= 0 ? shmat(shms[i], NULL, 0) : (char *)-1;
        if (p != (char *)-1) {
            p[0] = (char)i;
            used += p[0] == (char)i;
            shmdt(p);
        }
    }
    printf("used: %d\n", used);
    int removed = 0;
    for (int i = 0; i < N; i++)
        removed += semctl(sems[i], 0, IPC_RMID) == 0 && shmctl(shms[i], IPC_RMID, NULL) == 0;
    printf("removed: %d\n", removed);
    return 0;
}
