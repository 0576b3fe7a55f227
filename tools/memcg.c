/* sys.max_memory through a memory cgroup of the sandbox's own (memcg.h).
 *
 * The cgroup is made below the launcher's own memory cgroup (so any limit
 * the host already puts on the launcher still holds above it), named
 * graphene-U for the sandbox's host uid U, with the limit on memory and on
 * memory + swap. The launcher moves itself in before it execs the libos,
 * so every picoprocess of the launch is in it (fork inherits it; the
 * sandbox's uid cannot move a process out: the cgroup files are root's).
 * Past the limit the kernel reclaims and then its OOM killer kills a
 * process of the cgroup (SIGKILL), never one outside it.
 *
 * Removal: the launcher execs, so a reaper process (root, outside the
 * cgroup, detached from the launcher by a double fork so that it is not a
 * host child of the picoprocess) waits on a pidfd of the launcher. When it
 * exits (pid 1 of the launch: the sandbox ends with it), the reaper kills
 * what is left in the cgroup, waits for each through its pidfd and removes
 * the cgroup. No timing is involved: every wait is on an exit. */
#include "memcg.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct controller {
    bool v2;
    char dir[4096]; /* the launcher's own memory cgroup directory */
    size_t mnt_len; /* the hierarchy's mount point's part of dir */
};

/* The memory controller's mount and the launcher's cgroup in it: a v1
 * hierarchy with the memory controller, else the v2 one if its cgroup
 * delegates memory to children (subtree_control). */
static int find_controller(struct controller *c, char *why, size_t whysize)
{
    char v1mnt[1024] = "", v2mnt[1024] = "", v1path[2048] = "", v2path[2048] = "", line[4096];
    FILE *f = fopen("/proc/self/mounts", "r");
    while (f && fgets(line, sizeof(line), f)) {
        char dev[256], mnt[1024], type[64], opts[1024];
        if (sscanf(line, "%255s %1023s %63s %1023s", dev, mnt, type, opts) != 4)
            continue;
        if (!strcmp(type, "cgroup2") && !*v2mnt)
            snprintf(v2mnt, sizeof(v2mnt), "%s", mnt);
        if (!strcmp(type, "cgroup") && (strstr(opts, ",memory") || !strncmp(opts, "memory", 6)))
            snprintf(v1mnt, sizeof(v1mnt), "%s", mnt);
    }
    if (f)
        fclose(f);
    f = fopen("/proc/self/cgroup", "r");
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = 0;
        char *ctl = strchr(line, ':'), *path = ctl ? strchr(ctl + 1, ':') : NULL;
        if (!path)
            continue;
        *path++ = 0;
        ctl++;
        if (!strcmp(line, "0") && !*ctl)
            snprintf(v2path, sizeof(v2path), "%s", path);
        for (char *t = strtok(ctl, ","); t; t = strtok(NULL, ","))
            if (!strcmp(t, "memory"))
                snprintf(v1path, sizeof(v1path), "%s", path);
    }
    if (f)
        fclose(f);
    if (*v1mnt && *v1path) {
        c->v2 = false;
        c->mnt_len = strlen(v1mnt);
        snprintf(c->dir, sizeof(c->dir), "%s%s", v1mnt, strcmp(v1path, "/") ? v1path : "");
        return 0;
    }
    if (*v2mnt && *v2path) {
        char sub[4096 + 32], ctl[256] = "";
        snprintf(sub, sizeof(sub), "%s%s/cgroup.subtree_control", v2mnt, strcmp(v2path, "/") ? v2path : "");
        FILE *s = fopen(sub, "r");
        bool mem = s && fgets(ctl, sizeof(ctl), s) && strstr(ctl, "memory");
        if (s)
            fclose(s);
        if (mem) {
            c->v2 = true;
            c->mnt_len = strlen(v2mnt);
            snprintf(c->dir, sizeof(c->dir), "%s%s", v2mnt, strcmp(v2path, "/") ? v2path : "");
            return 0;
        }
        snprintf(why, whysize, "the cgroup v2 hierarchy at %s does not delegate the memory controller to %s",
                 v2mnt, v2path);
        return -1;
    }
    snprintf(why, whysize, "no memory cgroup controller is mounted");
    return -1;
}

static int write_value(const char *dir, const char *file, const char *value)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int e = errno;
    close(fd);
    errno = e;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static bool has_file(const char *dir, const char *file)
{
    char path[4300];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

static int pidfd_open(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void wait_exit(int pidfd)
{
    struct pollfd p = { pidfd, POLLIN, 0 };
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
}

/* Is process pid (pidfd fd) in cgroup dir (its path below the mount:
 * rel)? Read from /proc/PID/cgroup between the pidfd's opening and a
 * check that it is still alive, so that the pid cannot have been reused
 * meanwhile by a process outside: the reaper is root, it must only ever
 * kill the sandbox's. */
static bool in_cgroup(int fd, int pid, const char *rel)
{
    char path[64], line[4400];
    snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
    FILE *f = fopen(path, "r");
    bool in = false;
    size_t n = strlen(rel);
    while (f && !in && fgets(line, sizeof(line), f)) {
        char *p = strrchr(line, ':');
        in = p && !strncmp(p + 1, rel, n) && (p[1 + n] == '\n' || p[1 + n] == 0);
    }
    if (f)
        fclose(f);
    return in && syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
}

/* The reaper's work once the launch's pid 1 is gone: kill whatever is
 * left in the cgroup, wait for each to exit, remove the cgroup. */
static void reap(const char *dir, const char *rel)
{
    char procs[4300];
    snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
    for (int round = 0; round < 1000; round++) {
        if (rmdir(dir) == 0 || errno == ENOENT)
            return;
        FILE *f = fopen(procs, "r");
        int pid, fds[256], n = 0;
        while (f && n < 256 && fscanf(f, "%d", &pid) == 1) {
            int fd = pidfd_open(pid);
            if (fd >= 0 && in_cgroup(fd, pid, rel) && syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0)
                fds[n++] = fd;
            else if (fd >= 0)
                close(fd);
        }
        if (f)
            fclose(f);
        for (int i = 0; i < n; i++) {
            wait_exit(fds[i]);
            close(fds[i]);
        }
    }
}

/* Detached from the launcher: its parent (the launcher's child) exits at
 * once, so the picoprocess never sees it as a host child. Returns its pid
 * (the info line names it: tests wait for it), or -1. */
static pid_t start_reaper(const char *dir, const char *rel)
{
    int self = pidfd_open(getpid()), p[2];
    if (self < 0 || pipe2(p, O_CLOEXEC) < 0)
        return -1;
    pid_t child = fork();
    if (child < 0) {
        close(self);
        return -1;
    }
    if (child == 0) {
        pid_t reaper = fork();
        if (reaper != 0) {
            write(p[1], &reaper, sizeof(reaper));
            _exit(0);
        }
        setsid();
        prctl(PR_SET_NAME, "graphene-memcg"); /* a terminal's ^C to the sandbox is not for the reaper */
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        dup2(self, 3);
        syscall(SYS_close_range, 4, ~0u, 0);
        wait_exit(3);
        reap(dir, rel);
        _exit(0);
    }
    close(self);
    close(p[1]);
    pid_t reaper = -1;
    if (read(p[0], &reaper, sizeof(reaper)) != sizeof(reaper))
        reaper = -1;
    close(p[0]);
    int st;
    while (waitpid(child, &st, 0) < 0 && errno == EINTR)
        ;
    return reaper;
}

int memcg_limit(uint64_t bytes, unsigned tag, char *msg, size_t msgsize)
{
    struct controller c;
    char dir[4200], v[32];
    if (find_controller(&c, msg, msgsize))
        return 1;
    snprintf(dir, sizeof(dir), "%s/graphene-%u", c.dir, tag);
    rmdir(dir); /* one an earlier sandbox of this uid left, if empty */
    if (mkdir(dir, 0755) < 0) {
        snprintf(msg, msgsize, "cannot make %s: %s", dir, strerror(errno));
        return 1;
    }
    snprintf(v, sizeof(v), "%llu", (unsigned long long)bytes);
    int e = c.v2 ? write_value(dir, "memory.max", v) : write_value(dir, "memory.limit_in_bytes", v);
    /* swap counts too, where the kernel accounts it */
    if (e == 0 && c.v2 && has_file(dir, "memory.swap.max"))
        e = write_value(dir, "memory.swap.max", "0");
    if (e == 0 && !c.v2 && has_file(dir, "memory.memsw.limit_in_bytes"))
        e = write_value(dir, "memory.memsw.limit_in_bytes", v);
    pid_t reaper = e == 0 ? start_reaper(dir, dir + c.mnt_len) : -1;
    if (e == 0 && reaper < 0)
        e = -1;
    snprintf(v, sizeof(v), "%d", (int)getpid());
    if (e == 0)
        e = write_value(dir, "cgroup.procs", v);
    if (e < 0) {
        snprintf(msg, msgsize, "cannot set up %s: %s", dir, strerror(errno));
        rmdir(dir);
        return 1;
    }
    snprintf(msg, msgsize, "memory limit %llu bytes in cgroup %s (v%d; removed at the end by pid %d)",
             (unsigned long long)bytes, dir, c.v2 ? 2 : 1, (int)reaper);
    return 0;
}
