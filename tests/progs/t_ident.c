/* Identity and limits the app inherits or sets: the umask, RLIMIT_NOFILE
 * and RLIMIT_STACK, the hostname (uname, /proc/sys/kernel, sethostname). */
#include "testutil.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static void umask_checks(void)
{
    mode_t old = umask(0);
    umask(old);
    printf("initial umask %03o\n", (unsigned)old);
    int fd = open("f", O_CREAT | O_WRONLY, 0666);
    struct stat st;
    CHECK(fd >= 0 && fstat(fd, &st) == 0, "create f");
    printf("file mode %03o\n", (unsigned)(st.st_mode & 0777));
    close(fd);
    CHECK(mkdir("d", 0777) == 0 && stat("d", &st) == 0, "mkdir d");
    printf("dir mode %03o\n", (unsigned)(st.st_mode & 0777));
    unlink("f");
    rmdir("d");
}

static void show_limit(const char *what, int res)
{
    struct rlimit rl;
    CHECK(getrlimit(res, &rl) == 0, "getrlimit %s", what);
    printf("%s soft %lld hard %lld\n", what, rl.rlim_cur == RLIM_INFINITY ? -1LL : (long long)rl.rlim_cur,
           rl.rlim_max == RLIM_INFINITY ? -1LL : (long long)rl.rlim_max);
}

/* The limits the caller set are the app's: soft up to hard may be set. */
static void nofile_checks(void)
{
    show_limit("nofile", RLIMIT_NOFILE);
    struct rlimit rl, orig;
    getrlimit(RLIMIT_NOFILE, &orig);
    rl = (struct rlimit){ orig.rlim_max, orig.rlim_max };
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "raise soft NOFILE to hard");
    show_limit("nofile", RLIMIT_NOFILE);
    rl.rlim_cur = rl.rlim_max + 1;
    CHECK(setrlimit(RLIMIT_NOFILE, &rl) == -1 && errno == EINVAL, "NOFILE soft above hard: EINVAL");
    int fds[16], n = 0;
    while (n < 16 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
        n++;
    CHECK(n == 16, "16 files open");
    while (n)
        close(fds[--n]);
    CHECK(setrlimit(RLIMIT_NOFILE, &orig) == 0, "restore NOFILE");
}

static void show_file(const char *path)
{
    char buf[256] = "";
    FILE *f = fopen(path, "r");
    CHECK(f && fgets(buf, sizeof(buf), f), "read %s", path);
    buf[strcspn(buf, "\n")] = 0;
    printf("%s: %s\n", path, buf);
    if (f)
        fclose(f);
}

/* "kind:[inode]" with the number left out: it is the host's natively. */
static void show_ns(const char *name)
{
    char path[64], link[64] = "", pid_link[64] = "";
    snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    char *br = strchr(link, '[');
    unsigned long ino = 0;
    int ok = n > 0 && br && sscanf(br, "[%lu]", &ino) == 1 && ino > 0;
    CHECK(ok, "readlink %s", path);
    if (br)
        *br = 0;
    printf("ns %s -> %s[N]\n", name, link);
    if (!strcmp(name, "pid_for_children")) {
        readlink("/proc/self/ns/pid", pid_link, sizeof(pid_link) - 1);
        link[0] = 0;
        readlink(path, link, sizeof(link) - 1);
        CHECK(!strcmp(link, pid_link), "pid_for_children is pid's namespace");
    }
}

/* The host's names by default (the manifest may set its own); /proc/sys
 * and /proc/self/ns exist. */
static void name_checks(void)
{
    struct utsname u;
    CHECK(uname(&u) == 0, "uname");
    printf("nodename %s domainname %s\n", u.nodename, u.domainname);
    show_file("/proc/sys/kernel/hostname");
    show_file("/proc/sys/kernel/domainname");
    show_file("/proc/sys/kernel/tainted");
    show_file("/proc/sys/kernel/core_pattern");
    char host[128] = "";
    CHECK(gethostname(host, sizeof(host)) == 0 && !strcmp(host, u.nodename), "gethostname agrees with uname");
    static const char *const ns[] = { "cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                                      "time_for_children", "user", "uts" };
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
        show_ns(ns[i]);
    DIR *d = opendir("/proc/self/ns");
    struct dirent *e;
    int count = 0;
    while (d && (e = readdir(d)))
        count += e->d_name[0] != '.';
    if (d)
        closedir(d);
    printf("/proc/self/ns entries: %d\n", count);
}

/* Uses about 32 MiB of stack, more than the usual 8 MiB default. */
static unsigned deep(int n)
{
    volatile unsigned char frame[64 << 10];
    frame[0] = (unsigned char)n;
    frame[sizeof(frame) - 1] = 1;
    return n ? deep(n - 1) + frame[0] + frame[sizeof(frame) - 1] : 0;
}

/* RLIMIT_STACK is recorded, and the next program's stack is that large. */
static void stack_checks(const char *self)
{
    show_limit("stack", RLIMIT_STACK);
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (64 << 20)) {
        printf("stack hard limit below 64 MiB: not raised\n"); /* the same on both sides */
        return;
    }
    rl.rlim_cur = 64 << 20;
    CHECK(setrlimit(RLIMIT_STACK, &rl) == 0, "setrlimit STACK 64M");
    show_limit("stack", RLIMIT_STACK);
    rl.rlim_cur = RLIM_INFINITY;
    rl.rlim_max = 64 << 20;
    CHECK(setrlimit(RLIMIT_STACK, &rl) == -1 && errno == EINVAL, "STACK soft above hard: EINVAL");
    fflush(stdout);
    execl(self, self, "deep", (char *)NULL);
    CHECK(0, "execve self");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "deep")) {
        show_limit("stack after execve", RLIMIT_STACK);
        printf("deep recursion: %u\n", deep(512));
        return tu_done();
    }
    umask_checks();
    name_checks();
    nofile_checks();
    stack_checks(argv[0]);
    return tu_done();
}
