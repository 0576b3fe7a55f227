/* Path resolution: sandbox path -> host object, never outside the mounts.
 *
 * A path is first made canonical lexically (against the cwd or a dirfd's
 * recorded path), so ".." is applied to sandbox paths and never reaches the
 * host. The longest-prefix mount then opens the rest relative to its root
 * fd in one openat2 with RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS: the host
 * refuses to go above the root or through any symlink. When it meets one
 * (ELOOP), the directories are walked one by one to find it, its target is
 * read and spliced into the sandbox path (absolute targets from the sandbox
 * root, possibly another mount), and resolution starts over: symlinks are
 * always interpreted by the libos, in sandbox terms. */
#include "fdrecord.h"
#include "fs.h"
#include "process.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>

#define MAX_LINKS 40

long user_path(const char *upath, char *buf)
{
	if (!upath)
		return -EFAULT;
	size_t n = strnlen(upath, SANDBOX_PATH_MAX);
	if (n == SANDBOX_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, upath, n + 1);
	return (long)n;
}

/* openat2 takes its flags and mode in memory the seccomp filter cannot
 * read, so the libos's openat2 calls use only these read-only structs and
 * the filter allows openat2 with `how` at one of them: never O_CREAT, so
 * openat2 from the libos's site cannot create (a setuid file, say). */
const struct open_how how_beneath_dir = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                                   .resolve = RESOLVE_SANDBOX };
const struct open_how how_beneath_nofollow = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
	                                        .resolve = RESOLVE_SANDBOX };

/* Opens a directory or path component for the libos's own use. The fd
 * stays in the app's range for the (short) life of the call: moving it costs
 * two host calls, paid only where the call makes an app fd (fs_open). */
static long open_beneath(int dirfd, const char *name, const struct open_how *how)
{
	long r = host(__NR_openat2, dirfd, name, how, sizeof(*how));
	/* EXDEV: the host saw an attempt to leave the root; look like ENOENT */
	return r == -EXDEV ? -ENOENT : r;
}

static long host_lstat(int dirfd, const char *name, struct stat *st)
{
	return host(__NR_newfstatat, dirfd, name, st, AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH));
}

static long read_link(int dirfd, const char *name, char *buf)
{
	long n = host(__NR_readlinkat, dirfd, name, buf, SANDBOX_PATH_MAX - 1);
	if (n >= 0)
		buf[n] = 0;
	return n;
}

/* The one-call open met a symlink among the directories of rel (below mount
 * point mpath): walk them to find the first, and write the path it leads to
 * (with the rest of rel) into out. */
static long splice_first_link(int root, const char *mpath, const char *rel, char *out)
{
	char prefix[SANDBOX_PATH_MAX], link_path[SANDBOX_PATH_MAX], target[SANDBOX_PATH_MAX];
	char name[SANDBOX_NAME_MAX + 1];
	int cur = root;
	const char *s = rel;
	long r = -ELOOP;
	while (*s) {
		const char *c = s;
		while (*s && *s != '/')
			s++;
		size_t n = s - c;
		if (n > SANDBOX_NAME_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(name, c, n);
		name[n] = 0;
		memcpy(prefix, rel, s - rel);
		prefix[s - rel] = 0;
		if (*s)
			s++;
		long fd = open_beneath(cur, name, &how_beneath_nofollow);
		if (cur != root)
			host_close(cur);
		cur = root;
		if (fd < 0) {
			r = fd;
			break;
		}
		struct stat st;
		r = host_lstat((int)fd, "", &st);
		if (r >= 0 && S_ISLNK(st.st_mode)) {
			r = read_link((int)fd, "", target);
			if (r >= 0)
				r = path_canon(mpath, prefix, link_path, sizeof(link_path));
			if (r >= 0)
				r = path_splice(link_path, target, s, out, SANDBOX_PATH_MAX);
		}
		if (r < 0 || S_ISLNK(st.st_mode)) {
			host_close(fd);
			return r;
		}
		cur = (int)fd;
		/* no link found so far (if none at all: it was swapped meanwhile) */
		r = -ELOOP;
	}
	if (cur != root)
		host_close(cur);
	return r;
}

/* Made-up trees (/proc, /dev): look every prefix up, since their symlinks
 * (/proc/self, /dev/fd...) may sit anywhere on the way. Returns 0 when r is
 * resolved, 1 when out holds a new path to resolve, or -errno. */
static int resolve_virtual(struct resolved *r, int flags, const char *tree, char *out)
{
	size_t len = strlen(tree);
	for (;;) {
		char c = r->path[len];
		r->path[len] = 0;
		int e = vfs_lookup(r->path, &r->vn);
		r->path[len] = c;
		if (e < 0)
			return e;
		bool final = c == 0;
		const char *rest = final ? "" : r->path + len + 1;
		bool follow = !final || (flags & RES_FOLLOW) || (r->wants_dir && !(flags & RES_ENTRY));
		bool is_link = r->vn.type == VN_LINK || (r->vn.type == VN_FD && !r->vn.reopen);
		if (follow && (is_link || (r->vn.type == VN_FD && !final))) {
			r->path[len] = 0;
			long n = path_splice(r->path, r->vn.link, rest, out, SANDBOX_PATH_MAX);
			r->path[len] = c;
			return n < 0 ? (int)n : 1;
		}
		if (final)
			break;
		if (r->vn.type != VN_DIR)
			return -ENOTDIR;
		len++;
		while (r->path[len] && r->path[len] != '/')
			len++;
	}
	/* VN_FD stands for the object behind the fd; not followed, a link */
	if (r->vn.type == VN_FD && !(flags & RES_FOLLOW))
		r->vn.type = VN_LINK;
	/* an fd still here was not followed by a directory path: ask the host */
	struct stat st;
	if (r->wants_dir && !(flags & RES_ENTRY) && r->vn.type != VN_DIR &&
	    !(r->vn.type == VN_FD && host(__NR_fstat, r->vn.fd, &st) == 0 && S_ISDIR(st.st_mode)))
		return -ENOTDIR;
	r->virt = true;
	r->exists = true;
	return 0;
}

/* A path below mount m. Same return convention as resolve_virtual. */
static int resolve_host(struct resolved *r, int flags, int m, const char *rel, char *out)
{
	int root = mount_root_fd(m);
	r->mount = m;
	if (!*rel) {
		r->dirfd = root;
		r->name = "";
		r->exists = true;
		return (int)host_lstat(root, "", &r->st);
	}
	char parent[SANDBOX_PATH_MAX], target[SANDBOX_PATH_MAX];
	r->name = path_split(rel, parent, sizeof(parent));
	if (strlen(r->name) > SANDBOX_NAME_MAX)
		return -ENAMETOOLONG;
	if (r->name == rel) {
		r->dirfd = root;
	} else {
		long fd = open_beneath(root, parent, &how_beneath_dir);
		if (fd == -ELOOP) {
			long n = splice_first_link(root, mount_path(m), rel, out);
			return n < 0 ? (int)n : 1;
		}
		if (fd < 0)
			return (int)fd;
		r->dirfd = (int)fd;
		r->own_dirfd = true;
	}
	long e = host_lstat(r->dirfd, r->name, &r->st);
	if (e == -ENOENT)
		return 0;
	if (e < 0)
		return (int)e;
	r->exists = true;
	if (S_ISLNK(r->st.st_mode) && ((flags & RES_FOLLOW) || (r->wants_dir && !(flags & RES_ENTRY)))) {
		long n = read_link(r->dirfd, r->name, target);
		if (n >= 0)
			n = path_splice(r->path, target, "", out, SANDBOX_PATH_MAX);
		return n < 0 ? (int)n : 1;
	}
	return 0;
}

/* r->path holds a canonical sandbox path. */
static int resolve_canon(struct resolved *r, int flags)
{
	char next[SANDBOX_PATH_MAX];
	for (int links = 0;; links++) {
		int ret;
		const char *rel;
		fs_release(r);
		r->virt = r->exists = false;
		r->name = "";
		if (links > MAX_LINKS)
			return -ELOOP;
		const char *tree = vfs_tree(r->path);
		if (tree) {
			ret = resolve_virtual(r, flags, tree, next);
		} else {
			int m = mount_find(r->path, &rel);
			if (m >= 0)
				ret = resolve_host(r, flags, m, rel, next);
			else if (mount_is_ancestor(r->path))
				ret = resolve_virtual(r, flags, r->path, next);
			else
				ret = -ENOENT;
		}
		if (ret < 0) {
			fs_release(r);
			return ret;
		}
		if (ret == 0) {
			if (!r->virt && r->exists && r->wants_dir && !(flags & RES_ENTRY) &&
			    !S_ISDIR(r->st.st_mode)) {
				fs_release(r);
				return -ENOTDIR;
			}
			return 0;
		}
		memcpy(r->path, next, strlen(next) + 1);
	}
}

static int start(struct resolved *r, const char *base, const char *path, int flags)
{
	r->dirfd = -1;
	r->own_dirfd = false;
	r->wants_dir = path_wants_dir(path);
	r->dots = path_last_dots(path);
	long n = path_canon(base, path, r->path, sizeof(r->path));
	return n < 0 ? (int)n : resolve_canon(r, flags);
}

/* The canonical sandbox directory relative paths start from. */
static int base_dir(int dirfd, char *base)
{
	if (dirfd == AT_FDCWD) {
		lock(&proc.lock);
		strlcpy(base, proc.cwd, SANDBOX_PATH_MAX);
		unlock(&proc.lock);
		return 0;
	}
	if (!fd_app_valid(dirfd) || host(__NR_fcntl, dirfd, F_GETFD) < 0)
		return -EBADF;
	enum fd_kind k = fd_info(dirfd, base, SANDBOX_PATH_MAX);
	return k == FD_DIR || k == FD_VDIR ? 0 : -ENOTDIR;
}

int fs_resolve(int dirfd, const char *upath, int flags, struct resolved *r)
{
	char path[SANDBOX_PATH_MAX], base[SANDBOX_PATH_MAX];
	r->dirfd = -1;
	r->own_dirfd = false;
	long n = user_path(upath, path);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	if (path[0] != '/') {
		int e = base_dir(dirfd, base);
		if (e < 0)
			return e;
	}
	return start(r, path[0] == '/' ? NULL : base, path, flags);
}

int fs_resolve_path(const char *path, int flags, struct resolved *r)
{
	char base[SANDBOX_PATH_MAX];
	base_dir(AT_FDCWD, base);
	return start(r, base, path, flags);
}

void fs_release(struct resolved *r)
{
	if (r->own_dirfd)
		host_close(r->dirfd);
	r->own_dirfd = false;
	r->dirfd = -1;
}

const char *fs_at(const struct resolved *r, char *buf, int *dirfd, int *flags)
{
	if (r->name[0]) {
		*dirfd = r->dirfd;
		return r->name;
	}
	host_fd_link(buf, r->dirfd);
	*dirfd = AT_FDCWD;
	if (flags)
		*flags &= ~AT_SYMLINK_NOFOLLOW;
	return buf;
}
