/* Directory listing and the working directory. The cwd is a canonical
 * sandbox path (proc.cwd), never a host fd: relative paths are joined to it
 * before resolution. */
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "process.h"
#include "syscall.h"
#include "../host/host.h"
#include <linux/fcntl.h>
#include <linux/stat.h>

SYS(getdents64)
{
	int fd = (int)c->a[0];
	if (!fd_app_valid(fd))
		return -EBADF;
	if (!c->a[1])
		return -EFAULT;
	if (fd_info(fd, NULL, 0) == FD_VDIR)
		return fd_vdir_getdents(fd, SYSCALL_ARG(1, void *), (size_t)c->a[2]);
	return host(__NR_getdents64, fd, c->a[1], c->a[2]);
}

/* The legacy getdents (no libc on x86-64 uses it for made-up directories). */
SYS(getdents)
{
	int fd = (int)c->a[0];
	if (!fd_app_valid(fd))
		return -EBADF;
	if (fd_info(fd, NULL, 0) == FD_VDIR)
		return -EINVAL;
	return host(__NR_getdents, fd, c->a[1], c->a[2]);
}

static long set_cwd(const char *path)
{
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	lock(&proc.lock);
	char *old = proc.cwd;
	proc.cwd = p;
	unlock(&proc.lock);
	free(old);
	return 0;
}

void cwd_renamed(const char *from, const char *to)
{
	char path[SANDBOX_PATH_MAX];
	lock(&proc.lock);
	const char *rest = path_under(from, proc.cwd);
	bool moved = rest && path_canon(to, rest, path, sizeof(path)) >= 0;
	unlock(&proc.lock);
	if (moved)
		set_cwd(path);
}

/* The kernel requires search (x) permission on a new cwd: the app's
 * identity's (fs/perm.c), then the host's. */
static int search_allowed(const struct resolved *r)
{
	char buf[HOST_FD_LINK_MAX];
	int dirfd, flags = AT_SYMLINK_NOFOLLOW;
	const char *name = fs_at(r, buf, &dirfd, &flags);
	return fs_may_access(r, MAY_EXEC, false) ?: (int)host(__NR_faccessat2, dirfd, name, 1 /* X_OK */, flags);
}

SYS(chdir)
{
	struct resolved r;
	int e = fs_resolve(AT_FDCWD, SYSCALL_ARG(0, const char *), RES_FOLLOW, &r);
	if (e < 0)
		return e;
	if (r.virt)
		e = r.vn.type == VN_DIR ? 0 : -ENOTDIR;
	else if (!r.exists)
		e = -ENOENT;
	else if (!S_ISDIR(r.st.st_mode))
		e = -ENOTDIR;
	else
		e = search_allowed(&r);
	if (e == 0)
		e = (int)set_cwd(r.path);
	fs_release(&r);
	return e;
}

SYS(fchdir)
{
	char path[SANDBOX_PATH_MAX];
	int fd = (int)c->a[0];
	if (!fd_app_valid(fd) || host(__NR_fcntl, fd, F_GETFD) < 0)
		return -EBADF;
	enum fd_kind k = fd_info(fd, path, sizeof(path));
	if (k != FD_DIR && k != FD_VDIR)
		return -ENOTDIR;
	return set_cwd(path);
}

SYS(getcwd)
{
	char *ubuf = SYSCALL_ARG(0, char *);
	size_t size = (size_t)c->a[1];
	/* Copied out after the lock: a bad buffer (NULL too) faults to -EFAULT
	 * (entry.c), which must not leave proc.lock held. The kernel's order:
	 * a removed cwd is ENOENT, then a short size ERANGE, then the copy. */
	char cwd[SANDBOX_PATH_MAX];
	lock(&proc.lock);
	size_t n = strlcpy(cwd, proc.cwd, sizeof(cwd)) + 1;
	unlock(&proc.lock);
	struct resolved r;
	int e = fs_resolve_path(cwd, 0, &r);
	bool gone = e < 0 || !r.exists;
	if (e == 0)
		fs_release(&r);
	if (gone)
		return -ENOENT;
	if (n > sizeof(cwd) || n > size)
		return -ERANGE;
	memcpy(ubuf, cwd, n);
	return (long)n;
}
