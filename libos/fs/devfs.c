/* /dev: the only host devices the sandbox reaches are the harmless ones
 * below; the stdio names lead to /proc/self/fd like on Linux. With a devpts
 * instance of the sandbox's own (tools/confine.c, blob key devpts) /dev/ptmx
 * and /dev/pts/ are its nodes: pseudo-terminals no host process uses. */
#include <linux/fcntl.h>
#include "config.h"
#include "fs.h"
#include "fdtable.h"
#include "../host/host.h"

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

#define PTS "/dev/pts"

int devfs_foreach_host_node(int (*fn)(const char *host_path, void *arg), void *arg)
{
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		int r = devs[i].type == VN_DEV ? fn(devs[i].target, arg) : 0;
		if (r < 0)
			return r;
	}
	return 0;
}

/* /dev/ptmx and /dev/pts/{ptmx,N}: the host's nodes of the same names in
 * the sandbox's devpts (ptmx is its own node there). */
static int pts_lookup(const char *rel, struct vnode *vn)
{
	uint64_t n;
	const char *name = rel[3] == '/' ? rel + 4 : "";
	if (!strcmp(rel, "ptmx"))
		name = "ptmx";
	else if (strncmp(rel, "pts", 3) || (rel[3] && rel[3] != '/'))
		return -ENOENT;
	if (!*name) {
		vn->type = VN_DIR;
		return 0;
	}
	if (strcmp(name, "ptmx") && !parse_u64(name, &n))
		return -ENOENT;
	snprintf(vn->link, sizeof(vn->link), PTS "/%s", name);
	struct stat st;
	if (host(__NR_newfstatat, AT_FDCWD, vn->link, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;
	vn->type = VN_DEV;
	vn->host_path = vn->link;
	return 0;
}

static int pts_add(uint64_t n, void *arg)
{
	char name[24], path[40];
	snprintf(name, sizeof(name), "%lu", (unsigned long)n);
	snprintf(path, sizeof(path), PTS "/%s", name);
	return dirlist_add(arg, name, 2 /* DT_CHR */, vfs_ino(path));
}

int devfs_lookup(const char *rel, struct vnode *vn)
{
	if (!*rel) {
		vn->type = VN_DIR;
		return 0;
	}
	if (config.devpts && pts_lookup(rel, vn) == 0)
		return 0;
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
	if (config.devpts && !strcmp(rel, "pts")) {
		int r = dirlist_add(dl, "ptmx", 2, vfs_ino(PTS "/ptmx"));
		return r ? r : host_foreach_numbered(PTS, pts_add, dl);
	}
	if (*rel)
		return -ENOTDIR;
	if (config.devpts) {
		int r = dirlist_add(dl, "pts", 4 /* DT_DIR */, vfs_ino(PTS));
		if (!r)
			r = dirlist_add(dl, "ptmx", 2, vfs_ino("/dev/ptmx"));
		if (r)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		snprintf(path, sizeof(path), "/dev/%s", devs[i].name);
		int r = dirlist_add(dl, devs[i].name, devs[i].type == VN_DEV ? 2 /* DT_CHR */ : 10 /* DT_LNK */,
		                    vfs_ino(path));
		if (r < 0)
			return r;
	}
	return 0;
}
