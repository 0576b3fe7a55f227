/* The start-up configuration, decoded from the launcher's blob (config_blob.h). */
#ifndef LIBOS_CONFIG_H
#define LIBOS_CONFIG_H

#include <stdbool.h>
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
	size_t stack_size, brk_max;
	bool fast_path; /* sys.syscall_fast_path */
	int argc, envc, nmounts;
	const char **argv; /* NULL-terminated */
	const char **envp; /* NULL-terminated */
	struct mount_cfg *mounts;
};

extern struct config config;
/* Reads and decodes the blob from fd; returns 0 or -errno (and logs why). */
int config_load(int fd);

#endif
