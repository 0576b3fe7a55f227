/* The RPC stream directory (streams.h). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "streams.h"
#include "util.h"

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
    return 0;
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
