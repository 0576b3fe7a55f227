/* Calls on file descriptors. App fds are host fds under the same number, so
 * most pass straight through once the fd is known to be the app's; calls
 * that make fds keep the fd table's records in step. */
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "nsd.h"
#include "process.h"
#include "syscall.h"
#include "sysv.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include "signal.h"
#include "sitepolicy.h"
#include "tty.h"
#include <asm/ioctls.h>
#include <linux/close_range.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/uio.h>

#define CHECK_FD(fd)                   \
	do {                           \
		if (!fd_app_valid(fd)) \
			return -EBADF; \
	} while (0)

/* Plain pass-through of a call whose first argument is an app fd; `call` is
 * host or, for calls that may block (pipes, sockets, locks), host_blocking. */
#define FD_CALL(name, call)                                                                   \
	SYS(name)                                                                             \
	{                                                                                     \
		CHECK_FD(c->a[0]);                                                            \
		return call(__NR_##name, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]); \
	}
#define FD_PASSTHROUGH(name) FD_CALL(name, host)
#define FD_BLOCKING(name) FD_CALL(name, host_blocking)

/* Reads and writes: a made-up directory's placeholder memfd must answer as
 * a directory opened O_RDONLY would (read: EISDIR, write: EBADF); a SysV
 * limit's as a file opened for writing (read: EBADF; writes: sys/sysv.c). */
#define SYSCTL_WRITE1 sysv_sysctl_write((int)c->a[0], &(struct iovec){ (void *)c->a[1], c->a[2] }, 1)
#define SYSCTL_WRITEV sysv_sysctl_write((int)c->a[0], (const struct iovec *)c->a[1], (long)c->a[2])
#define FD_DATA(name, vdir_err, sysctl)                                                                  \
	SYS(name)                                                                                        \
	{                                                                                                \
		CHECK_FD(c->a[0]);                                                                       \
		enum fd_kind k = fd_kind_of((int)c->a[0]);                                               \
		if (k == FD_VDIR)                                                                        \
			return vdir_err;                                                                 \
		if (k == FD_SYSCTL)                                                                      \
			return sysctl;                                                                   \
		return host_blocking(__NR_##name, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]); \
	}
FD_DATA_CALLS(FD_DATA)
FD_PASSTHROUGH(ftruncate)
FD_PASSTHROUGH(fsync)
FD_PASSTHROUGH(fdatasync)
FD_PASSTHROUGH(syncfs)
FD_PASSTHROUGH(fallocate)
FD_PASSTHROUGH(fadvise64)
FD_PASSTHROUGH(readahead)
FD_PASSTHROUGH(sync_file_range)
FD_BLOCKING(flock)
FD_PASSTHROUGH(fstatfs)
FD_PASSTHROUGH(timerfd_settime)
FD_PASSTHROUGH(timerfd_gettime)

/* The libos's own xattr, the owner a chown recorded (fs/perm.c), is not
 * the app's: it cannot read, set or remove it, nor see it listed. */
static bool own_xattr(const char *name)
{
	return name && !strcmp(name, OWNER_XATTR);
}

SYS(fgetxattr)
{
	CHECK_FD(c->a[0]);
	return own_xattr(SYSCALL_ARG(1, const char *)) ? -ENODATA
	       : host(__NR_fgetxattr, c->a[0], c->a[1], c->a[2], c->a[3]);
}

SYS(fsetxattr)
{
	CHECK_FD(c->a[0]);
	return own_xattr(SYSCALL_ARG(1, const char *)) ? -EPERM
	       : host(__NR_fsetxattr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4]);
}

SYS(fremovexattr)
{
	CHECK_FD(c->a[0]);
	return own_xattr(SYSCALL_ARG(1, const char *)) ? -ENODATA : host(__NR_fremovexattr, c->a[0], c->a[1]);
}

/* The list without the libos's name (a size query may count it: the
 * answer is then larger than needed, which the app's second call allows). */
SYS(flistxattr)
{
	CHECK_FD(c->a[0]);
	char *list = SYSCALL_ARG(1, char *);
	long n = host(__NR_flistxattr, c->a[0], list, c->a[2]);
	if (n <= 0 || !c->a[2])
		return n;
	for (long i = 0; i < n;) {
		size_t len = strnlen(list + i, (size_t)(n - i)) + 1;
		if (own_xattr(list + i)) {
			memmove(list + i, list + i + len, (size_t)(n - i) - len);
			n -= (long)len;
		} else {
			i += (long)len;
		}
	}
	return n;
}

SYS(sync)
{
	(void)c;
	return host(__NR_sync);
}

int fd_stat(int fd, struct stat *st)
{
	char path[SANDBOX_PATH_MAX];
	if (!fd_app_valid(fd))
		return -EBADF;
	if (fd_info(fd, path, sizeof(path)) != FD_VDIR) {
		int e = (int)host(__NR_fstat, fd, st);
		if (e == 0)
			fd_app_owner(fd, st);
		return e;
	}
	struct resolved r;
	int e = fs_resolve_path(path, 0, &r);
	if (e == 0)
		e = fs_stat(&r, st);
	if (e == 0)
		fs_app_owner(&r, st);
	fs_release(&r);
	return e;
}

SYS(fstat)
{
	struct stat st;
	return stat_to_user(fd_stat((int)c->a[0], &st), &st, SYSCALL_ARG(1, void *));
}

SYS(lseek)
{
	int fd = (int)c->a[0];
	CHECK_FD(fd);
	if (fd_info(fd, NULL, 0) == FD_VDIR)
		return fd_vdir_seek(fd, c->a[1], (int)c->a[2]);
	return host(__NR_lseek, fd, c->a[1], c->a[2]);
}

SYS(close)
{
	int fd = (int)c->a[0];
	CHECK_FD(fd);
	long r = host_close(fd);
	/* the host closes the fd even when it reports an error (EINTR, EIO) */
	if (r != -EBADF)
		fd_forget_range(fd, fd);
	return r;
}

SYS(close_range)
{
	unsigned first = (unsigned)c->a[0], last = (unsigned)c->a[1], flags = (unsigned)c->a[2];
	if (first > last)
		return -EINVAL;
	if (first >= (unsigned)libos_fd_base)
		return 0;
	last = MIN(last, (unsigned)libos_fd_base - 1);
	long r = host(__NR_close_range, first, last, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
		fd_forget_range((int)first, (int)last);
	return r;
}

/* A host result that may be a copy of app fd old. */
static long dup_result(long fd, int old)
{
	if (fd == old) /* dup2(fd, fd): nothing changes */
		return fd;
	fd = fd_install(fd, FD_OTHER, NULL, NULL);
	if (fd >= 0)
		fd_copy(old, (int)fd);
	return fd;
}

SYS(dup)
{
	CHECK_FD(c->a[0]);
	return dup_result(host(__NR_dup, c->a[0]), (int)c->a[0]);
}

SYS(dup2)
{
	CHECK_FD(c->a[0]);
	if (!fd_below_limit(c->a[1]))
		return -EBADF;
	return dup_result(host(__NR_dup2, c->a[0], c->a[1]), (int)c->a[0]);
}

SYS(dup3)
{
	CHECK_FD(c->a[0]);
	if (!fd_below_limit(c->a[1]))
		return -EBADF;
	return dup_result(host(__NR_dup3, c->a[0], c->a[1], c->a[2]), (int)c->a[0]);
}

/* The sandbox pid of an fd's owner (0 once it is gone). */
static int owner_pid(int host_pid)
{
	return pid_from_host(host_pid) ?: pid_from_host_lookup(host_pid);
}

SYS(fcntl)
{
	int fd = (int)c->a[0], cmd = (int)c->a[1];
	CHECK_FD(fd);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
		if (!fd_below_limit(c->a[2]))
			return -EINVAL;
		return dup_result(host(__NR_fcntl, fd, cmd, c->a[2]), fd);
	}
	/* A process group as owner would be the host's (the launching
	 * shell's); the seccomp filter allows only a pid. */
	if ((cmd == F_SETOWN && (int)c->a[2] < 0) || cmd == F_SETOWN_EX)
		return -EPERM;
	/* The owner is a sandbox pid to the app, its host pid to the host. */
	if (cmd == F_SETOWN && (int)c->a[2] > 0) {
		int h = pid_to_host((int)c->a[2]);
		return h < 0 ? h : host(__NR_fcntl, fd, cmd, h);
	}
	long r = host(__NR_fcntl, fd, cmd, c->a[2]);
	if (cmd == F_GETOWN && r > 0)
		r = owner_pid((int)r);
	struct f_owner_ex *ox = SYSCALL_ARG(2, struct f_owner_ex *);
	if (cmd == F_GETOWN_EX && r == 0 && ox->pid > 0)
		ox->pid = owner_pid(ox->pid);
	return r;
}

SYS(ioctl)
{
	int fd = (int)c->a[0];
	unsigned long req = (unsigned long)c->a[1];
	CHECK_FD(fd);
	long r = tty_ioctl(fd, req, c->a[2]);
	if (r != -ENOIOCTLCMD)
		return r;
	/* Faking terminal input (TIOCSTI) or stealing console output
	 * (TIOCCONS) would reach the host's session beyond the sandbox: EPERM
	 * as for a process without CAP_SYS_ADMIN. Any other request not on the
	 * libos's list (sitepolicy.h) is one the sandbox's files do not have. */
	if (req == TIOCSTI || req == TIOCCONS)
		return -EPERM;
	if (!ioctl_allowed((unsigned int)req))
		return -ENOTTY;
	return host(__NR_ioctl, fd, req, c->a[2]);
}

/* Two new fds written to the app's int[2] (pipe2, socketpair). */
long fd_pair_result(long r, int host_fds[2], int *ufds)
{
	if (r < 0)
		return r;
	long a = fd_install(host_fds[0], FD_OTHER, NULL, NULL);
	long b = fd_install(host_fds[1], FD_OTHER, NULL, NULL);
	if (a < 0 || b < 0 || !ufds) {
		if (a >= 0)
			host_close(a);
		if (b >= 0)
			host_close(b);
		return a < 0 ? a : b < 0 ? b : -EFAULT;
	}
	ufds[0] = (int)a;
	ufds[1] = (int)b;
	return 0;
}

SYS(pipe2)
{
	int fds[2];
	return fd_pair_result(host(__NR_pipe2, fds, c->a[1]), fds, SYSCALL_ARG(0, int *));
}

SYS(pipe)
{
	int fds[2];
	return fd_pair_result(host(__NR_pipe2, fds, 0), fds, SYSCALL_ARG(0, int *));
}

SYS(sendfile)
{
	CHECK_FD(c->a[0]);
	CHECK_FD(c->a[1]);
	return host_blocking(__NR_sendfile, c->a[0], c->a[1], c->a[2], c->a[3]);
}

SYS(copy_file_range)
{
	CHECK_FD(c->a[0]);
	CHECK_FD(c->a[2]);
	return host_blocking(__NR_copy_file_range, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

SYS(splice)
{
	CHECK_FD(c->a[0]);
	CHECK_FD(c->a[2]);
	return host_blocking(__NR_splice, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
}

SYS(tee)
{
	CHECK_FD(c->a[0]);
	CHECK_FD(c->a[1]);
	return host_blocking(__NR_tee, c->a[0], c->a[1], c->a[2], c->a[3]);
}

/* Calls that only make a new fd. */
#define NEW_FD(name)                                                                              \
	SYS(name)                                                                                 \
	{                                                                                         \
		return fd_install(host(__NR_##name, c->a[0], c->a[1], c->a[2], c->a[3]), FD_OTHER, NULL, \
		                  NULL);                                                          \
	}

NEW_FD(memfd_create)
NEW_FD(eventfd)
NEW_FD(eventfd2)
NEW_FD(timerfd_create)
