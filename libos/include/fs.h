/* The sandbox file system: mounts of host directories (fs/mounts.c), path
 * resolution that cannot leave them (fs/resolve.c), the libos-made trees
 * /proc (fs/procfs.c) and /dev (fs/devfs.c), and the directory listings
 * libos-made directories return (fs/dirlist.c). */
#ifndef LIBOS_FS_H
#define LIBOS_FS_H

#include <asm/stat.h>
#include <asm-generic/errno.h>
#include "path.h"
#include "rt.h"

struct dirlist;

/* mounts.c: opens the mount roots; 0 or -errno (and logs why). */
int fs_init(void);
/* The mount a canonical sandbox path belongs to: its index, with *rel set to
 * the rest of the path below the mount point ("" for the mount point). */
int mount_find(const char *path, const char **rel);
int mount_root_fd(int m);
const char *mount_path(int m);
/* The manifest made mount m read-only: writes through it are EROFS. */
bool mount_readonly(int m);
/* True when path is "/" or a strict ancestor of a mount point: a directory
 * the libos makes up to reach the mounts. */
bool mount_is_ancestor(const char *path);
/* Adds the entries of an ancestor of mount points to dl. */
int mount_list_ancestor(const char *path, struct dirlist *dl);
/* Translates a host path under a mount back to its sandbox path; returns
 * the length, or -ENOENT when no mount covers it. */
long mount_host_to_sandbox(const char *host, char *out, size_t size);

/* dirlist.c: linux_dirent64 records for directories the libos makes up. */
struct dirlist {
	char *buf;
	size_t len, cap;
};
int dirlist_add(struct dirlist *dl, const char *name, unsigned char type, uint64_t ino);
/* Adds name unless an entry of that name is already there. */
int dirlist_add_once(struct dirlist *dl, const char *name, unsigned char type, uint64_t ino);
void dirlist_free(struct dirlist *dl);

/* Nodes of the made-up trees. */
enum vnode_type {
	VN_NONE,
	VN_DIR,  /* listed by vdir_list */
	VN_FILE, /* contents generated at open (procfs_open) */
	VN_LINK, /* symlink to vn.link */
	VN_DEV,  /* host device node vn.host_path */
	VN_FD,   /* /proc/self/fd/N followed: whatever app fd N is (a pipe...) */
};
struct vnode {
	enum vnode_type type;
	int fd;
	bool reopen; /* VN_FD: link is not a sandbox path the libos recorded */
	const char *host_path;
	char link[SANDBOX_PATH_MAX];
};
/* procfs.c / devfs.c; rel is the canonical path below /proc or /dev ("" for
 * the directory itself). Lookups return 0 or -ENOENT. */
int procfs_lookup(const char *rel, struct vnode *vn);
int procfs_list(const char *rel, struct dirlist *dl);
/* Generates the file's contents into a host memfd (an app fd). */
long procfs_open(const char *rel);
/* What the RPC stream serves a peer of sandbox uid uid about this process
 * (rpc.c; malloc'd into *text, NUL-terminated): "stat", "task" (a tid a
 * line), and for the same uid or root "environ", "exe", "cwd" and "fd"
 * ("N\tTARGET" lines) in sandbox terms. 0 or -errno (-EACCES). */
int procfs_self_file(const char *name, uint32_t uid, char **text, size_t *len);
int devfs_lookup(const char *rel, struct vnode *vn);
/* Calls fn with each host device node /dev may open (for Landlock). */
int devfs_foreach_host_node(int (*fn)(const char *host_path, void *arg), void *arg);
int devfs_list(const char *rel, struct dirlist *dl);

/* vfs.c: the made-up nodes of the sandbox tree: /proc, /dev and the
 * ancestors of mount points. Lookup fills vn (VN_NONE: not made up, the
 * mounts decide) or returns -ENOENT (made-up directory, no such entry). */
int vfs_lookup(const char *path, struct vnode *vn);
/* "/proc" or "/dev" when path belongs to that made-up tree, else NULL. */
const char *vfs_tree(const char *path);
int vfs_list(const char *path, struct dirlist *dl);
uint64_t vfs_ino(const char *path);

/* resolve.c */
#define RES_FOLLOW 1 /* follow a symlink in the final component */
/* The final component is to be created, removed or renamed: not followed
 * even when the path's form wants a directory (Linux acts on a symlink
 * "link/" itself there), and its type is left to the caller to check. */
#define RES_ENTRY 2

struct resolved {
	char path[SANDBOX_PATH_MAX]; /* canonical sandbox path, symlinks resolved */
	bool virt;                   /* a made-up node: see vn */
	bool exists;
	bool wants_dir;              /* the path's form requires a directory */
	int dots;                    /* the path ends in "." (1) or ".." (2) */
	/* Host objects: the final component `name` in directory dirfd (a host
	 * O_PATH fd), or dirfd itself when name is "" (a mount point). */
	int dirfd;
	bool own_dirfd;
	int mount; /* the mount the host object is in (rename/link: EXDEV) */
	const char *name;
	struct stat st; /* lstat of the final component, when it exists */
	struct vnode vn;
};
/* Resolves app path (an app pointer) relative to app fd dirfd (or AT_FDCWD)
 * as the kernel would, but never outside the mounts: a path that would leave
 * them fails with -ENOENT like a missing file. r must be released. */
int fs_resolve(int dirfd, const char *upath, int flags, struct resolved *r);
/* The same for a path the libos made (canonical or relative to the cwd). */
int fs_resolve_path(const char *path, int flags, struct resolved *r);
void fs_release(struct resolved *r);
/* A (dirfd, name, flags) triple for host *at calls on an existing or new
 * host object r: mount points are reached through the host's
 * /proc/self/fd/N, with AT_SYMLINK_NOFOLLOW dropped (buf: HOST_FD_LINK_MAX
 * bytes, see fdrecord.h). */
const char *fs_at(const struct resolved *r, char *buf, int *dirfd, int *flags);
/* The only open_how structs the libos passes to openat2 (see resolve.c). */
struct open_how;
extern const struct open_how how_beneath_dir, how_beneath_nofollow;
#define RESOLVE_SANDBOX (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
/* Opens r for the app: host files by their one final component in the
 * resolved parent, never following a symlink raced into place; made-up nodes as memfds or host devices.
 * Returns the new app fd (recorded in the fd table) or -errno. */
long fs_open(struct resolved *r, int flags, int mode);
/* The host open of host object r alone, not recorded: the fd is in the
 * app's range, so a caller keeping it for itself closes it at once or moves
 * it with fd_make_private (flags should hold O_CLOEXEC then). */
long fs_host_open(const struct resolved *r, int flags, int mode);
/* stat of a resolved object (made-up nodes get made-up attributes). */
int fs_stat(const struct resolved *r, struct stat *st);
/* Opens a program file for loading (follows symlinks, must be a regular,
 * executable file); returns a libos-private host fd and the canonical
 * sandbox path (malloc'd). */
long fs_open_exec(const char *path, char **canonical);
/* sys/dir.c: the app renamed from to to; a cwd at or below from follows. */
void cwd_renamed(const char *from, const char *to);
/* Copies an app path string (at most SANDBOX_PATH_MAX with its NUL). */
long user_path(const char *upath, char *buf);

#endif
