/* /dev: the only host devices the sandbox reaches are the harmless ones
 * below; the stdio names lead to /proc/self/fd like on Linux. */
#include "fs.h"

static const struct dev_entry {
	const char *name;
	enum vnode_type type;
	const char *target; /* host node for VN_DEV, link text for VN_LINK */
} devs[] = {
	{ "null", VN_DEV, "/dev/null" },
	{ "zero", VN_DEV, "/dev/zero" },
	{ "full", VN_DEV, "/dev/full" },
	{ "random", VN_DEV, "/dev/random" },
	{ "urandom", VN_DEV, "/dev/urandom" },
	{ "tty", VN_DEV, "/dev/tty" },
	{ "stdin", VN_LINK, "/proc/self/fd/0" },
	{ "stdout", VN_LINK, "/proc/self/fd/1" },
	{ "stderr", VN_LINK, "/proc/self/fd/2" },
	{ "fd", VN_LINK, "/proc/self/fd" },
};

int devfs_foreach_host_node(int (*fn)(const char *host_path, void *arg), void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		int r = devs[i].type == VN_DEV ? fn(devs[i].target, arg) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

int devfs_lookup(const char *rel, struct vnode *vn)
{
	if (!*rel) {
		vn->type = VN_DIR;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		if (strcmp(rel, devs[i].name))
			continue;
		vn->type = devs[i].type;
		vn->host_path = devs[i].target;
		if (devs[i].type == VN_LINK)
			strlcpy(vn->link, devs[i].target, sizeof(vn->link));
		return 0;
	}
	return -ENOENT;
}

int devfs_list(const char *rel, struct dirlist *dl)
{
	char path[64];
	if (*rel)
		return -ENOTDIR;
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		snprintf(path, sizeof(path), "/dev/%s", devs[i].name);
		int r = dirlist_add(dl, devs[i].name, devs[i].type == VN_DEV ? 2 /* DT_CHR */ : 10 /* DT_LNK */,
		                    vfs_ino(path));
		if (r < 0)
			return r;
	}
	return 0;
}
