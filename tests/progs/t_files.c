/* Files and directories in the current directory (the harness runs us in a
 * fresh scratch dir, mounted at /tmp under graphene): open/creat/read/write/
 * lseek/pread/pwrite/ftruncate, rename/link/unlink, mkdir/rmdir, getdents64,
 * stat/fstat/lstat, symlink/readlink, *at() variants, fcntl, dup, utimensat,
 * chdir/fchdir/getcwd, access, chmod.  Leaves the directory empty. */
#include "testutil.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmpstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Prints the sorted names in dir (via raw getdents64) with their d_type. */
static void list_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[1024], *names[64];
    int n = 0;
    long nread;
    /* A small buffer forces several getdents64 calls (offset continuation). */
    while (fd >= 0 && (nread = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
        for (long off = 0; off < nread;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            char t = d->d_type == DT_DIR ? 'd' : d->d_type == DT_REG ? 'f' : d->d_type == DT_LNK ? 'l' : '?';
            if (n < 64 && asprintf(&names[n], "%s(%c)", d->d_name, t) > 0)
                n++;
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(names, n, sizeof(names[0]), cmpstr);
    printf("ls %s:", dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

int main(void)
{
    struct stat st;
    char buf[256];
    umask(022);

    CHECK(mkdir("fdir", 0755) == 0, "mkdir fdir");
    CHECK(mkdir("fdir", 0755) == -1 && errno == EEXIST, "mkdir again: EEXIST");
    CHECK(chdir("fdir") == 0, "chdir fdir");
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof(cwd)) && !strcmp(strrchr(cwd, '/'), "/fdir"), "getcwd ends in /fdir");

    int fd = creat("a.txt", 0640);
    CHECK(fd >= 0, "creat a.txt");
    CHECK(write(fd, "hello world\n", 12) == 12, "write 12 bytes");
    CHECK(fstat(fd, &st) == 0 && st.st_size == 12 && (st.st_mode & 07777) == 0640 && S_ISREG(st.st_mode),
          "fstat size 12 mode 0640");
    close(fd);

    fd = open("a.txt", O_RDWR);
    CHECK(read(fd, buf, 5) == 5 && !memcmp(buf, "hello", 5), "read 5");
    CHECK(lseek(fd, 0, SEEK_CUR) == 5, "lseek SEEK_CUR = 5");
    CHECK(lseek(fd, -6, SEEK_END) == 6 && read(fd, buf, 6) == 6 && !memcmp(buf, "world\n", 6), "lseek SEEK_END");
    CHECK(read(fd, buf, 10) == 0, "read at EOF returns 0");
    CHECK(pwrite(fd, "HELLO", 5, 0) == 5 && lseek(fd, 0, SEEK_CUR) == 12, "pwrite leaves offset alone");
    CHECK(pread(fd, buf, 5, 0) == 5 && !memcmp(buf, "HELLO", 5), "pread sees pwrite");
    /* Writing past EOF leaves a zero-filled gap. */
    CHECK(lseek(fd, 100, SEEK_SET) == 100 && write(fd, "Z", 1) == 1, "write at offset 100");
    CHECK(pread(fd, buf, 3, 50) == 3 && buf[0] == 0 && buf[2] == 0, "gap reads as zeros");
    CHECK(ftruncate(fd, 8) == 0 && fstat(fd, &st) == 0 && st.st_size == 8, "ftruncate to 8");
    int fd2 = dup(fd);
    CHECK(fd2 > fd && lseek(fd2, 0, SEEK_CUR) == 101, "dup shares the offset");
    close(fd2);
    CHECK(dup2(fd, 50) == 50 && fcntl(50, F_GETFD) == 0, "dup2 to 50, no FD_CLOEXEC");
    CHECK(fcntl(50, F_SETFD, FD_CLOEXEC) == 0 && fcntl(50, F_GETFD) == FD_CLOEXEC, "F_SETFD FD_CLOEXEC");
    close(50);
    CHECK(fcntl(50, F_GETFD) == -1 && errno == EBADF, "closed fd: EBADF");
    close(fd);

    /* O_APPEND writes always go to the end. */
    fd = open("a.txt", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    CHECK(write(fd, "++", 2) == 2 && fstat(fd, &st) == 0 && st.st_size == 10, "O_APPEND appends");
    CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0, "F_GETFL shows O_APPEND");
    close(fd);
    fd = open("a.txt", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    printf("a.txt: %zd bytes: %.5s..%.2s\n", n, buf, buf + 8);

    CHECK(open("a.txt", O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST, "O_EXCL on existing: EEXIST");
    CHECK(open("missing", O_RDONLY) == -1 && errno == ENOENT, "open missing: ENOENT");
    CHECK(open("a.txt/x", O_RDONLY) == -1 && errno == ENOTDIR, "path through a file: ENOTDIR");
    CHECK(access("a.txt", R_OK | W_OK) == 0 && access("missing", F_OK) == -1, "access");
    CHECK(chmod("a.txt", 0600) == 0 && stat("a.txt", &st) == 0 && (st.st_mode & 0777) == 0600, "chmod 0600");

    /* Hard link, rename over an existing file, unlink. */
    CHECK(link("a.txt", "b.txt") == 0 && stat("a.txt", &st) == 0 && st.st_nlink == 2, "link: nlink 2");
    int tfd = open("c.txt", O_CREAT | O_WRONLY, 0644);
    if (write(tfd, "ccc", 3) != 3)
        DIE("write");
    close(tfd);
    CHECK(rename("c.txt", "b.txt") == 0 && stat("b.txt", &st) == 0 && st.st_size == 3, "rename replaces b.txt");
    CHECK(stat("a.txt", &st) == 0 && st.st_nlink == 1, "a.txt nlink back to 1");
    CHECK(stat("c.txt", &st) == -1 && errno == ENOENT, "c.txt gone after rename");

    /* Symlinks. */
    CHECK(symlink("a.txt", "link") == 0, "symlink");
    n = readlink("link", buf, sizeof(buf));
    CHECK(n == 5 && !memcmp(buf, "a.txt", 5), "readlink");
    CHECK(lstat("link", &st) == 0 && S_ISLNK(st.st_mode) && stat("link", &st) == 0 && S_ISREG(st.st_mode),
          "lstat sees link, stat follows it");
    CHECK(symlink("nowhere", "dangling") == 0 && open("dangling", O_RDONLY) == -1 && errno == ENOENT,
          "dangling symlink: ENOENT");
    CHECK(open("link", O_RDONLY | O_NOFOLLOW) == -1 && errno == ELOOP, "O_NOFOLLOW on symlink: ELOOP");
    CHECK(symlink("loop2", "loop1") == 0 && symlink("loop1", "loop2") == 0 &&
          open("loop1", O_RDONLY) == -1 && errno == ELOOP, "symlink loop: ELOOP");

    /* Directories and the *at() calls. */
    CHECK(mkdir("sub", 0700) == 0, "mkdir sub");
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open dir O_DIRECTORY");
    fd = openat(dfd, "in.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd >= 0 && write(fd, "x", 1) == 1, "openat creates sub/in.txt");
    close(fd);
    CHECK(fstatat(dfd, "in.txt", &st, 0) == 0 && st.st_size == 1, "fstatat");
    CHECK(mkdirat(dfd, "deeper", 0755) == 0, "mkdirat");
    CHECK(renameat(dfd, "in.txt", dfd, "deeper/moved.txt") == 0, "renameat into subdir");
    CHECK(rmdir("sub") == -1 && errno == ENOTEMPTY, "rmdir non-empty: ENOTEMPTY");
    CHECK(unlink("sub") == -1 && errno == EISDIR, "unlink dir: EISDIR");
    CHECK(rmdir("a.txt") == -1 && errno == ENOTDIR, "rmdir file: ENOTDIR");
    list_dir(".");
    list_dir("sub");

    /* Fixed timestamps survive. */
    struct timespec ts[2] = { { 1000000000, 0 }, { 1234567890, 0 } };
    CHECK(utimensat(AT_FDCWD, "a.txt", ts, 0) == 0 && stat("a.txt", &st) == 0 &&
          st.st_mtim.tv_sec == 1234567890 && st.st_atim.tv_sec == 1000000000, "utimensat");

    /* fchdir and relative lookups from there. */
    CHECK(fchdir(dfd) == 0 && stat("deeper/moved.txt", &st) == 0, "fchdir");
    CHECK(chdir("..") == 0 && stat("a.txt", &st) == 0, "chdir ..");

    /* Many files: the directory listing must hold them all (several getdents). */
    int made = 0;
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof(buf), "sub/deeper/f%02d", i);
        int f = open(buf, O_CREAT | O_WRONLY, 0644);
        made += f >= 0;
        close(f);
    }
    CHECK(made == 40, "created 40 files");
    list_dir("sub/deeper");

    /* Clean up through the *at() calls. */
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof(buf), "deeper/f%02d", i);
        unlinkat(dfd, buf, 0);
    }
    CHECK(unlinkat(dfd, "deeper/moved.txt", 0) == 0 && unlinkat(dfd, "deeper", AT_REMOVEDIR) == 0,
          "unlinkat file and dir");
    close(dfd);
    const char *gone[] = { "a.txt", "b.txt", "link", "dangling", "loop1", "loop2" };
    int ok = 1;
    for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
        ok &= unlink(gone[i]) == 0;
    CHECK(ok, "unlink files and symlinks");
    CHECK(rmdir("sub") == 0 && chdir("..") == 0 && rmdir("fdir") == 0, "rmdir everything");
    CHECK(stat("fdir", &st) == -1 && errno == ENOENT, "fdir gone");
    return tu_done();
}
