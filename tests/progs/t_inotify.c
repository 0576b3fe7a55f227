/* inotify on paths in the mounts: the events of changes the program makes
 * itself (queued before it reads, so no timing is involved), watch
 * removal, and the errors of add_watch. */
#include "testutil.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct { uint32_t bit; const char *name; } bits[] = {
    { IN_ACCESS, "ACCESS" }, { IN_MODIFY, "MODIFY" }, { IN_ATTRIB, "ATTRIB" },
    { IN_CLOSE_WRITE, "CLOSE_WRITE" }, { IN_CLOSE_NOWRITE, "CLOSE_NOWRITE" }, { IN_OPEN, "OPEN" },
    { IN_MOVED_FROM, "MOVED_FROM" }, { IN_MOVED_TO, "MOVED_TO" }, { IN_CREATE, "CREATE" },
    { IN_DELETE, "DELETE" }, { IN_DELETE_SELF, "DELETE_SELF" }, { IN_IGNORED, "IGNORED" },
    { IN_ISDIR, "ISDIR" },
};

/* Prints every queued event: watch (by the label given), mask names, name. */
static void drain(int in, int wd1, int wd2)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(in, buf, sizeof(buf));
    CHECK(n > 0, "read events");
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *ev = (struct inotify_event *)p;
        printf("event %s:", ev->wd == wd1 ? "dir" : ev->wd == wd2 ? "file" : "?");
        for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
            if (ev->mask & bits[i].bit)
                printf(" %s", bits[i].name);
        printf(" \"%s\"\n", ev->len ? ev->name : "");
        p += sizeof(*ev) + ev->len;
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    CHECK(mkdir("w", 0755) == 0, "mkdir w");
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    CHECK(in >= 0, "inotify_init1");
    int old = inotify_init();
    CHECK(old >= 0 && close(old) == 0, "inotify_init");
    int wd = inotify_add_watch(in, "w", IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO);
    CHECK(wd >= 0, "watch w");
    CHECK(inotify_add_watch(in, "./w/", IN_CREATE | IN_DELETE) == wd, "the same directory by another path: same watch");
    char junk[64];
    CHECK(read(in, junk, sizeof(junk)) == -1 && errno == EAGAIN, "no events yet: EAGAIN");

    int fd = open("w/a", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1 && close(fd) == 0, "create and write w/a");
    CHECK(rename("w/a", "w/b") == 0 && unlink("w/b") == 0, "rename and unlink");
    CHECK(mkdir("w/sub", 0755) == 0, "mkdir w/sub");
    drain(in, wd, -1);

    fd = open("f", O_CREAT | O_WRONLY, 0644);
    int wf = inotify_add_watch(in, "f", IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF);
    CHECK(wf >= 0 && wf != wd, "watch file f");
    CHECK(write(fd, "y", 1) == 1 && fchmod(fd, 0600) == 0, "modify f, chmod f");
    close(fd);
    CHECK(inotify_rm_watch(in, wd) == 0, "rm_watch w");
    drain(in, wd, wf);
    CHECK(unlink("f") == 0, "unlink f");
    drain(in, wd, wf);

    CHECK(symlink("w", "lnk") == 0, "symlink lnk -> w");
    int wl = inotify_add_watch(in, "lnk", IN_ONLYDIR | IN_CREATE);
    CHECK(wl >= 0, "watch through the symlink (followed)");
    int wn = inotify_add_watch(in, "lnk", IN_DONT_FOLLOW | IN_ATTRIB);
    CHECK(wn >= 0 && wn != wl, "IN_DONT_FOLLOW watches the link itself");

    printf("missing: %s\n", inotify_add_watch(in, "nope", IN_CREATE) < 0 ? errname(errno) : "ok");
    close(open("plain", O_CREAT | O_WRONLY, 0644));
    printf("ONLYDIR on a file: %s\n", inotify_add_watch(in, "plain", IN_ONLYDIR | IN_OPEN) < 0 ? errname(errno) : "ok");
    unlink("plain");
    printf("empty mask: %s\n", inotify_add_watch(in, "w", 0) < 0 ? errname(errno) : "ok");
    printf("not an inotify fd: %s\n", inotify_add_watch(1, "w", IN_CREATE) < 0 ? errname(errno) : "ok");
    printf("bad fd: %s\n", inotify_add_watch(-1, "w", IN_CREATE) < 0 ? errname(errno) : "ok");
    printf("rm of no watch: %s\n", inotify_rm_watch(in, 12345) < 0 ? errname(errno) : "ok");
    printf("init1 bad flags: %s\n", inotify_init1(1) < 0 ? errname(errno) : "ok");
    close(in);
    unlink("lnk");
    rmdir("w/sub");
    rmdir("w");
    return tu_done();
}
