/* Sandbox escape probe (not a differential test; see tests/diff/escape.t).
 *
 * usage: escape CONTROL_PATH CONTROL_CONTENT PROBE...
 * Reads CONTROL_PATH and checks it starts with CONTROL_CONTENT (proves the
 * mounts work at all), then tries to reach each PROBE path with open() and
 * stat() and an inotify watch; a PROBE written "w:PATH" instead tries to create PATH (the caller
 * also checks on the host that nothing appeared).  For every probe it prints
 * one line:
 *   "<probe>: ENOENT"       every attempt failed with ENOENT
 *   "<probe>: REACHED ..."  some attempt succeeded (an escape)
 *   "<probe>: <ERRNO>"      failed some other way (e.g. EACCES, which leaks
 *                            that the file exists)
 * Exit 0 iff the control read worked; the caller judges the probe lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *classify(const char *path, char *detail, size_t dlen)
{
    struct stat st;
    if (!strncmp(path, "w:", 2)) {
        int fd = open(path + 2, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd >= 0) {
            close(fd);
            snprintf(detail, dlen, "REACHED create");
            return detail;
        }
        return errno == ENOENT ? "ENOENT" : strerrorname_np(errno);
    }
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        char buf[64] = "";
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        buf[strcspn(buf, "\n")] = 0;
        snprintf(detail, dlen, "REACHED open (%s)", buf);
        return detail;
    }
    int e_open = errno;
    if (stat(path, &st) == 0) {
        snprintf(detail, dlen, "REACHED stat");
        return detail;
    }
    int e_stat = errno;
    int in = inotify_init1(IN_CLOEXEC), wd = in >= 0 ? inotify_add_watch(in, path, IN_ALL_EVENTS) : -1;
    int e_watch = errno;
    if (in >= 0)
        close(in);
    if (wd >= 0) {
        snprintf(detail, dlen, "REACHED inotify");
        return detail;
    }
    if (e_watch != ENOENT)
        return strerrorname_np(e_watch);
    if (e_open != ENOENT)
        return strerrorname_np(e_open);
    if (e_stat != ENOENT)
        return strerrorname_np(e_stat);
    return "ENOENT";
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: escape CONTROL CONTENT PROBE...\n");
        return 2;
    }
    char buf[256] = "";
    int fd = open(argv[1], O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    int control_ok = n >= (ssize_t)strlen(argv[2]) && !strncmp(buf, argv[2], strlen(argv[2]));
    printf("control: %s\n", control_ok ? "readable" : "UNREADABLE");
    for (int i = 3; i < argc; i++) {
        char detail[128];
        printf("%s: %s\n", argv[i], classify(argv[i], detail, sizeof(detail)));
    }
    return control_ok ? 0 : 1;
}
