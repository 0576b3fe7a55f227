/* The start-up configuration, decoded from the launcher's blob (config_blob.h). */
#ifndef LIBOS_CONFIG_H
#define LIBOS_CONFIG_H

#include <stddef.h>

struct mount_cfg {
	const char *type; /* "chroot" */
	const char *path; /* sandbox path, normalized, absolute */
	const char *uri;  /* host path */
};

struct config {
	int log_level;
	const char *entrypoint;
	const char *start_dir;
	const char *manifest;
	const char *hostname; /* sys.hostname, or NULL: the host's */
	const char *log_file; /* loader.log_file (a host path), or NULL: stderr */
	size_t stack_size; /* sys.stack.size, or 0: the app's RLIMIT_STACK */
	size_t brk_max;
	int argc, envc, nmounts;
	const char **argv; /* NULL-terminated */
	const char **envp; /* NULL-terminated */
	struct mount_cfg *mounts;
};

extern struct config config;
/* Reads and decodes the blob from fd; returns 0 or -errno (and logs why). */
int config_load(int fd);

#endif
