/* Opening a resolved sandbox object for the app (open, openat, creat,
 * openat2): the new host fd is the app fd, recorded with its sandbox path. */
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "sysv.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/memfd.h>
#include <linux/stat.h>

/* The flags the libos passes on; open(2) ignores unknown bits. */
#define OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | \
                    O_DSYNC | FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | \
                    O_NOATIME | O_CLOEXEC | __O_SYNC | O_PATH | __O_TMPFILE)

static long open_virtual(struct resolved *r, int flags)
{
	char link[HOST_FD_LINK_MAX];
	long fd;
	switch (r->vn.type) {
	case VN_DIR: {
		if ((flags & __O_TMPFILE) == __O_TMPFILE)
			return -EOPNOTSUPP; /* as procfs says */
		if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))
			return -EISDIR;
		/* the placeholder first, so that /proc/self/fd lists itself */
		struct dirlist dl = { 0 };
		fd = host(__NR_memfd_create, "graphene-dir", flags & O_CLOEXEC ? MFD_CLOEXEC : 0);
		int e = fd < 0 ? 0 : vfs_list(r->path, &dl);
		if (e < 0) {
			host_close(fd);
			fd = e;
		}
		fd = fd_install(fd, FD_VDIR, r->path, &dl);
		dirlist_free(&dl);
		return fd;
	}
	case VN_FILE:
		if (flags & O_DIRECTORY)
			return -ENOTDIR;
		if ((flags & O_ACCMODE) != O_RDONLY) {
			fd = sysv_sysctl_open_write(path_under("/proc", r->path));
			if (fd > 0 && (flags & O_CLOEXEC))
				host(__NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
			return fd ? fd_install(fd, FD_OTHER, r->path, NULL) : -EACCES;
		}
		fd = procfs_open(path_under("/proc", r->path));
		if (fd >= 0 && (flags & O_CLOEXEC))
			host(__NR_fcntl, fd, F_SETFD, FD_CLOEXEC);
		return fd_install(fd, FD_FILE, r->path, NULL);
	case VN_DEV:
		fd = host(__NR_openat, AT_FDCWD, r->vn.host_path, flags & ~(O_CREAT | O_EXCL | O_TMPFILE), 0);
		return fd_install(fd, FD_FILE, r->path, NULL);
	case VN_FD:
		/* reopens what the app's own fd refers to (a pipe, a socket...) */
		return fd_install(host(__NR_openat, AT_FDCWD, host_fd_link(link, r->vn.fd), flags & ~(O_CREAT | O_EXCL), 0),
		                  FD_OTHER, NULL, NULL);
	case VN_LINK:
		return -ELOOP; /* only reached with O_NOFOLLOW */
	default:
		return -ENOENT;
	}
}

long fs_host_open(const struct resolved *r, int flags, int mode)
{
	long fd;
	if (!(flags & (O_CREAT | __O_TMPFILE)))
		mode = 0;
	if (r->name[0]) {
		/* One component in the resolved parent, never through a symlink:
		 * as openat2 beneath would, but with the mode where the seccomp
		 * filter sees it (no setuid files from the libos's site). */
		fd = host(__NR_openat, r->dirfd, r->name, flags | O_NOFOLLOW, mode & 07777);
		/* O_PATH|O_NOFOLLOW opens a symlink itself: one raced into place
		 * when the app did not ask for that is refused as openat2 did */
		struct stat st;
		if (fd >= 0 && (flags & (O_PATH | O_NOFOLLOW)) == O_PATH &&
		    (host(__NR_fstat, fd, &st) < 0 || S_ISLNK(st.st_mode))) {
			host_close((int)fd);
			fd = -ELOOP;
		}
	} else {
		/* a mount point itself: reopen the root through its O_PATH fd's
		 * magic link, which O_NOFOLLOW would stop at (the root itself is
		 * never a symlink) */
		char link[HOST_FD_LINK_MAX];
		int dirfd;
		const char *name = fs_at(r, link, &dirfd, NULL);
		fd = host(__NR_openat, dirfd, name, flags & ~O_NOFOLLOW, mode);
	}
	return fd == -EXDEV ? -ENOENT : fd;
}

long fs_open(struct resolved *r, int flags, int mode)
{
	flags &= OPEN_FLAGS;
	if (r->virt)
		return open_virtual(r, flags);
	if (!r->exists && !(flags & O_CREAT))
		return -ENOENT;
	if (!r->exists && r->wants_dir)
		return -EISDIR;
	bool dir = r->exists && S_ISDIR(r->st.st_mode);
	/* the parent's fd must not take the number the app's new fd should get */
	if (r->own_dirfd) {
		int fd = fd_make_private(r->dirfd);
		if (fd < 0) {
			r->own_dirfd = false;
			return fd;
		}
		r->dirfd = fd;
	}
	/* an O_TMPFILE fd is an unnamed file in directory r: no path of its
	 * own (/proc/self/fd shows the host's name for it, translated) */
	bool tmpfile = (flags & __O_TMPFILE) == __O_TMPFILE;
	return fd_install(fs_host_open(r, flags, mode), dir && !tmpfile ? FD_DIR : FD_FILE,
	                  tmpfile ? NULL : r->path, NULL);
}

/* /proc/self/fd/N (fexecve): the open file itself, reopened through the
 * host's link, as Linux runs it; the host checks its x bits. */
static long open_exec_fd(const struct resolved *r, char **canonical)
{
	char link[HOST_FD_LINK_MAX];
	struct stat st;
	long fd = host(__NR_openat, AT_FDCWD, host_fd_link(link, r->vn.fd), O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return fd;
	long e = host(__NR_fstat, fd, &st) < 0 || !S_ISREG(st.st_mode) ? -EACCES
	         : host(__NR_faccessat2, fd, "", 1 /* X_OK */, AT_EMPTY_PATH);
	if (e == 0 && !(*canonical = strdup(r->vn.link)))
		e = -ENOMEM;
	if (e < 0) {
		host_close(fd);
		return e;
	}
	return fd_make_private((int)fd);
}

long fs_open_exec(const char *path, char **canonical)
{
	struct resolved r;
	int e = fs_resolve_path(path, RES_FOLLOW, &r);
	if (e < 0)
		return e;
	if (r.virt && r.vn.type == VN_FD) {
		long fd = open_exec_fd(&r, canonical);
		fs_release(&r);
		return fd;
	}
	long fd = -ENOENT;
	if (r.virt)
		fd = -EACCES;
	else if (r.exists && !S_ISREG(r.st.st_mode)) /* execve of a directory is EACCES too */
		fd = -EACCES;
	else if (r.exists)
		fd = fs_may_access(&r, MAY_EXEC, false) ?: fs_host_open(&r, O_RDONLY | O_CLOEXEC, 0);
	if (fd >= 0) {
		/* the host checks the x bits (and noexec mounts) for us */
		char buf[HOST_FD_LINK_MAX];
		int dirfd, flags = AT_SYMLINK_NOFOLLOW;
		const char *name = fs_at(&r, buf, &dirfd, &flags);
		long x = host(__NR_faccessat2, dirfd, name, 1 /* X_OK */, flags);
		*canonical = x < 0 ? NULL : strdup(r.path);
		if (x < 0 || !*canonical) {
			host_close(fd);
			fd = x < 0 ? x : -ENOMEM;
		}
	}
	fs_release(&r);
	return fd < 0 ? fd : fd_make_private((int)fd);
}
