/* App file descriptors are host file descriptors with the same number: reads
 * and writes pass straight through. The libos keeps its own descriptors at or
 * above LIBOS_FD_BASE, which the app can never name, and one record per app
 * descriptor for what the host cannot tell (the sandbox path, virtual files). */
#ifndef LIBOS_FDTABLE_H
#define LIBOS_FDTABLE_H

#include <stdbool.h>
#include <stdint.h>

extern int libos_fd_base;
/* Sets libos_fd_base from the host RLIMIT_NOFILE; first thing at start-up. */
void fd_init(void);
/* Finds the fds the process was started with, once (at its first fork),
 * so that execve's close-on-exec need not list them again. */
void fd_bound_prepare(void);
/* Moves a host fd the libos opened for itself above the app's range (cloexec). */
int fd_make_private(int fd);
/* RLIMIT_NOFILE as the app sees it: capped below the libos range. */
void fd_limits(uint64_t *soft, uint64_t *hard);
/* Calls fn for each entry of host directory path named by a number (as in
 * /proc) until fn returns nonzero; that, 0, or -errno. */
int host_foreach_numbered(const char *path, int (*fn)(uint64_t n, void *arg), void *arg);
static inline bool fd_app_valid(long fd) { return fd >= 0 && fd < libos_fd_base; }

#endif
