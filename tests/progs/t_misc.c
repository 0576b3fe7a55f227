/* Odds and ends: uname, getrandom, prlimit/getrlimit/setrlimit with EMFILE,
 * the virtual /dev nodes, umask, prctl task name, sysconf, ids. */
#include "testutil.h"
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
    struct utsname u;
    CHECK(uname(&u) == 0, "uname");
    printf("sysname %s machine %s\n", u.sysname, u.machine);

    unsigned char r1[32], r2[32];
    CHECK(getrandom(r1, sizeof(r1), 0) == 32 && getrandom(r2, sizeof(r2), GRND_NONBLOCK) == 32, "getrandom 32 bytes twice");
    CHECK(memcmp(r1, r2, 32) != 0, "two random blocks differ");
    static unsigned char big[1 << 16];
    CHECK(getrandom(big, sizeof(big), 0) > 0, "getrandom 64 KiB returns data");

    struct rlimit rl, orl;
    CHECK(prlimit(0, RLIMIT_NOFILE, NULL, &orl) == 0 && orl.rlim_cur >= 64, "prlimit get RLIMIT_NOFILE");
    rl = (struct rlimit){ .rlim_cur = 16, .rlim_max = orl.rlim_max };
    CHECK(prlimit(0, RLIMIT_NOFILE, &rl, NULL) == 0, "prlimit set soft NOFILE = 16");
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 16, "getrlimit sees 16");
    /* Fill the table: fds are allocated lowest-first, so at EMFILE exactly
     * 0..15 must be in use (whatever the harness happened to leave open). */
    int fds[32], nfd = 0, last = 0, highest = -1;
    while (nfd < 32 && (last = open("/dev/null", O_RDONLY)) >= 0) {
        fds[nfd++] = last;
        highest = last > highest ? last : highest;
    }
    int e = errno, all_used = 1;
    for (int i = 0; i < 16; i++)
        all_used &= fcntl(i, F_GETFD) != -1;
    errno = e;
    CHECK(last == -1 && errno == EMFILE && highest <= 15 && all_used, "open until EMFILE: fds 0..15 used");
    while (nfd)
        close(fds[--nfd]);
    CHECK(setrlimit(RLIMIT_NOFILE, &orl) == 0, "restore RLIMIT_NOFILE");
    CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur > 0, "getrlimit RLIMIT_STACK");

    int fd = open("/dev/null", O_RDWR);
    char buf[16];
    CHECK(write(fd, "gone", 4) == 4 && read(fd, buf, 16) == 0, "/dev/null swallows, reads EOF");
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    memset(buf, 1, 16);
    CHECK(read(fd, buf, 16) == 16 && buf[0] == 0 && buf[15] == 0, "/dev/zero reads zeros");
    close(fd);
    fd = open("/dev/urandom", O_RDONLY);
    CHECK(read(fd, buf, 16) == 16, "/dev/urandom reads 16 bytes");
    close(fd);
    struct stat st;
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is a character device");

    umask(027);
    CHECK(umask(022) == 027, "umask round trip");

    char name[16] = "";
    CHECK(prctl(PR_SET_NAME, "renamed") == 0 && prctl(PR_GET_NAME, name) == 0 && !strcmp(name, "renamed"),
          "prctl task name");

    CHECK(sysconf(_SC_PAGESIZE) == 4096, "page size 4096");
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1, "at least one CPU online");
    CHECK(getpid() > 0 && getppid() >= 0, "getpid/getppid");
    CHECK(getuid() == geteuid() && getgid() == getegid(), "real and effective ids agree");
    CHECK(gettid() == getpid(), "main thread tid equals pid");
    return tu_done();
}
