/* The RPC stream directory (streams.h). */
#include <dirent.h>
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

void streams_gone(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (dir_fd < 0 || !slash || slash == path || !slash[1] || !strcmp(slash, "/.") ||
        !strcmp(slash, "/.."))
        return;
    /* The address is the process's own claim: act only on a socket whose
     * directory is ours. */
    char d[300];
    struct stat ds, ours, st;
    snprintf(d, sizeof d, "%.*s", (int)(slash - path), path);
    const char *name = slash + 1;
    /* The name first: usually its process removed it as it exited. */
    if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISSOCK(st.st_mode) || stat(d, &ds) ||
        fstat(dir_fd, &ours) || ds.st_dev != ours.st_dev || ds.st_ino != ours.st_ino)
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
