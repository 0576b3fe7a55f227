/* The made-up part of the sandbox tree: /proc and /dev belong to the libos
 * wherever the mounts are; the ancestors of mount points ("/" when only
 * /usr, /etc... are mounted) exist to lead to them. */
#include "fs.h"
#include "identity.h"
#include "process.h"
#include "../host/host.h"
#include <linux/fcntl.h>
#include <linux/stat.h>
#include <linux/time.h>

/* Stable inode numbers for made-up nodes (FNV-1a of the path). */
uint64_t vfs_ino(const char *path)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ULL;
	return h | (1ULL << 62);
}

const char *vfs_tree(const char *path)
{
	static const char *const trees[] = { "/proc", "/dev" };
	for (size_t i = 0; i < ARRAY_SIZE(trees); i++) {
		const char *rel;
		if (!path_under(trees[i], path))
			continue;
		/* a manifest mount strictly inside the tree (/dev/shm) is a mount;
		 * one of the tree itself is ignored: the host's /dev stays out */
		int m = mount_find(path, &rel);
		if (m >= 0 && strcmp(mount_path(m), trees[i]) && path_under(trees[i], mount_path(m)))
			return NULL;
		return trees[i];
	}
	return NULL;
}

int vfs_lookup(const char *path, struct vnode *vn)
{
	const char *rel, *tree = vfs_tree(path);
	vn->type = VN_NONE;
	if (tree && !strcmp(tree, "/proc"))
		return procfs_lookup(path_under(tree, path), vn);
	if (tree)
		return devfs_lookup(path_under(tree, path), vn);
	if (mount_find(path, &rel) >= 0)
		return 0;
	if (!mount_is_ancestor(path))
		return -ENOENT;
	vn->type = VN_DIR;
	return 0;
}

int vfs_list(const char *path, struct dirlist *dl)
{
	const char *rel;
	char parent[SANDBOX_PATH_MAX];
	path_split(path, parent, sizeof(parent));
	int r = dirlist_add(dl, ".", 4 /* DT_DIR */, vfs_ino(path));
	if (!r)
		r = dirlist_add(dl, "..", 4, vfs_ino(parent));
	if (r)
		return r;
	/* made-up trees list their own entries and any mount inside them */
	if ((rel = path_under("/proc", path)))
		r = procfs_list(rel, dl);
	else if ((rel = path_under("/dev", path)))
		r = devfs_list(rel, dl);
	else if (!strcmp(path, "/")) {
		r = dirlist_add(dl, "proc", 4, vfs_ino("/proc"));
		if (!r)
			r = dirlist_add(dl, "dev", 4, vfs_ino("/dev"));
	}
	return r ? r : mount_list_ancestor(path, dl);
}

/* Made-up nodes look like procfs's: owned by the app's effective ids, dated now. */
static void stat_made_up(const struct resolved *r, struct stat *st)
{
	static const unsigned modes[] = {
		[VN_DIR] = S_IFDIR | 0555, [VN_FILE] = S_IFREG | 0444,
		[VN_LINK] = S_IFLNK | 0777,
	};
	struct timespec now = { 0, 0 };
	host(__NR_clock_gettime, CLOCK_REALTIME, &now);
	memset(st, 0, sizeof(*st));
	st->st_dev = 0x16; /* like procfs's anonymous device */
	st->st_ino = vfs_ino(r->path);
	st->st_mode = modes[r->vn.type];
	st->st_nlink = r->vn.type == VN_DIR ? 2 : 1;
	st->st_uid = cred.euid;
	st->st_gid = cred.egid;
	st->st_blksize = 4096;
	if (r->vn.type == VN_LINK)
		st->st_size = strlen(r->vn.link);
	st->st_atime = st->st_mtime = st->st_ctime = now.tv_sec;
}

int fs_stat(const struct resolved *r, struct stat *st)
{
	if (!r->virt) {
		if (!r->exists)
			return -ENOENT;
		*st = r->st;
		return 0;
	}
	if (r->vn.type == VN_DEV)
		return (int)host(__NR_newfstatat, AT_FDCWD, r->vn.host_path, st, 0);
	if (r->vn.type == VN_FD)
		return (int)host(__NR_fstat, r->vn.fd, st);
	stat_made_up(r, st);
	return 0;
}
