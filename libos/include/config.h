/* The start-up configuration, decoded from the launcher's blob (config_blob.h). */
#ifndef LIBOS_CONFIG_H
#define LIBOS_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "../config_blob.h"

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
	int argc, envc, nmounts;
	const char **argv; /* NULL-terminated */
	const char **envp; /* NULL-terminated */
	struct mount_cfg *mounts;
	/* The namespace leader (NULL when the launcher gave none), the sandbox
	 * and its secret. */
	const char *nsd;
	const char *sandbox;
	uint8_t secret[CONFIG_SECRET_LEN];
};

extern struct config config;
/* Reads and decodes the blob from fd; returns 0 or -errno (and logs why). */
int config_load(int fd);

#endif
