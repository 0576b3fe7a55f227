/* The file system as the app sees it: mounts of host directories, /proc, /dev. */
#ifndef LIBOS_FS_H
#define LIBOS_FS_H

/* Opens the mount roots; 0 or -errno (and logs why). */
int fs_init(void);
/* Opens a program file for loading (follows symlinks, must be a regular,
 * executable file); returns a host fd and the canonical sandbox path. */
long fs_open_exec(const char *path, char **canonical);

#endif
