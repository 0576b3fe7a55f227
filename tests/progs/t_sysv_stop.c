/* A stop signal and SIGCONT (no handlers) during a blocking SysV call:
 * semop and semtimedop fail with EINTR, as Linux's man 7 signal lists,
 * while msgrcv and msgsnd go on waiting and then complete. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include "sysv_util.h"

/* Stops and continues pid, which is blocked (said so and sleeps). */
static void stop_cont(pid_t pid)
{
    int st;
    wait_blocked(pid);
    kill(pid, SIGSTOP);
    if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
        printf("FATAL not stopped\n");
    kill(pid, SIGCONT);
}

int main(void)
{
    sysv_test_init();
    setvbuf(stdout, NULL, _IONBF, 0);
    int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct { long type; char text[8]; } m = { 1, "hello" };

    pid_t kid = fork();
    if (kid == 0) {
        struct sembuf op = { 0, -1, 0 };
        about_to_block();
        SHOW("child: semop after SIGSTOP and SIGCONT", semop(sem, &op, 1));
        _exit(0);
    }
    stop_cont(kid);
    show_wait("semop child", kid);

    kid = fork();
    if (kid == 0) {
        struct sembuf op = { 0, -1, 0 };
        struct timespec ts = { 1000, 0 };
        about_to_block();
        SHOW("child: semtimedop after SIGSTOP and SIGCONT", semtimedop(sem, &op, 1, &ts));
        _exit(0);
    }
    stop_cont(kid);
    show_wait("semtimedop child", kid);

    kid = fork();
    if (kid == 0) {
        struct { long type; char text[8]; } got;
        about_to_block();
        SHOW("child: msgrcv after SIGSTOP and SIGCONT, then a message", msgrcv(q, &got, sizeof got.text, 0, 0));
        printf("child: got %s\n", got.text);
        _exit(0);
    }
    stop_cont(kid);
    /* still blocked in msgrcv: it sleeps again (a child that returned
     * would print, say so and exit without a message) */
    wait_sleeping(kid);
    long r = msgsnd(q, &m, sizeof m.text, 0);
    show_wait("msgrcv child", kid);
    SHOW("msgsnd (printed after the child's exit)", r);

    /* a full queue: msgsnd waits through a stop too */
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = sizeof m.text;
    SHOW("msg_qbytes to one message", msgctl(q, IPC_SET, &ds));
    SHOW("msgsnd fills it", msgsnd(q, &m, sizeof m.text, 0));
    kid = fork();
    if (kid == 0) {
        about_to_block();
        SHOW("child: msgsnd after SIGSTOP and SIGCONT, then room", msgsnd(q, &m, sizeof m.text, 0));
        _exit(0);
    }
    stop_cont(kid);
    wait_sleeping(kid);
    struct { long type; char text[8]; } got;
    r = msgrcv(q, &got, sizeof got.text, 0, 0);
    show_wait("msgsnd child", kid);
    SHOW("msgrcv that made room (printed after the child's exit)", r);
    SHOW("messages", (msgctl(q, IPC_STAT, &ds), (long)ds.msg_qnum));
    semctl(sem, 0, IPC_RMID);
    msgctl(q, IPC_RMID, NULL);
    return 0;
}
