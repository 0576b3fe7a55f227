/* Another process's name as /proc shows it to its parent: comm, stat's
 * (name) and status's Name are the kernel's comm, not the command line's
 * first word: a child that renamed itself (prctl PR_SET_NAME) or a thread
 * of it that did, a program exec'd with another argv[0] (exec -a), and a
 * name of 15 bytes cut from a longer one. Under graphene the names come
 * from the host's stat of that process, which its libos keeps the app's. */
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "testutil.h"

static int up[2], hold[2];

/* The child's names, as its parent reads them. */
static void show(const char *who, pid_t pid, pid_t tid)
{
    char path[64], buf[1024];
    FILE *f;
    snprintf(path, sizeof(path), tid ? "/proc/%d/task/%d/comm" : "/proc/%d/comm", pid, tid);
    f = fopen(path, "r");
    printf("%s comm: %s", who, f && fgets(buf, sizeof(buf), f) ? buf : "(none)\n");
    if (f)
        fclose(f);
    snprintf(path, sizeof(path), tid ? "/proc/%d/task/%d/stat" : "/proc/%d/stat", pid, tid);
    f = fopen(path, "r");
    if (f && fgets(buf, sizeof(buf), f)) {
        char *o = strchr(buf, '('), *e = strrchr(buf, ')');
        printf("%s stat name: %.*s\n", who, o && e ? (int)(e - o + 1) : 0, o ? o : "");
    }
    if (f)
        fclose(f);
    snprintf(path, sizeof(path), tid ? "/proc/%d/task/%d/status" : "/proc/%d/status", pid, tid);
    f = fopen(path, "r");
    while (f && fgets(buf, sizeof(buf), f))
        if (!strncmp(buf, "Name:", 5))
            printf("%s status %s", who, buf);
    if (f)
        fclose(f);
}

static void *renamed_thread(void *arg)
{
    (void)arg;
    prctl(PR_SET_NAME, "worker-thread");
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(up[1], &tid, sizeof(tid)) != sizeof(tid))
        _exit(3);
    char b;
    while (read(hold[0], &b, 1) > 0)
        ;
    return NULL;
}

static pid_t start(int kind)
{
    fflush(stdout);
    pid_t c = fork();
    if (c < 0)
        DIE("fork");
    if (c == 0) {
        close(hold[1]);
        if (kind == 0) {
            prctl(PR_SET_NAME, "renamed-child-with-a-long-name");
            pthread_t t;
            if (pthread_create(&t, NULL, renamed_thread, NULL))
                _exit(2);
            pthread_join(t, NULL);
            _exit(0);
        }
        /* exec -a: argv[0] is not the program's name; the comm is */
        char fd[16];
        snprintf(fd, sizeof(fd), "%d", hold[0]);
        execl("/bin/sh", "not-the-name", "-c", "echo x >&$1; read x <&$0 || true", fd, "4", (char *)NULL);
        _exit(127);
    }
    return c;
}

int main(void)
{
    if (pipe(up) || pipe(hold) || dup2(up[1], 4) != 4)
        DIE("pipes");
    pid_t c = start(0), tid;
    if (read(up[0], &tid, sizeof(tid)) != sizeof(tid))
        DIE("tid");
    show("renamed child", c, 0);
    show("its renamed thread", c, tid);
    pid_t s = start(1);
    char b[2];
    if (read(up[0], b, 2) != 2)
        DIE("sh");
    show("exec -a child", s, 0);
    close(hold[1]);
    int st;
    CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the renamed child exited 0");
    CHECK(waitpid(s, &st, 0) == s && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the exec -a child exited 0");
    return tu_done();
}
