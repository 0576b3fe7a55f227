/* The RPC stream directory (streams.h). */
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "streams.h"
#include "util.h"

/* The directory made by streams_dir_make(), held open: streams_gone()
 * works inside it by name, so no path it is given leads elsewhere. */
static int dir_fd = -1;

static int dir_of(const char *sock_path, char *out, size_t size)
{
    const char *slash = strrchr(sock_path, '/');
    int n = slash ? snprintf(out, size, "%.*s/rpc", (int)(slash - sock_path), sock_path)
                  : snprintf(out, size, "rpc");
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int streams_dir_make(const char *sock_path)
{
    char d[300];
    struct stat st;
    if (dir_of(sock_path, d, sizeof d))
        return -1;
    if (mkdir(d, 0700) && errno != EEXIST) {
        nsd_log("cannot make the stream directory %s: %s", d, strerror(errno));
        return -1;
    }
    /* Not one that someone else made for us. */
    if (lstat(d, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || chmod(d, 01733)) {
        nsd_log("the stream directory %s is not nsd's own directory", d);
        return -1;
    }
    if (dir_fd < 0)
        dir_fd = open(d, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return 0;
}

/* The name in our directory of a stream address path, or NULL: the
 * address is the process's own claim, so nsd acts only on a plain name
 * whose directory is ours. */
static const char *own_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (dir_fd < 0 || !slash || slash == path || !slash[1] || !strcmp(slash, "/.") ||
        !strcmp(slash, "/.."))
        return NULL;
    char d[300];
    struct stat ds, ours;
    snprintf(d, sizeof d, "%.*s", (int)(slash - path), path);
    if (stat(d, &ds) || fstat(dir_fd, &ours) || ds.st_dev != ours.st_dev || ds.st_ino != ours.st_ino)
        return NULL;
    return slash + 1;
}

void streams_gone(const char *path)
{
    struct stat st;
    const char *slash = path ? strrchr(path, '/') : NULL, *name;
    /* The name first: usually there is none (the process listened at an
     * abstract name, libos/rpc.c, or removed its file as it exited). */
    if (dir_fd < 0 || !slash || fstatat(dir_fd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) || !S_ISSOCK(st.st_mode) ||
        !(name = own_name(path)))
        return;
    /* Still listened on: the name was not this process's (a claim that
     * named another's socket), or its host pid was reused by a process
     * of the same launch that took the name over. Connecting to a socket
     * nobody listens on is refused at once. */
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/%s", dir_fd, name) >=
        (int)sizeof sa.sun_path)
        return;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    int refused = connect(fd, (struct sockaddr *)&sa, sizeof sa) && errno == ECONNREFUSED;
    close(fd);
    if (refused)
        unlinkat(dir_fd, name, 0);
}

int streams_connect(const char *path, int host_pid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(path);
    if (!own_name(path) || n + 1 > sizeof sa.sun_path)
        return -EPERM;
    memcpy(sa.sun_path + 1, path, n); /* the abstract name: a NUL, then the address */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    struct ucred cr = { 0 };
    socklen_t len = sizeof cr;
    int r = connect(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) ?
            -errno : 0;
    if (r == -EAGAIN)
        r = -ECONNREFUSED; /* its backlog is full: as for a listener not there yet */
    if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
        r = -errno;
    if (r == 0 && cr.pid != host_pid) {
        /* Another host process holds the name (the process listens on its
         * file then, which the caller reaches itself). */
        nsd_log("the abstract name of stream %s is held by host pid %d, not by %d", path, (int)cr.pid, host_pid);
        r = -ECONNREFUSED;
    }
    if (r == 0 && fcntl(fd, F_SETFL, 0))
        r = -errno;
    if (r < 0)
        close(fd);
    return r < 0 ? r : fd;
}

void streams_dir_remove(const char *sock_path)
{
    char d[300], p[600];
    if (dir_of(sock_path, d, sizeof d))
        return;
    DIR *dir = opendir(d);
    if (!dir)
        return;
    for (struct dirent *e; (e = readdir(dir));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(p, sizeof p, "%s/%s", d, e->d_name);
            unlink(p);
        }
    }
    closedir(dir);
    rmdir(d);
}
