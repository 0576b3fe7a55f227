/* The made-up part of the sandbox tree: /proc and /dev belong to the libos
 * wherever the mounts are; the ancestors of mount points ("/" when only
 * /usr, /etc... are mounted) exist to lead to them. */
#include "fs.h"

/* Stable inode numbers for made-up nodes (FNV-1a of the path). */
uint64_t vfs_ino(const char *path)
{
	uint64_t h = 14695981039346656037ULL;
	for (; *path; path++)
		h = (h ^ (unsigned char)*path) * 1099511628211ULL;
	return h | (1ULL << 62);
}

int vfs_lookup(const char *path, struct vnode *vn)
{
	const char *rel;
	vn->type = VN_NONE;
	if ((rel = path_under("/proc", path)))
		return procfs_lookup(rel, vn);
	if ((rel = path_under("/dev", path)))
		return devfs_lookup(rel, vn);
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
	if ((rel = path_under("/proc", path)))
		return procfs_list(rel, dl);
	if ((rel = path_under("/dev", path)))
		return devfs_list(rel, dl);
	if (!strcmp(path, "/")) {
		r = dirlist_add(dl, "proc", 4, vfs_ino("/proc"));
		if (!r)
			r = dirlist_add(dl, "dev", 4, vfs_ino("/dev"));
		if (r)
			return r;
	}
	return mount_list_ancestor(path, dl);
}
