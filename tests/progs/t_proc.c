/* /proc/self as seen by the program itself.  Host paths differ between a
 * native and a sandboxed run, so the program prints only path-independent
 * facts: basenames, and whether /proc agrees with what the process knows
 * (argv, getpid, its own open fds). */
#include "testutil.h"
#include <dirent.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    ssize_t r;
    while ((r = read(fd, buf + n, cap - n)) > 0) {
        n += r;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    close(fd);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    char exe[PATH_MAX], real0[PATH_MAX], buf[PATH_MAX];

    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(n > 0, "readlink /proc/self/exe");
    exe[n > 0 ? n : 0] = 0;
    char tmp[PATH_MAX];
    strcpy(tmp, exe);
    printf("exe basename: %s\n", basename(tmp));
    CHECK(realpath(argv[0], real0) && !strcmp(real0, exe), "/proc/self/exe is realpath(argv[0])");

    /* /proc/self names this process. */
    n = readlink("/proc/self", buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    CHECK(n > 0 && atoi(buf) == getpid(), "/proc/self -> getpid()");

    /* cmdline: argv, NUL-separated. */
    size_t len;
    char *cmd = slurp("/proc/self/cmdline", &len);
    int same = cmd != NULL;
    size_t off = 0;
    for (int i = 0; same && i < argc; i++) {
        if (off >= len || strcmp(cmd + off, argv[i]))
            same = 0;
        else
            off += strlen(argv[i]) + 1;
    }
    CHECK(same && off == len, "/proc/self/cmdline equals argv (%d args)", argc);
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);

    /* status: Name is the executable's basename (truncated to 15 chars). */
    char *st = slurp("/proc/self/status", NULL);
    char *name = st ? strstr(st, "Name:") : NULL;
    if (name) {
        char *nl = strchr(name, '\n');
        if (nl)
            *nl = 0;
        printf("status %s\n", name);
    }
    CHECK(name != NULL, "/proc/self/status has a Name: line");
    char *pidl = st && name ? strstr(name + strlen(name) + 1, "\nPid:") : NULL;
    CHECK(pidl && atoi(pidl + 5) == getpid(), "/proc/self/status Pid: matches getpid()");

    /* fd directory lists our fds and their targets. */
    int fd = open("proc_fd_probe.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int p[2];
    if (fd < 0 || pipe(p))
        DIE("open/pipe");
    int seen_fd = 0, seen_p0 = 0, seen_p1 = 0, seen_0 = 0;
    DIR *d = opendir("/proc/self/fd");
    CHECK(d != NULL, "opendir /proc/self/fd");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        int v = atoi(de->d_name);
        if (de->d_name[0] == '.')
            continue;
        seen_fd |= v == fd;
        seen_p0 |= v == p[0];
        seen_p1 |= v == p[1];
        seen_0 |= v == 0;
    }
    if (d)
        closedir(d);
    CHECK(seen_fd && seen_p0 && seen_p1 && seen_0, "/proc/self/fd lists stdin, a file and both pipe ends");
    snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", fd);
    n = readlink(tmp, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("file fd target basename: %s\n", n > 0 ? basename(buf) : "?");
    snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", p[0]);
    n = readlink(tmp, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    CHECK(n > 0 && !strncmp(buf, "pipe:[", 6), "pipe fd target is pipe:[...]");
    /* Opening /proc/self/fd/N reopens the file. */
    if (write(fd, "via-proc", 8) != 8)
        DIE("write");
    snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d", fd);
    int fd2 = open(tmp, O_RDONLY);
    n = fd2 >= 0 ? read(fd2, buf, 8) : -1;
    CHECK(n == 8 && !memcmp(buf, "via-proc", 8), "open(/proc/self/fd/N) reopens the file");
    close(fd2);
    close(fd);
    unlink("proc_fd_probe.txt");
    close(p[0]);
    close(p[1]);

    /* maps: the executable is mapped executable, and there is a [stack]. */
    char *maps = slurp("/proc/self/maps", NULL);
    int exe_x = 0;
    for (char *line = maps ? strtok(maps, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char perms[8] = "";
        int off = 0;
        if (sscanf(line, "%*x-%*x %7s %*x %*s %*d %n", perms, &off) >= 1 && off > 0 &&
            !strcmp(line + off, exe) && perms[2] == 'x')
            exe_x = 1;
    }
    CHECK(exe_x, "/proc/self/maps maps the executable r-x");
    maps = slurp("/proc/self/maps", NULL);
    CHECK(maps && strstr(maps, "[stack]"), "/proc/self/maps has [stack]");

    /* /proc/self/cwd is the cwd. */
    char cwd[PATH_MAX];
    n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    CHECK(getcwd(cwd, sizeof(cwd)) && n > 0 && !strcmp(cwd, buf), "/proc/self/cwd matches getcwd()");
    return tu_done();
}
