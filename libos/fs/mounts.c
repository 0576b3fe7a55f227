/* Mounts: each sandbox mount point is backed by a host directory (or file)
 * whose root the launcher opened; the libos keeps it as a private O_PATH fd;
 * everything below it is reached relative to that fd (see resolve.c). */
#include "config.h"
#include "fdrecord.h"
#include "fs.h"
#include "log.h"
#include "../host/host.h"
#include <asm/fcntl.h>
#include <linux/fcntl.h>

struct mount {
	int root_fd;
};

static struct mount *mounts __ro_after_init;
/* per mount, for path_longest_prefix */
static const char **sandbox_paths __ro_after_init, **host_paths __ro_after_init;
static int nmounts __ro_after_init;

int fs_init(void)
{
	nmounts = config.nmounts;
	mounts = calloc(nmounts + 1, sizeof(*mounts));
	sandbox_paths = calloc(nmounts + 1, sizeof(*sandbox_paths));
	host_paths = calloc(nmounts + 1, sizeof(*host_paths));
	if (!mounts || !sandbox_paths || !host_paths)
		return -ENOMEM;
	for (int i = 0; i < nmounts; i++) {
		const struct mount_cfg *mc = &config.mounts[i];
		/* The launcher opened the root (idmapped, read-only as the
		 * manifest says: tools/confine.c); it is an app-range fd until
		 * moved. */
		long fd = fd_make_private(mc->fd);
		if (fd < 0) {
			log_error("mount %s: no root fd %d for host path %s (error %ld; RLIMIT_NOFILE too small?)",
			          mc->path, mc->fd, mc->uri, -fd);
			return (int)fd;
		}
		mounts[i].root_fd = (int)fd;
		sandbox_paths[i] = mc->path;
		/* The host's canonical name of the root, for translating back:
		 * the launcher resolved it (realpath) and attached the root there
		 * (or opened it there); no readlink of the fd (~10 us each). */
		host_paths[i] = mc->uri;
		log_debug("mount %s -> %s (fd %ld)", mc->path, host_paths[i], fd);
	}
	return 0;
}

int mount_find(const char *path, const char **rel)
{
	int m = path_longest_prefix(sandbox_paths, nmounts, path);
	if (m >= 0)
		*rel = path_under(sandbox_paths[m], path);
	return m;
}

int mount_root_fd(int m)
{
	return mounts[m].root_fd;
}

const char *mount_path(int m)
{
	return sandbox_paths[m];
}

bool mount_readonly(int m)
{
	return config.mounts[m].readonly;
}

bool mount_is_ancestor(const char *path)
{
	char name[SANDBOX_NAME_MAX + 1];
	if (!strcmp(path, "/"))
		return true;
	for (int i = 0; i < nmounts; i++)
		if (path_child_toward(path, sandbox_paths[i], name, sizeof(name)))
			return true;
	return false;
}

/* Lists an ancestor directory of mount points: the next component toward
 * each mount below it. */
int mount_list_ancestor(const char *path, struct dirlist *dl)
{
	char name[SANDBOX_NAME_MAX + 1], child[SANDBOX_PATH_MAX];
	for (int i = 0; i < nmounts; i++) {
		if (!path_child_toward(path, sandbox_paths[i], name, sizeof(name)))
			continue;
		if (path_canon(path, name, child, sizeof(child)) < 0)
			continue;
		int r = dirlist_add_once(dl, name, 4 /* DT_DIR */, vfs_ino(child));
		if (r < 0)
			return r;
	}
	return 0;
}

long mount_host_to_sandbox(const char *host, char *out, size_t size)
{
	int m = path_longest_prefix(host_paths, nmounts, host);
	if (m < 0 || !host[0] || host[0] != '/')
		return -ENOENT;
	return path_canon(sandbox_paths[m], path_under(host_paths[m], host), out, size);
}
