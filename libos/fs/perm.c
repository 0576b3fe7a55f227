/* File permission for the app's virtual identity (identity.h), checked by
 * the libos before the host call, which then applies the host's own rules
 * on top (the sandbox's host uid owns what host root owns in the mounts).
 *
 * Owners. Through the idmapped mounts the host shows on-disk owners as the
 * app expects, but the picoprocess cannot change them (no CAP_CHOWN on the
 * host). A chown by the app (or a creation by a non-root fsuid) is
 * recorded on the host file instead, as the xattr user.graphene.owner
 * (uid, gid: two 32-bit words), which the app can neither see nor set;
 * stat and these checks read it in every picoprocess, and it persists with
 * the file across runs (rename and link keep it; a copy is a new file).
 * Only regular files and directories can carry user xattrs: a chown of
 * anything else to another owner is EPERM. Objects in read-only mounts are
 * not looked up (they were not changed through this sandbox). */
#include "config.h"
#include "fdrecord.h"
#include "fs.h"
#include "identity.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/stat.h>

/* Linux 6.13's getxattrat; the build's UAPI headers may predate it. */
#ifndef __NR_getxattrat
#define __NR_getxattrat 464
#endif
struct xattr_args_compat {
	uint64_t value;
	uint32_t size, flags;
};

void owner_to_app(int dirfd, const char *name, int at_flags, bool lookup, uint32_t *uid, uint32_t *gid)
{
	uint32_t v[2];
	struct xattr_args_compat a = { (uintptr_t)v, sizeof(v), 0 };
	if (lookup && host(__NR_getxattrat, dirfd, name, at_flags, OWNER_XATTR, &a, sizeof(a)) == sizeof(v)) {
		*uid = v[0];
		*gid = v[1];
		return;
	}
	*uid = id_to_app(*uid);
	*gid = id_to_app(*gid);
}

/* r's stat with the app's owner (r exists, not made up). */
static void app_stat(const struct resolved *r, struct stat *st)
{
	char buf[HOST_FD_LINK_MAX];
	int dirfd, flags = AT_SYMLINK_NOFOLLOW;
	const char *name = fs_at(r, buf, &dirfd, &flags);
	*st = r->st;
	uint32_t uid = st->st_uid, gid = st->st_gid;
	owner_to_app(dirfd, name, flags, !mount_readonly(r->mount), &uid, &gid);
	st->st_uid = uid;
	st->st_gid = gid;
}

void fs_app_owner(const struct resolved *r, struct stat *st)
{
	if (!r->virt) {
		app_stat(r, st);
	} else if (r->vn.type == VN_DEV || r->vn.type == VN_FD) {
		st->st_uid = id_to_app((uint32_t)st->st_uid);
		st->st_gid = id_to_app((uint32_t)st->st_gid);
	}
}

void fd_app_owner(int fd, struct stat *st)
{
	char path[SANDBOX_PATH_MAX], link[HOST_FD_LINK_MAX];
	const char *rel;
	enum fd_kind k = fd_info(fd, path, sizeof(path));
	int m = (k == FD_FILE || k == FD_DIR) && path[0] == '/' && !vfs_tree(path) ? mount_find(path, &rel) : -1;
	uint32_t uid = st->st_uid, gid = st->st_gid;
	owner_to_app(AT_FDCWD, host_fd_link(link, fd), 0, m >= 0 && !mount_readonly(m), &uid, &gid);
	st->st_uid = uid;
	st->st_gid = gid;
}

/* The directory r is in, with the app's owner. */
static int parent_stat(const struct resolved *r, struct stat *st)
{
	char buf[HOST_FD_LINK_MAX];
	if (host(__NR_fstat, r->dirfd, st) < 0)
		return -EACCES;
	uint32_t uid = st->st_uid, gid = st->st_gid;
	owner_to_app(AT_FDCWD, host_fd_link(buf, r->dirfd), 0, !mount_readonly(r->mount), &uid, &gid);
	st->st_uid = uid;
	st->st_gid = gid;
	return 0;
}

static bool has(const struct cred *w, int cap)
{
	return w->cap_eff >> cap & 1;
}

static bool member(const struct cred *w, uint32_t gid)
{
	if (gid == w->fsgid)
		return true;
	for (int i = 0; i < w->ngroups; i++)
		if (w->groups[i] == gid)
			return true;
	return false;
}

/* Every check below passes for these capabilities (root inside): skip the
 * lookups; the host still has its say. */
static bool dac_exempt(const struct cred *w)
{
	return has(w, CAP_DAC_OVERRIDE) && has(w, CAP_FOWNER);
}

static int permission(const struct cred *w, const struct stat *st, int mask)
{
	unsigned mode = st->st_mode;
	if (w->fsuid == st->st_uid)
		mode >>= 6;
	else if (member(w, st->st_gid))
		mode >>= 3;
	if ((mask & ~mode & 7) == 0)
		return 0;
	if (S_ISDIR(st->st_mode)) {
		if (!(mask & MAY_WRITE) && has(w, CAP_DAC_READ_SEARCH))
			return 0;
		return has(w, CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if (mask == MAY_READ && has(w, CAP_DAC_READ_SEARCH))
		return 0;
	/* execution needs an x bit for someone, even with the capability */
	if ((!(mask & MAY_EXEC) || (st->st_mode & 0111)) && has(w, CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

/* Search permission on every directory of r's path inside its mount, from
 * the mount's root down to r's own directory, as Linux's path walk checks
 * it (the made-up directories above the mounts are r-x for everyone). The
 * host resolved the path in one openat2: each directory is looked at here
 * by its path below the root (a rename racing this check can only change
 * its answer, never what is opened). */
/* Search permission on directory rel below mount m's root ("": the root). */
static int search_dir(const struct cred *w, int m, const char *rel)
{
	char link[HOST_FD_LINK_MAX];
	int root = mount_root_fd(m);
	struct stat st;
	long e = *rel ? host(__NR_newfstatat, root, rel, &st, AT_SYMLINK_NOFOLLOW) : host(__NR_fstat, root, &st);
	if (e < 0 || !S_ISDIR(st.st_mode))
		return 0; /* gone meanwhile: the host's open answers */
	if ((st.st_mode & 0111) == 0111)
		return 0; /* searchable whoever owns it: no owner lookup */
	uint32_t uid = st.st_uid, gid = st.st_gid;
	if (*rel)
		owner_to_app(root, rel, AT_SYMLINK_NOFOLLOW, !mount_readonly(m), &uid, &gid);
	else
		owner_to_app(AT_FDCWD, host_fd_link(link, root), 0, !mount_readonly(m), &uid, &gid);
	st.st_uid = uid;
	st.st_gid = gid;
	return permission(w, &st, MAY_EXEC);
}

static int search_path(const struct cred *w, const struct resolved *r)
{
	char rel[SANDBOX_PATH_MAX];
	const char *tail;
	if (mount_find(r->path, &tail) != r->mount || !*tail || strlen(tail) >= sizeof(rel))
		return 0; /* the mount point itself: only made-up directories above */
	strlcpy(rel, tail, sizeof(rel));
	int e = search_dir(w, r->mount, "");
	for (char *p = rel; e == 0 && (p = strchr(p, '/')); *p++ = '/') {
		*p = 0;
		e = search_dir(w, r->mount, rel);
	}
	return e;
}

/* Search permission on the way to r, then mask on r itself if it exists. */
int fs_may_access(const struct resolved *r, int mask, bool real_ids)
{
	struct cred who;
	const struct cred *w = &cred;
	struct stat st;
	if (real_ids) {
		/* access(2): the real ids, and root's permitted set as effective
		 * (a non-root real uid has no capabilities for it) */
		who = cred;
		who.fsuid = who.ruid;
		who.fsgid = who.rgid;
		who.cap_eff = who.ruid == 0 ? who.cap_prm : 0;
		w = &who;
	}
	if (r->virt || dac_exempt(w))
		return 0;
	int e = search_path(w, r);
	if (e < 0)
		return e;
	if (!r->exists || !mask)
		return 0;
	app_stat(r, &st);
	return permission(w, &st, mask);
}

/* Creating or removing an entry in r's directory: write and search there;
 * removing from a sticky directory also needs to own the entry or the
 * directory (or CAP_FOWNER). */
int fs_may_change_entry(const struct resolved *r, bool removing)
{
	const struct cred *w = &cred;
	struct stat dir, st;
	if (r->virt || !r->name[0] || dac_exempt(w))
		return 0;
	int e = search_path(w, r) ?: parent_stat(r, &dir) ?: permission(w, &dir, MAY_WRITE | MAY_EXEC);
	if (e < 0 || !removing || !r->exists || !(dir.st_mode & S_ISVTX) || has(w, CAP_FOWNER))
		return e;
	app_stat(r, &st);
	return st.st_uid == w->fsuid || dir.st_uid == w->fsuid ? 0 : -EPERM;
}

/* Attribute changes (chmod, utimes with explicit times): the owner or
 * CAP_FOWNER; utimes to now (explicit false) also whoever may write. */
int fs_may_setattr(const struct resolved *r, bool explicit_times_or_mode)
{
	struct stat st;
	if (r->virt)
		return 0;
	app_stat(r, &st);
	return may_setattr(&st, explicit_times_or_mode);
}

int may_setattr(const struct stat *st, bool explicit_times_or_mode)
{
	const struct cred *w = &cred;
	if (dac_exempt(w))
		return 0;
	if (st->st_uid == w->fsuid || has(w, CAP_FOWNER))
		return 0;
	if (!explicit_times_or_mode)
		return permission(w, st, MAY_WRITE) ? -EACCES : 0;
	return -EPERM;
}

/* Writes the owner record of the object behind fd (host stat st). The
 * host's own owner needs no record: it is removed then. A file its host
 * owner may not write gets u+w for the moment of the write (the host
 * checks write permission for user xattrs). */
static int record(int fd, const struct stat *st, uint32_t uid, uint32_t gid)
{
	if (uid == id_to_app((uint32_t)st->st_uid) && gid == id_to_app((uint32_t)st->st_gid)) {
		long e = host(__NR_fremovexattr, fd, OWNER_XATTR);
		return e == -ENODATA ? 0 : (int)e;
	}
	uint32_t v[2] = { uid, gid };
	long e = host(__NR_fsetxattr, fd, OWNER_XATTR, v, sizeof(v), 0);
	if (e == -EACCES && !(st->st_mode & S_IWUSR) && host(__NR_fchmod, fd, (st->st_mode | S_IWUSR) & 07777) == 0) {
		e = host(__NR_fsetxattr, fd, OWNER_XATTR, v, sizeof(v), 0);
		host(__NR_fchmod, fd, st->st_mode & 07777);
	}
	return e == -EPERM || e == -EOPNOTSUPP ? -EPERM : (int)e;
}

static int owner_record_fd(int fd, uint32_t uid, uint32_t gid)
{
	struct stat st;
	if (host(__NR_fstat, fd, &st) < 0)
		return -EBADF;
	return record(fd, &st, uid, gid);
}

/* chown's rules (chown_ok, chgrp_ok) against cur, the app's view of the
 * object: the owner may "change" it to itself and its group to one of its
 * groups; anything else needs CAP_CHOWN. -1 keeps an id. */
static int chown_ok(const struct stat *cur, uint32_t uid, uint32_t gid)
{
	const struct cred *w = &cred;
	bool owner = w->fsuid == cur->st_uid;
	if (uid != (uint32_t)-1 && !(owner && uid == cur->st_uid) && !has(w, CAP_CHOWN))
		return -EPERM;
	if (gid != (uint32_t)-1 && !(owner && (gid == cur->st_gid || member(w, gid))) && !has(w, CAP_CHOWN))
		return -EPERM;
	return 0;
}

/* Checks and records a chown of the object behind fd (cur: its app view). */
int owner_change(int fd, const struct stat *cur, uint32_t uid, uint32_t gid)
{
	int e = chown_ok(cur, uid, gid);
	uint32_t nu = uid == (uint32_t)-1 ? (uint32_t)cur->st_uid : uid;
	uint32_t ng = gid == (uint32_t)-1 ? (uint32_t)cur->st_gid : gid;
	if (e < 0 || (nu == cur->st_uid && ng == cur->st_gid))
		return e;
	return fd < 0 ? -EPERM : owner_record_fd(fd, nu, ng);
}

/* chown of a resolved object: opened for the record (a symlink, a fifo or
 * a socket cannot hold one: EPERM unless nothing changes). */
int fs_chown(const struct resolved *r, uint32_t uid, uint32_t gid)
{
	struct stat st;
	app_stat(r, &st);
	bool holds = S_ISREG(r->st.st_mode) || S_ISDIR(r->st.st_mode);
	long fd = holds ? fs_host_open(r, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0) : -1;
	if (fd < -1)
		return (int)fd;
	int e = owner_change((int)fd, &st, uid, gid);
	if (fd >= 0)
		host_close((int)fd);
	return e;
}

/* A new object made by an identity other than root's gets its owner
 * recorded: the host made it its own uid's, which the app sees as 0. */
void fs_record_new(int fd)
{
	const struct cred *w = &cred;
	if (w->fsuid != 0 || w->fsgid != 0)
		owner_record_fd(fd, w->fsuid, w->fsgid);
}
