/* Error answers of small calls, compared with Linux: each line shows a call
 * and its result (the native run is the reference).  Only calls that leave
 * host files alone: this program also runs natively, as root. */
#include "testutil.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <unistd.h>

/* SHOW(call): the call's text, its result (0/-1 collapsed to "ok"/errno). */
#define SHOW(x)                                                          \
    do {                                                                 \
        errno = 0;                                                       \
        long r_ = (long)(x);                                             \
        if (r_ < 0)                                                      \
            printf("%s: %s\n", #x, errname(errno));                      \
        else                                                             \
            printf("%s: ok\n", #x);                                      \
    } while (0)

static void getcwd_calls(void)
{
    char buf[4096];
    SHOW(syscall(SYS_getcwd, NULL, 1));
    SHOW(syscall(SYS_getcwd, buf, 0));
    SHOW(syscall(SYS_getcwd, buf, 1));
    SHOW(syscall(SYS_getcwd, NULL, sizeof(buf)));
    SHOW(getcwd(NULL, 1));
    char *p = getcwd(NULL, 0);
    CHECK(p && syscall(SYS_getcwd, buf, strlen(p) + 1) == (long)strlen(p) + 1, "getcwd exact size");
    SHOW(syscall(SYS_getcwd, buf, strlen(p)));
    free(p);
}

static void epoll_calls(void)
{
    struct epoll_event ev = { .events = EPOLLIN };
    SHOW(epoll_create(-1));
    SHOW(epoll_create(0));
    SHOW(epoll_create1(1));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0, "epoll_create1(EPOLL_CLOEXEC)");
    SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    SHOW(epoll_ctl(ep, 99, 0, &ev));
    SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, 0, &ev));
    SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, 12345, &ev));
    SHOW(epoll_wait(ep, &ev, 0, 0));
    /* by number: glibc's declaration makes the compiler refuse maxevents -1 */
    SHOW(syscall(SYS_epoll_wait, ep, &ev, -1, 0));
    SHOW(epoll_wait(0, &ev, 1, 0));
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    close(fd);
    close(ep);
}

static void socket_calls(void)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "sock" };
    struct sockaddr_in in = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int s = socket(AF_INET, SOCK_STREAM, 0);
    SHOW(bind(s, (struct sockaddr *)&un, sizeof(un)));
    SHOW(connect(s, (struct sockaddr *)&un, sizeof(un)));
    SHOW(sendto(s, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&un, sizeof(un)));
    close(s);
    s = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW(bind(s, (struct sockaddr *)&un, sizeof(un)));
    SHOW(sendto(s, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&un, sizeof(un)));
    close(s);
    CHECK(access("sock", F_OK) == -1 && errno == ENOENT, "no socket file left by the refused calls");
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW(bind(s, (struct sockaddr *)&in, sizeof(in)));
    SHOW(connect(s, (struct sockaddr *)&in, sizeof(in)));
    SHOW(bind(s, (struct sockaddr *)&un, 1));
    close(s);
}

static void madvise_calls(void)
{
    char *m = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW(madvise(m, 4096, MADV_MERGEABLE));
    SHOW(madvise(m, 4096, MADV_UNMERGEABLE));
    SHOW(madvise(m, 4096, 12345));
    SHOW(madvise(m + 1, 4096, MADV_DONTNEED));
    SHOW(madvise(m, 4096, MADV_DONTNEED));
    SHOW(madvise(m, 4096, MADV_NORMAL));
    SHOW(madvise(m, 4096, MADV_COLD));
    SHOW(madvise(m, 4096, MADV_DONTFORK));
    SHOW(madvise(m, 4096, MADV_DOFORK));
    munmap(m + 2 * 4096, 4096);
    SHOW(madvise(m, 4 * 4096, MADV_WILLNEED));
    SHOW(madvise(m, 4 * 4096, MADV_NORMAL));
    munmap(m, 4 * 4096);
}

static void prctl_calls(void)
{
    int sig = -1;
    SHOW(prctl(PR_GET_PDEATHSIG, &sig));
    printf("pdeathsig %d\n", sig);
    SHOW(prctl(PR_SET_PDEATHSIG, SIGUSR1));
    SHOW(prctl(PR_GET_PDEATHSIG, &sig));
    printf("pdeathsig %d\n", sig);
    SHOW(prctl(PR_SET_PDEATHSIG, 99));
    SHOW(prctl(PR_SET_PDEATHSIG, 0));
    SHOW(prctl(PR_GET_PDEATHSIG, &sig));
    printf("pdeathsig %d\n", sig);
    int v = -1;
    SHOW(prctl(PR_GET_CHILD_SUBREAPER, &v));
    printf("subreaper %d\n", v);
    SHOW(prctl(PR_GET_KEEPCAPS));
    SHOW(prctl(PR_GET_DUMPABLE));
    SHOW(prctl(PR_SET_DUMPABLE, 5));
    SHOW(prctl(PR_GET_NAME, NULL));
    SHOW(prctl(12345));
}

static void tmpfile_calls(void)
{
    int fd = open(".", O_TMPFILE | O_RDWR, 0600);
    CHECK(fd >= 0 && write(fd, "tmp", 3) == 3, "O_TMPFILE file written");
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    SHOW(linkat(AT_FDCWD, path, AT_FDCWD, "linked", AT_SYMLINK_FOLLOW));
    char buf[8] = "";
    int rfd = open("linked", O_RDONLY);
    CHECK(rfd >= 0 && read(rfd, buf, sizeof(buf)) == 3 && !memcmp(buf, "tmp", 3), "linked O_TMPFILE file reads back");
    close(rfd);
    SHOW(linkat(AT_FDCWD, path, AT_FDCWD, "linked", AT_SYMLINK_FOLLOW));
    SHOW(linkat(fd, "", AT_FDCWD, "linked2", AT_EMPTY_PATH));
    SHOW(linkat(AT_FDCWD, path, AT_FDCWD, "linked3", 0));
    close(fd);
    fd = open(".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    SHOW(linkat(AT_FDCWD, path, AT_FDCWD, "linked4", AT_SYMLINK_FOLLOW));
    close(fd);
    SHOW(open(".", O_TMPFILE | O_RDONLY, 0600));
    unlink("linked");
    unlink("linked2");
    unlink("linked3");
}

static void proc_calls(void)
{
    SHOW(unlink("/proc/self/status"));
    SHOW(unlink("/proc/cpuinfo"));
    SHOW(unlink("/proc/self"));
    SHOW(unlink("/proc/self/fd/0"));
    SHOW(rmdir("/proc/self"));
    SHOW(rmdir("/proc/self/fd"));
    SHOW(rmdir("/proc/sys"));
    SHOW(rmdir("/proc/."));
    SHOW(mkdir("/proc/x", 0755));
    SHOW(open("/proc/newfile", O_CREAT | O_WRONLY, 0644));
    SHOW(rename("/proc/cpuinfo", "/proc/x"));
    SHOW(symlink("a", "/proc/l"));
    SHOW(link("/proc/cpuinfo", "/proc/l"));
    /* mount points */
    SHOW(rmdir("/"));
    SHOW(rmdir("/proc"));
}

/* Entry changes in the mounts: the type and emptiness checks, in Linux's
 * order. */
static void entry_calls(void)
{
    mkdir("d", 0755);
    mkdir("d/full", 0755);
    close(open("d/full/x", O_CREAT | O_WRONLY, 0644));
    mkdir("d/empty", 0755);
    close(open("d/file", O_CREAT | O_WRONLY, 0644));
    SHOW(rmdir("d/full"));
    SHOW(rmdir("d/file"));
    SHOW(unlinkat(AT_FDCWD, "d/file", AT_REMOVEDIR));
    SHOW(unlink("d/empty"));
    SHOW(unlinkat(AT_FDCWD, "d/empty", 0x8000));
    SHOW(rename("d/empty", "d/full"));
    SHOW(rename("d/file", "d/empty"));
    SHOW(rename("d/empty", "d/file"));
    SHOW(rename("d", "d/empty/inside"));
    SHOW(rename("d/empty", "d/empty"));
    SHOW(link("d/empty", "d/dirlink"));
    SHOW(link("d/file", "d/full/x"));
    SHOW(symlink("t", "d/file"));
    SHOW(mkdir("d/file", 0755));
    SHOW(mkdir("d/file/sub", 0755));
    SHOW(open("d/file/x", O_RDONLY));
    SHOW(rmdir("d/empty/."));
    SHOW(rmdir("d/empty/.."));
    SHOW(rmdir("d/nothing"));
    SHOW(unlink(""));
    SHOW(rmdir(""));
    /* the cwd removed from under the process */
    int here = open(".", O_RDONLY | O_DIRECTORY);
    char buf[256];
    SHOW(chdir("d/empty"));
    SHOW(rmdir("../empty"));
    SHOW(syscall(SYS_getcwd, buf, sizeof(buf)));
    SHOW(mkdir("new", 0755));
    SHOW(fchdir(here));
    close(here);
    unlink("d/full/x");
    rmdir("d/full");
    unlink("d/file");
    rmdir("d");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    getcwd_calls();
    epoll_calls();
    socket_calls();
    madvise_calls();
    prctl_calls();
    tmpfile_calls();
    proc_calls();
    entry_calls();
    return tu_done();
}
