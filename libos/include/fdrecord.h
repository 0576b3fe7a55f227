/* What the libos remembers about each app fd (fs/fdtable.c): the host
 * keeps the fd itself, under the same number. */
#ifndef LIBOS_FDRECORD_H
#define LIBOS_FDRECORD_H

#include <stdint.h>
#include "fdtable.h"
#include "fs.h"

enum fd_kind {
	FD_OTHER, /* pipes, sockets, inherited fds...: nothing to add to the host's view */
	FD_FILE,  /* a host file (or a /proc file's memfd) opened by sandbox path */
	FD_DIR,   /* a host directory */
	FD_VDIR,  /* a made-up directory: the host fd is a placeholder memfd */
	FD_SYSCTL, /* a SysV limit opened for writing: a placeholder memfd, writes go to sys/sysv.c */
};

/* setrlimit(RLIMIT_NOFILE) for the app: only lowering the hard limit is
 * allowed (-EPERM otherwise), as for an unprivileged process. */
int fd_set_limits(uint64_t soft, uint64_t hard);
/* True when the app may have fd: below its soft RLIMIT_NOFILE and below
 * the libos's fds (the host allocates lowest-first, so a new fd past it
 * means the app's table is full). */
bool fd_below_limit(long fd);
/* Takes a host result that may be a new app fd: records it (path may be
 * NULL; list is taken over for FD_VDIR) and returns it. Errors pass
 * through; an fd at or past the app's RLIMIT_NOFILE is closed: -EMFILE. */
long fd_install(long fd, enum fd_kind kind, const char *path, struct dirlist *list);
/* Calls fn for each open app fd (as the host lists them) until it returns
 * nonzero; returns that value, or -errno. */
int fd_foreach_open(int (*fn)(int fd, void *arg), void *arg);
/* Closes the app fds marked close-on-exec (for execve). */
void fd_close_on_exec(void);
/* The host's /proc/self/fd name of fd (buf: HOST_FD_LINK_MAX bytes): the
 * host follows it to whatever fd refers to. */
#define HOST_FD_LINK_MAX 32
const char *host_fd_link(char *buf, int fd);
/* What the host says fd refers to (its /proc/self/fd link text), NUL
 * terminated; the length or -errno. */
long host_fd_readlink(int fd, char *buf, size_t size);
/* Records a path for an FD_OTHER fd (a unix socket's address). */
void fd_set_path(int fd, const char *path);
/* The app renamed from to to: the recorded paths at or below from follow,
 * as the kernel's names of open files do. */
void fd_paths_renamed(const char *from, const char *to);
/* Records of fds closed by the app / made by dup2-style calls. */
void fd_forget_range(int first, int last);
void fd_copy(int from, int to);
/* The kind of app fd fd (FD_OTHER for no record); lock-free. */
enum fd_kind fd_kind_of(int fd);
/* The read- and write-like calls (sys/fd.c), each X(name, its answer on a
 * made-up directory, its answer on a SysV limit). */
#define FD_DATA_CALLS(X)                                                                            \
	X(read, -EISDIR, -EBADF) X(write, -EBADF, SYSCTL_WRITE1) X(pread64, -EISDIR, -EBADF)      \
	X(pwrite64, -EBADF, SYSCTL_WRITE1) X(readv, -EISDIR, -EBADF) X(writev, -EBADF, SYSCTL_WRITEV) \
	X(preadv, -EISDIR, -EBADF) X(pwritev, -EBADF, SYSCTL_WRITEV) X(preadv2, -EISDIR, -EBADF)  \
	X(pwritev2, -EBADF, SYSCTL_WRITEV)
/* True when the call nr of FD_DATA_CALLS on fd goes to the host as it is
 * (the fast path then makes it without the dispatcher). Beside the records
 * (fs/fdtable.c), so that it reads them with no further call. */
bool fd_data_passes(long nr, long fd);
/* The kind of app fd fd; copies its sandbox path (or "") into path. */
enum fd_kind fd_info(int fd, char *path, size_t size);
/* fstat of app fd fd (sys/fd.c), with the app's owner (identity.h):
 * FD_VDIR fds describe their directory. */
int fd_stat(int fd, struct stat *st);
/* Copies st (from a stat that returned e, ids already the app's) to the
 * app (sys/fs.c); returns e or -EFAULT. */
long stat_to_user(int e, const struct stat *st, void *ubuf);
/* Records the two fds a host pipe2/socketpair (result r) made and writes
 * them to the app's int[2]; on failure neither stays open. */
long fd_pair_result(long r, int host_fds[2], int *ufds);
/* getdents64 / lseek on an FD_VDIR fd. */
long fd_vdir_getdents(int fd, void *buf, size_t n);
long fd_vdir_seek(int fd, long off, int whence);

#endif
