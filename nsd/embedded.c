#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "embedded.h"
#include "nsdc_posix.h"
#include "streams.h"

static char dir[256], lock_path[280];
static int lock_fd = -1, created_dir, ending, ready_fd = -1;

/* To stderr and to the launcher, which reads the ready pipe. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "nsd: %s\n", msg);
    if (ready_fd >= 0 && write(ready_fd, msg, strlen(msg)) < 0)
        ready_fd = -1;   /* the launcher went away */
}

/* Owned by us (or root) and writable by nobody else: a directory someone
 * else planted (say in /tmp) must not hold our socket and secrets. */
static int dir_is_safe(const char *d)
{
    struct stat st;
    if (lstat(d, &st) || !S_ISDIR(st.st_mode) || (st.st_uid != geteuid() && st.st_uid != 0) ||
        (st.st_mode & 022)) {
        fail("%s is not a directory of ours that only we may write", d);
        return 0;
    }
    return 1;
}

/* flock on the lock file; a file removed by an ending nsd between our open
 * and our flock is not the lock any more, so check it is still the one at
 * the path. */
static int take_lock(void)   /* 0, -1 (errno), 1 (said why) */
{
    for (;;) {
        /* 0711: picoprocesses of any uid reach the socket, nobody lists the rest. */
        if (mkdir(dir, 0711) == 0 && !chmod(dir, 0711))
            created_dir = 1;
        else if (errno != EEXIST)
            return -1;
        if (!dir_is_safe(dir))
            return 1;
        int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            if (errno == ENOENT)
                continue;   /* the directory was just removed */
            return -1;
        }
        struct stat a, b;
        if (flock(fd, LOCK_EX) || fstat(fd, &a)) {
            close(fd);
            return -1;
        }
        if (!stat(lock_path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
            lock_fd = fd;
            return 0;
        }
        close(fd);
    }
}

static int socket_answers(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ok = fd >= 0 && !connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (fd >= 0)
        close(fd);
    return ok;
}

int embedded_start(struct nsd *n)
{
    ready_fd = n->ready_fd;
    snprintf(dir, sizeof dir, "%s", n->sock_path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        fail("--embedded needs a socket path in a directory of its own");
        return -1;
    }
    *slash = 0;
    snprintf(lock_path, sizeof lock_path, "%s/nsd.lock", dir);
    int r = take_lock();
    if (r) {
        if (r < 0)
            fail("cannot lock %s: %s", lock_path, strerror(errno));
        return -1;
    }
    return socket_answers(n->sock_path);
}

void embedded_leading(struct nsd *n)
{
    if (n->ready_fd >= 0) {
        ssize_t w = write(n->ready_fd, NSD_EMBEDDED_READY, 1);
        (void)w;   /* a launcher that went away needs no answer */
        close(n->ready_fd);
        n->ready_fd = ready_fd = -1;
    }
    if (lock_fd >= 0)
        flock(lock_fd, LOCK_UN);
}

int embedded_should_end(struct nsd *n, int64_t now)
{
    int64_t count = 1;
    if (ending)
        return 0;
    if (!n->had_conn && now - n->self.started_ms < EMBEDDED_IDLE_MS)
        return 0;
    if (jint(&n->j, &count, "SELECT count(*) FROM sandboxes", "") < 0 || count)
        return 0;
    /* Busy: an nsd is starting (it finds us answering and leaves). */
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB))
        return 0;
    ending = 1;
    return 1;
}

void embedded_cleanup(struct nsd *n)
{
    static const char *const suffix[] = { "", "-wal", "-shm" };
    char p[300];
    if (!ending)
        return;
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        snprintf(p, sizeof p, "%s%s", n->journal_path, suffix[i]);
        unlink(p);
    }
    unlink(lock_path);
    /* names the holder of the launchers' template mount namespace
     * (tools/confine.c), which exits with us */
    snprintf(p, sizeof p, "%s/mntns.pid", dir);
    unlink(p);
    streams_dir_remove(n->sock_path);
    if (created_dir)
        rmdir(dir);
    close(lock_fd);
    lock_fd = -1;
}
