/* Path-based file system calls. Each resolves its path(s) in the sandbox
 * (fs/resolve.c) and then acts on the host object through the (dirfd, name)
 * the resolution left, with AT_SYMLINK_NOFOLLOW wherever the host offers
 * it: the final component was checked, so a symlink raced into its place is
 * not followed by the host. */
#include "config.h"
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "process.h"
#include "syscall.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include <asm/statfs.h>
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/stat.h>
#include <linux/time.h>

/* fchmodat2 (Linux 6.6) is the only chmod that can refuse to follow a
 * symlink; the build's UAPI headers may predate it. */
#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

/* A write through a read-only mount is EROFS before the host sees it, as on
 * Linux (the host refuses it too: a read-only host mount, or Landlock where
 * the launcher could not make one, see tools/confine.c). */
static int check_writable(const struct resolved *r)
{
	return !r->virt && mount_readonly(r->mount) ? -EROFS : 0;
}

/* The same for app fd, by the sandbox path it was opened by (an fd the
 * libos recorded no path for is a pipe, a socket...: no mount). */
static int fd_writable(int fd)
{
	char path[SANDBOX_PATH_MAX];
	const char *rel;
	if (!fd_app_valid(fd))
		return -EBADF;
	fd_info(fd, path, sizeof(path));
	int m = path[0] && !vfs_tree(path) ? mount_find(path, &rel) : -1;
	return m >= 0 && mount_readonly(m) ? -EROFS : 0;
}

/* Inside a writable mount the app owns what host root owns (idmapped
 * mounts, tools/confine.c): a set-id bit it set would make a set-id-root
 * program for host users. So the libos never sets one; the seccomp filter
 * refuses the same at its own site. */
static unsigned no_setid(unsigned mode)
{
	return mode & ~(unsigned)(S_ISUID | S_ISGID);
}

/* What open's flags ask of an existing file (O_PATH: nothing but the
 * search on the way). */
static int open_mask(int flags)
{
	static const int acc[] = { MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE };
	if (flags & O_PATH)
		return 0;
	return acc[flags & O_ACCMODE] | (flags & O_TRUNC ? MAY_WRITE : 0);
}

static long do_open(int dirfd, const char *upath, int flags, int mode)
{
	struct resolved r;
	bool excl = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
	int e = fs_resolve(dirfd, upath, (flags & O_NOFOLLOW) || excl ? 0 : RES_FOLLOW, &r);
	if (e < 0)
		return e;
	/* Like Linux: writing, truncating or creating a file; a FIFO or a
	 * device is written without writing the file system. */
	bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	if (r.exists ? writes && (S_ISREG(r.st.st_mode) || S_ISDIR(r.st.st_mode)) : (flags & O_CREAT) != 0)
		e = check_writable(&r);
	if (e == 0 && !(excl && r.exists))
		e = r.exists || !(flags & O_CREAT) ? fs_may_access(&r, open_mask(flags), false)
		                                   : fs_may_change_entry(&r, false);
	bool creates = !r.exists && (flags & O_CREAT);
	long ret = excl && r.exists ? -EEXIST : e ? e : fs_open(&r, flags, (int)no_setid((unsigned)mode));
	if (ret >= 0 && creates && !r.virt)
		fs_record_new((int)ret);
	fs_release(&r);
	return ret;
}

SYS(open)
{
	return do_open(AT_FDCWD, SYSCALL_ARG(0, const char *), (int)c->a[1], (int)c->a[2]);
}

SYS(openat)
{
	return do_open((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2], (int)c->a[3]);
}

SYS(creat)
{
	return do_open(AT_FDCWD, SYSCALL_ARG(0, const char *), O_CREAT | O_WRONLY | O_TRUNC, (int)c->a[1]);
}

/* Runs a host *at call on the object r names: op gets (dirfd, name, flags). */
#define AT_CALL(r, flags, call)                                  \
	({                                                       \
		char at_buf_[HOST_FD_LINK_MAX];                  \
		int at_dirfd_, at_flags_ = (flags);              \
		const char *at_name_ = fs_at((r), at_buf_, &at_dirfd_, &at_flags_); \
		call;                                            \
	})

/* stat-family front end: "" with AT_EMPTY_PATH names dirfd itself. */
static int stat_path(int dirfd, const char *upath, int flags, struct stat *st)
{
	if (upath && !upath[0] && (flags & AT_EMPTY_PATH))
		return dirfd == AT_FDCWD ? stat_path(AT_FDCWD, ".", 0, st) : fd_stat(dirfd, st);
	struct resolved r;
	int e = fs_resolve(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW ? 0 : RES_FOLLOW, &r);
	if (e < 0)
		return e;
	e = fs_may_access(&r, 0, false) ?: fs_stat(&r, st);
	if (e == 0)
		fs_app_owner(&r, st);
	fs_release(&r);
	return e;
}

long stat_to_user(int e, const struct stat *st, void *ubuf)
{
	if (e < 0)
		return e;
	if (!ubuf)
		return -EFAULT;
	memcpy(ubuf, st, sizeof(*st));
	return 0;
}

SYS(stat)
{
	struct stat st;
	return stat_to_user(stat_path(AT_FDCWD, SYSCALL_ARG(0, const char *), 0, &st), &st, SYSCALL_ARG(1, void *));
}

SYS(lstat)
{
	struct stat st;
	return stat_to_user(stat_path(AT_FDCWD, SYSCALL_ARG(0, const char *), AT_SYMLINK_NOFOLLOW, &st), &st,
	                    SYSCALL_ARG(1, void *));
}

SYS(newfstatat)
{
	struct stat st;
	return stat_to_user(stat_path((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[3], &st), &st,
	                    SYSCALL_ARG(2, void *));
}

static void statx_ts(struct statx_timestamp *t, long sec, long nsec)
{
	t->tv_sec = sec;
	t->tv_nsec = (uint32_t)nsec;
}

/* statx for the libos's own objects, from their stat. */
static void stat_to_statx(const struct stat *st, struct statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st->st_blksize;
	sx->stx_nlink = (uint32_t)st->st_nlink;
	sx->stx_uid = st->st_uid;
	sx->stx_gid = st->st_gid;
	sx->stx_mode = (uint16_t)st->st_mode;
	sx->stx_ino = st->st_ino;
	sx->stx_size = st->st_size;
	sx->stx_blocks = st->st_blocks;
	statx_ts(&sx->stx_atime, st->st_atime, st->st_atime_nsec);
	statx_ts(&sx->stx_mtime, st->st_mtime, st->st_mtime_nsec);
	statx_ts(&sx->stx_ctime, st->st_ctime, st->st_ctime_nsec);
	sx->stx_rdev_major = (uint32_t)((st->st_rdev >> 8) & 0xfff);
	sx->stx_rdev_minor = (uint32_t)((st->st_rdev & 0xff) | ((st->st_rdev >> 12) & 0xfff00));
	sx->stx_dev_major = (uint32_t)((st->st_dev >> 8) & 0xfff);
	sx->stx_dev_minor = (uint32_t)((st->st_dev & 0xff) | ((st->st_dev >> 12) & 0xfff00));
}

/* The ids of a statx the host made (successfully: e == 0) on the object
 * (dirfd, name, at_flags), as the app sees them; lookup as for
 * owner_to_app. */
static long statx_ids(long e, struct statx *sx, int dirfd, const char *name, int at_flags, bool lookup)
{
	if (e == 0)
		owner_to_app(dirfd, name, at_flags, lookup, &sx->stx_uid, &sx->stx_gid);
	return e;
}

SYS(statx)
{
	int dirfd = (int)c->a[0], flags = (int)c->a[2];
	const char *upath = SYSCALL_ARG(1, const char *);
	unsigned mask = (unsigned)c->a[3];
	struct statx *ubuf = SYSCALL_ARG(4, struct statx *);
	if (!ubuf)
		return -EFAULT;
	if (upath && !upath[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		if (!fd_app_valid(dirfd))
			return -EBADF;
		if (fd_info(dirfd, NULL, 0) != FD_VDIR) {
			long e = host(__NR_statx, dirfd, "", flags, mask, ubuf);
			if (e == 0) {
				struct stat st = { .st_uid = ubuf->stx_uid, .st_gid = ubuf->stx_gid };
				fd_app_owner(dirfd, &st);
				ubuf->stx_uid = (uint32_t)st.st_uid;
				ubuf->stx_gid = (uint32_t)st.st_gid;
			}
			return e;
		}
	}
	struct resolved r;
	int e = 0;
	if (upath && !upath[0] && (flags & AT_EMPTY_PATH)) {
		struct stat st;
		e = stat_path(dirfd, upath, flags, &st);
		if (e == 0)
			stat_to_statx(&st, ubuf);
		return e;
	}
	e = fs_resolve(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW ? 0 : RES_FOLLOW, &r);
	if (e < 0)
		return e;
	if (r.virt && r.vn.type == VN_FD) {
		e = (int)statx_ids(host(__NR_statx, r.vn.fd, "", AT_EMPTY_PATH, mask, ubuf), ubuf, -1, "", 0, false);
	} else if (r.virt) {
		struct stat st;
		e = fs_stat(&r, &st);
		if (e == 0) {
			fs_app_owner(&r, &st);
			stat_to_statx(&st, ubuf);
		}
	} else if (!r.exists) {
		e = -ENOENT;
	} else if ((e = fs_may_access(&r, 0, false)) < 0) {
		;
	} else {
		int f = (flags & AT_STATX_SYNC_TYPE) | AT_SYMLINK_NOFOLLOW;
		e = (int)AT_CALL(&r, f, statx_ids(host(__NR_statx, at_dirfd_, at_name_, at_flags_, mask, ubuf), ubuf,
		                                  at_dirfd_, at_name_, at_flags_ & AT_SYMLINK_NOFOLLOW,
		                                  !mount_readonly(r.mount)));
	}
	fs_release(&r);
	return e;
}

static long do_access(int dirfd, const char *upath, int mode, int flags)
{
	struct resolved r;
	int e = fs_resolve(dirfd, upath, flags & AT_SYMLINK_NOFOLLOW ? 0 : RES_FOLLOW, &r);
	if (e < 0)
		return e;
	char fdlink[HOST_FD_LINK_MAX];
	if (r.virt && (r.vn.type == VN_DEV || r.vn.type == VN_FD))
		e = (int)host(__NR_faccessat2, AT_FDCWD,
		              r.vn.type == VN_DEV ? r.vn.host_path : host_fd_link(fdlink, r.vn.fd), mode, 0);
	else if (r.virt) /* made-up nodes: r-x directories, r-- files */
		e = (mode & 2 /* W_OK */) || ((mode & 1 /* X_OK */) && r.vn.type != VN_DIR) ? -EACCES : 0;
	else if (!r.exists)
		e = -ENOENT;
	else if ((e = fs_may_access(&r, mode & 7, !(flags & AT_EACCESS))) == 0)
		e = (int)AT_CALL(&r, (flags & AT_EACCESS) | AT_SYMLINK_NOFOLLOW,
		                 host(__NR_faccessat2, at_dirfd_, at_name_, mode, at_flags_));
	fs_release(&r);
	return e;
}

SYS(access)
{
	return do_access(AT_FDCWD, SYSCALL_ARG(0, const char *), (int)c->a[1], 0);
}

SYS(faccessat)
{
	return do_access((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2], 0);
}

SYS(faccessat2)
{
	return do_access((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2], (int)c->a[3]);
}

/* True for the made-up directories that are mount points on Linux: "/"
 * and the roots of /proc and /dev. */
static bool virt_mount_point(const struct resolved *r)
{
	const char *tree = vfs_tree(r->path);
	return !strcmp(r->path, "/") || (tree && !strcmp(tree, r->path));
}

/* Why unlink (rmdir false) or rmdir of a made-up node fails, as Linux
 * answers for procfs and for mount points: the node's type first, then
 * mount points are busy, and the rest cannot be removed. */
static int virt_remove_err(const struct resolved *r, bool rmdir)
{
	bool dir = r->vn.type == VN_DIR;
	if (!rmdir)
		return dir ? -EISDIR : -EPERM;
	if (!dir)
		return -ENOTDIR;
	if (virt_mount_point(r))
		return -EBUSY;
	/* an ancestor of mount points is a directory that holds them */
	return mount_is_ancestor(r->path) ? -ENOTEMPTY : -EPERM;
}

enum entry_op { ENTRY_UNLINK, ENTRY_RMDIR, ENTRY_RENAME };

/* Resolves a path whose final component is to be removed or renamed (op):
 * never followed. A final "." or ".." fails with the op's dots_err
 * (canonical, "d/." would name d itself). A made-up node is refused here
 * for unlink and rmdir; rename decides once it knows the target. */
static int resolve_entry(int dirfd, const char *upath, enum entry_op op, struct resolved *r)
{
	static const int dots_err[][2] = {
		[ENTRY_UNLINK] = { -EISDIR, -EISDIR },
		[ENTRY_RMDIR] = { -EINVAL, -ENOTEMPTY },
		[ENTRY_RENAME] = { -EBUSY, -EBUSY },
	};
	int e = fs_resolve(dirfd, upath, RES_ENTRY, r);
	if (e < 0)
		return e;
	if (r->dots && r->exists)
		e = dots_err[op][r->dots - 1];
	else if (r->virt && op != ENTRY_RENAME) /* the libos's own nodes cannot change */
		e = virt_remove_err(r, op == ENTRY_RMDIR);
	else if (r->virt)
		e = 0;
	else if (!r->name[0]) /* nor can mount points (a directory is EISDIR to unlink) */
		e = op == ENTRY_UNLINK && S_ISDIR(r->st.st_mode) ? -EISDIR : -EBUSY;
	else if (r->exists && r->wants_dir && !S_ISDIR(r->st.st_mode))
		e = -ENOTDIR; /* "file/", or "link/": the link itself is the entry */
	else if (r->exists)
		e = check_writable(r) ?: fs_may_change_entry(r, true);
	else /* the host answers ENOENT, if the way there may be searched */
		e = fs_may_access(r, 0, false);
	if (e < 0)
		fs_release(r);
	return e;
}

/* Resolves a path whose final component is to be created: never followed,
 * so a dangling symlink there is EEXIST as on Linux. */
static int resolve_new(int dirfd, const char *upath, bool dir, struct resolved *r)
{
	int e = fs_resolve(dirfd, upath, RES_ENTRY, r);
	if (e < 0)
		return e;
	if (r->exists)
		e = -EEXIST;
	else if ((r->wants_dir && !dir) || r->dots)
		e = -ENOENT; /* only mkdir may name a new entry "new/"; "new/." is in new */
	else
		e = check_writable(r) ?: fs_may_change_entry(r, false);
	if (e < 0)
		fs_release(r);
	return e;
}

/* A new directory or node made by a non-root identity gets its owner
 * recorded (fs/perm.c); only files and directories can hold one. */
static void record_new(const struct resolved *r, int flags)
{
	long fd = fs_host_open(r, flags | O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
	if (fd >= 0) {
		fs_record_new((int)fd);
		host_close((int)fd);
	}
}

static long do_mknod(int dirfd, const char *upath, unsigned mode, unsigned dev)
{
	unsigned type = mode & S_IFMT;
	if (type != 0 && type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
		return -EPERM; /* device nodes would reach host devices */
	struct resolved r;
	int e = resolve_new(dirfd, upath, false, &r);
	if (e < 0)
		return e;
	e = (int)host(__NR_mknodat, r.dirfd, r.name, no_setid(mode), dev);
	if (e == 0 && (type == 0 || type == S_IFREG))
		record_new(&r, 0);
	fs_release(&r);
	return e;
}

SYS(mknod)
{
	return do_mknod(AT_FDCWD, SYSCALL_ARG(0, const char *), (unsigned)c->a[1], (unsigned)c->a[2]);
}

SYS(mknodat)
{
	return do_mknod((int)c->a[0], SYSCALL_ARG(1, const char *), (unsigned)c->a[2], (unsigned)c->a[3]);
}

static long do_unlink(int dirfd, const char *upath, int flags)
{
	struct resolved r;
	int e = resolve_entry(dirfd, upath, flags & AT_REMOVEDIR ? ENTRY_RMDIR : ENTRY_UNLINK, &r);
	if (e < 0)
		return e;
	e = (int)host(__NR_unlinkat, r.dirfd, r.name, flags & AT_REMOVEDIR);
	fs_release(&r);
	return e;
}

SYS(unlink)
{
	return do_unlink(AT_FDCWD, SYSCALL_ARG(0, const char *), 0);
}

SYS(unlinkat)
{
	if (c->a[2] & ~AT_REMOVEDIR)
		return -EINVAL;
	return do_unlink((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2]);
}

SYS(rmdir)
{
	return do_unlink(AT_FDCWD, SYSCALL_ARG(0, const char *), AT_REMOVEDIR);
}

static long do_mkdir(int dirfd, const char *upath, int mode)
{
	struct resolved r;
	int e = resolve_new(dirfd, upath, true, &r);
	if (e < 0)
		return e;
	e = (int)host(__NR_mkdirat, r.dirfd, r.name, no_setid((unsigned)mode));
	if (e == 0)
		record_new(&r, O_DIRECTORY);
	fs_release(&r);
	return e;
}

SYS(mkdir)
{
	return do_mkdir(AT_FDCWD, SYSCALL_ARG(0, const char *), (int)c->a[1]);
}

SYS(mkdirat)
{
	return do_mkdir((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2]);
}

static long do_rename(int odirfd, const char *uold, int ndirfd, const char *unew, unsigned flags)
{
	struct resolved *o = malloc(2 * sizeof(*o)), *n = o + 1;
	if (!o)
		return -ENOMEM;
	int e = resolve_entry(odirfd, uold, ENTRY_RENAME, o);
	if (e == 0) {
		e = fs_resolve(ndirfd, unew, RES_ENTRY, n);
		if (e == 0) {
			/* made-up nodes: Linux's mount points are busy, procfs has
			 * no rename, and the mounts are other file systems */
			if ((o->virt && virt_mount_point(o)) || (n->virt && virt_mount_point(n)))
				e = -EBUSY;
			else if (o->virt || n->virt)
				e = o->virt && n->virt && vfs_tree(o->path) == vfs_tree(n->path) ? -EPERM : -EXDEV;
			else if (!n->name[0] || n->dots) /* "d/." would replace d */
				e = -EBUSY;
			else if (n->mount != o->mount)
				e = -EXDEV; /* the host may see one file system; Linux sees two mounts */
			else if (o->exists && n->wants_dir && !S_ISDIR(o->st.st_mode))
				e = -ENOTDIR;
			else if ((e = fs_may_change_entry(n, true)) < 0)
				;
			else
				e = (int)host(__NR_renameat2, o->dirfd, o->name, n->dirfd, n->name, flags);
			/* the cwd and fds are sandbox paths: make them follow, as
			 * the kernel's would (an exchange would need a swap) */
			if (e == 0 && !(flags & RENAME_EXCHANGE)) {
				cwd_renamed(o->path, n->path);
				fd_paths_renamed(o->path, n->path);
			}
		}
		fs_release(n);
		fs_release(o);
	}
	free(o);
	return e;
}

SYS(rename)
{
	return do_rename(AT_FDCWD, SYSCALL_ARG(0, const char *), AT_FDCWD, SYSCALL_ARG(1, const char *), 0);
}

SYS(renameat)
{
	return do_rename((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2], SYSCALL_ARG(3, const char *), 0);
}

SYS(renameat2)
{
	return do_rename((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2], SYSCALL_ARG(3, const char *),
	                 (unsigned)c->a[4]);
}

/* The mount of the object behind app fd vn (a followed /proc/self/fd/N):
 * its recorded or translated path, or -1 (a pipe, a socket). */
static int fd_object_mount(const struct vnode *vn)
{
	const char *rel;
	return vn->link[0] == '/' ? mount_find(vn->link, &rel) : -1;
}

static long do_link(int odirfd, const char *uold, int ndirfd, const char *unew, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct resolved *o = malloc(2 * sizeof(*o)), *n = o + 1;
	if (!o)
		return -ENOMEM;
	bool empty = uold && !uold[0] && (flags & AT_EMPTY_PATH);
	int e;
	if (empty) { /* "" names odirfd itself, as /proc/self/fd/N followed does */
		char path[32];
		snprintf(path, sizeof(path), odirfd == AT_FDCWD ? "." : "/proc/self/fd/%d", odirfd);
		e = fs_resolve_path(path, RES_FOLLOW, o);
	} else {
		e = fs_resolve(odirfd, uold, flags & AT_SYMLINK_FOLLOW ? RES_FOLLOW : 0, o);
	}
	if (e == 0) {
		if (!o->exists)
			e = -ENOENT;
		if (e == 0)
			e = resolve_new(ndirfd, unew, false, n);
		if (e == 0) {
			/* the host may see one file system; Linux sees two mounts */
			if (o->virt && o->vn.type == VN_FD) {
				/* an open file, an O_TMPFILE one too: the host links
				 * what the fd refers to, under the same rules */
				char link[HOST_FD_LINK_MAX];
				e = fd_object_mount(&o->vn) != n->mount ? -EXDEV
				    : empty ? (int)host(__NR_linkat, o->vn.fd, "", n->dirfd, n->name, AT_EMPTY_PATH)
				            : (int)host(__NR_linkat, AT_FDCWD, host_fd_link(link, o->vn.fd), n->dirfd,
				                        n->name, AT_SYMLINK_FOLLOW);
			} else if (o->virt) {
				e = -EXDEV; /* /proc and /dev are file systems of their own */
			} else if (!o->name[0]) {
				e = -EPERM; /* a mount point is a directory */
			} else {
				e = n->mount != o->mount ? -EXDEV
				    : (int)host(__NR_linkat, o->dirfd, o->name, n->dirfd, n->name, 0);
			}
			fs_release(n);
		}
		fs_release(o);
	}
	free(o);
	return e;
}

SYS(link)
{
	return do_link(AT_FDCWD, SYSCALL_ARG(0, const char *), AT_FDCWD, SYSCALL_ARG(1, const char *), 0);
}

SYS(linkat)
{
	return do_link((int)c->a[0], SYSCALL_ARG(1, const char *), (int)c->a[2], SYSCALL_ARG(3, const char *),
	               (int)c->a[4]);
}

/* The target is stored as given: the libos interprets it, in sandbox terms,
 * whenever the link is followed. */
static long do_symlink(const char *utarget, int dirfd, const char *upath)
{
	char target[SANDBOX_PATH_MAX];
	long n = user_path(utarget, target);
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	struct resolved r;
	int e = resolve_new(dirfd, upath, false, &r);
	if (e < 0)
		return e;
	e = (int)host(__NR_symlinkat, target, r.dirfd, r.name);
	fs_release(&r);
	return e;
}

SYS(symlink)
{
	return do_symlink(SYSCALL_ARG(0, const char *), AT_FDCWD, SYSCALL_ARG(1, const char *));
}

SYS(symlinkat)
{
	return do_symlink(SYSCALL_ARG(0, const char *), (int)c->a[1], SYSCALL_ARG(2, const char *));
}

static long do_readlink(int dirfd, const char *upath, char *ubuf, long size)
{
	if (size <= 0)
		return -EINVAL;
	if (!ubuf)
		return -EFAULT;
	struct resolved r;
	int e = fs_resolve(dirfd, upath, 0, &r);
	if (e < 0)
		return e;
	long ret;
	if (r.virt) {
		ret = r.vn.type == VN_LINK ? (long)MIN((size_t)size, strlen(r.vn.link)) : -EINVAL;
		if (ret > 0)
			memcpy(ubuf, r.vn.link, ret);
	} else if (!r.exists) {
		ret = -ENOENT;
	} else if (!S_ISLNK(r.st.st_mode) || !r.name[0]) {
		ret = -EINVAL;
	} else if ((ret = fs_may_access(&r, 0, false)) == 0) {
		ret = host(__NR_readlinkat, r.dirfd, r.name, ubuf, size);
	}
	fs_release(&r);
	return ret;
}

SYS(readlink)
{
	return do_readlink(AT_FDCWD, SYSCALL_ARG(0, const char *), SYSCALL_ARG(1, char *), c->a[2]);
}

SYS(readlinkat)
{
	return do_readlink((int)c->a[0], SYSCALL_ARG(1, const char *), SYSCALL_ARG(2, char *), c->a[3]);
}

/* Resolves an existing host object for an attribute change. */
static int resolve_existing(int dirfd, const char *upath, bool follow, struct resolved *r)
{
	int e = fs_resolve(dirfd, upath, follow ? RES_FOLLOW : 0, r);
	if (e < 0)
		return e;
	e = r->virt ? -EPERM : !r->exists ? -ENOENT : check_writable(r) ?: fs_may_access(r, 0, false);
	if (e < 0)
		fs_release(r);
	return e;
}

static long do_chmod(int dirfd, const char *upath, unsigned mode)
{
	struct resolved r;
	int e = resolve_existing(dirfd, upath, true, &r);
	if (e < 0)
		return e;
	e = fs_may_setattr(&r, true);
	if (e == 0)
		e = (int)AT_CALL(&r, AT_SYMLINK_NOFOLLOW,
		                 host(__NR_fchmodat2, at_dirfd_, at_name_, no_setid(mode), at_flags_));
	fs_release(&r);
	return e;
}

SYS(chmod)
{
	return do_chmod(AT_FDCWD, SYSCALL_ARG(0, const char *), (unsigned)c->a[1]);
}

SYS(fchmodat)
{
	return do_chmod((int)c->a[0], SYSCALL_ARG(1, const char *), (unsigned)c->a[2]);
}

/* The app's view of fd's object for an attribute change. */
static int fd_attr_stat(int fd, struct stat *st)
{
	return fd_writable(fd) ?: fd_stat(fd, st);
}

SYS(fchmod)
{
	struct stat st;
	return fd_attr_stat((int)c->a[0], &st) ?: may_setattr(&st, true)
	       ?: host(__NR_fchmod, c->a[0], no_setid((unsigned)c->a[1]));
}

static long do_chown(int dirfd, const char *upath, unsigned long app_uid, unsigned long app_gid, int flags)
{
	/* app ids, recorded by the libos (fs/perm.c); -1 (no change) stays -1 */
	uint32_t uid = (uint32_t)app_uid, gid = (uint32_t)app_gid;
	if (upath && !upath[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		struct stat st;
		int e = fd_attr_stat(dirfd, &st);
		bool holds = S_ISREG(st.st_mode) || S_ISDIR(st.st_mode);
		return e ?: owner_change(holds ? dirfd : -1, &st, uid, gid);
	}
	struct resolved r;
	int e = resolve_existing(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW), &r);
	if (e < 0)
		return e;
	e = fs_chown(&r, uid, gid);
	fs_release(&r);
	return e;
}

SYS(fchown)
{
	return do_chown((int)c->a[0], "", c->a[1], c->a[2], AT_EMPTY_PATH);
}

SYS(chown)
{
	return do_chown(AT_FDCWD, SYSCALL_ARG(0, const char *), c->a[1], c->a[2], 0);
}

SYS(lchown)
{
	return do_chown(AT_FDCWD, SYSCALL_ARG(0, const char *), c->a[1], c->a[2], AT_SYMLINK_NOFOLLOW);
}

SYS(fchownat)
{
	return do_chown((int)c->a[0], SYSCALL_ARG(1, const char *), c->a[2], c->a[3], (int)c->a[4]);
}

/* The kernel's utimensat specials (include/linux/stat.h; not in UAPI). */
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

/* utimensat's permission: times to now need write permission (or
 * ownership), explicit times ownership; both omitted, nothing. */
static bool time_explicit(const struct __kernel_timespec *t)
{
	return t->tv_nsec != UTIME_NOW && t->tv_nsec != UTIME_OMIT;
}

static bool times_explicit(const struct __kernel_timespec *t)
{
	return t && (time_explicit(&t[0]) || time_explicit(&t[1]));
}

static bool times_omitted(const struct __kernel_timespec *t)
{
	return t && t[0].tv_nsec == UTIME_OMIT && t[1].tv_nsec == UTIME_OMIT;
}

static long do_utimens(int dirfd, const char *upath, const struct __kernel_timespec *times, int flags)
{
	bool expl = times_explicit(times);
	if (!upath) { /* futimens: the fd itself */
		struct stat st;
		int e = fd_attr_stat(dirfd, &st);
		if (e == 0 && !times_omitted(times))
			e = may_setattr(&st, expl);
		return e ?: host(__NR_utimensat, dirfd, NULL, times, 0);
	}
	struct resolved r;
	int e = resolve_existing(dirfd, upath, !(flags & AT_SYMLINK_NOFOLLOW), &r);
	if (e < 0)
		return e;
	e = times_omitted(times) ? 0 : fs_may_setattr(&r, expl);
	if (e == 0)
		e = (int)AT_CALL(&r, AT_SYMLINK_NOFOLLOW, host(__NR_utimensat, at_dirfd_, at_name_, times, at_flags_));
	fs_release(&r);
	return e;
}

SYS(utimensat)
{
	return do_utimens((int)c->a[0], SYSCALL_ARG(1, const char *), SYSCALL_ARG(2, const struct __kernel_timespec *),
	                  (int)c->a[3]);
}

SYS(utimes)
{
	const struct { long sec, usec; } *tv = SYSCALL_ARG(1, const void *);
	struct __kernel_timespec ts[2];
	if (tv) {
		for (int i = 0; i < 2; i++) {
			if (tv[i].usec < 0 || tv[i].usec >= 1000000)
				return -EINVAL;
			ts[i].tv_sec = tv[i].sec;
			ts[i].tv_nsec = tv[i].usec * 1000;
		}
	}
	const char *upath = SYSCALL_ARG(0, const char *);
	return upath ? do_utimens(AT_FDCWD, upath, tv ? ts : NULL, 0) : -EFAULT;
}

SYS(utime)
{
	const struct { long actime, modtime; } *ut = SYSCALL_ARG(1, const void *);
	struct __kernel_timespec ts[2];
	if (ut) {
		ts[0] = (struct __kernel_timespec){ ut->actime, 0 };
		ts[1] = (struct __kernel_timespec){ ut->modtime, 0 };
	}
	const char *upath = SYSCALL_ARG(0, const char *);
	return upath ? do_utimens(AT_FDCWD, upath, ut ? ts : NULL, 0) : -EFAULT;
}

SYS(truncate)
{
	struct resolved r;
	int e = resolve_existing(AT_FDCWD, SYSCALL_ARG(0, const char *), true, &r);
	if (e < 0)
		return e;
	/* only a regular file is opened: opening a FIFO to write would block */
	long fd = S_ISDIR(r.st.st_mode)  ? -EISDIR
	          : !S_ISREG(r.st.st_mode) ? -EINVAL
	                                   : fs_may_access(&r, MAY_WRITE, false) ?: fs_host_open(&r, O_WRONLY | O_CLOEXEC, 0);
	fs_release(&r);
	if (fd < 0)
		return fd;
	e = (int)host(__NR_ftruncate, fd, c->a[1]);
	host_close(fd);
	return e;
}

SYS(statfs)
{
	struct statfs *ubuf = SYSCALL_ARG(1, struct statfs *);
	if (!ubuf)
		return -EFAULT;
	struct resolved r;
	int e = fs_resolve(AT_FDCWD, SYSCALL_ARG(0, const char *), RES_FOLLOW, &r);
	if (e < 0)
		return e;
	if (r.virt) {
		memset(ubuf, 0, sizeof(*ubuf));
		ubuf->f_type = path_under("/proc", r.path) ? PROC_SUPER_MAGIC : TMPFS_MAGIC;
		ubuf->f_bsize = ubuf->f_frsize = 4096;
		ubuf->f_namelen = SANDBOX_NAME_MAX;
	} else if (!r.exists) {
		e = -ENOENT;
	} else {
		long fd = fs_host_open(&r, O_PATH | O_CLOEXEC, 0);
		e = fd < 0 ? (int)fd : (int)host(__NR_fstatfs, fd, ubuf);
		if (fd >= 0)
			host_close(fd);
	}
	fs_release(&r);
	return e;
}

/* The host umask is the app's: the host applies it to every creation. */
SYS(umask)
{
	long old = host(__NR_umask, c->a[0] & 0777);
	lock(&proc.lock);
	proc.umask = (int)(c->a[0] & 0777);
	unlock(&proc.lock);
	return old;
}

/* Extended attributes by path: the sandbox's files have none (-EOPNOTSUPP,
 * which ls, cp and tar take as "no ACLs, no labels"); a missing path still
 * fails like one. Through an app fd they are the host's (sys/fd.c). */
static long xattr_path(const char *upath, bool follow)
{
	struct resolved r;
	int e = fs_resolve(AT_FDCWD, upath, follow ? RES_FOLLOW : 0, &r);
	if (e < 0)
		return e;
	e = r.virt || r.exists ? -EOPNOTSUPP : -ENOENT;
	fs_release(&r);
	return e;
}

#define XATTR_PATH(name, follow)                                    \
	SYS(name)                                                   \
	{                                                           \
		return xattr_path(SYSCALL_ARG(0, const char *), follow); \
	}

XATTR_PATH(getxattr, true)
XATTR_PATH(lgetxattr, false)
XATTR_PATH(listxattr, true)
XATTR_PATH(llistxattr, false)
XATTR_PATH(setxattr, true)
XATTR_PATH(lsetxattr, false)
XATTR_PATH(removexattr, true)
XATTR_PATH(lremovexattr, false)
