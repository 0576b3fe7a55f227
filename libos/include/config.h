/* The start-up configuration, decoded from the launcher's blob (config_blob.h). */
#ifndef LIBOS_CONFIG_H
#define LIBOS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "../config_blob.h"

struct mount_cfg {
	const char *type; /* "chroot" */
	const char *path; /* sandbox path, normalized, absolute */
	const char *uri;  /* host path */
	bool readonly;
	int fd;           /* the root, an inherited fd */
};

struct config {
	int log_level;
	const char *entrypoint;
	const char *start_dir;
	const char *manifest;
	const char *hostname; /* sys.hostname, or NULL: the host's */
	int log_fd; /* loader.log_file opened by the launcher, or -1: stderr */
	size_t stack_size; /* sys.stack.size, or 0: the app's RLIMIT_STACK */
	size_t brk_max;
	bool network_host; /* sys.network = "host": IPv4/IPv6 sockets allowed */
	bool net_rules;    /* sys.net: TCP bind/connect only to the ports below */
	int nnet_bind, nnet_connect;
	uint16_t *net_bind, *net_connect;
	bool fast_path; /* sys.syscall_fast_path */
	int argc, envc, nmounts;
	uint32_t uid, gid;
	uint64_t rlimit_as; /* sys.max_memory without a cgroup, or 0 */
	bool idmap;
	uint32_t idmap_base;
	bool devpts; /* /dev/pts is the sandbox's own devpts instance */
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
/* Ids between the host's view and the app's: through the idmapped mounts
 * the host shows a file of on-disk id i as idmap_base + i, the app sees i. */
uint32_t id_to_app(uint32_t host_id);
uint32_t id_to_host(uint32_t app_id);
/* Reads and decodes the blob from fd; returns 0 or -errno (and logs why). */
int config_load(int fd);

#endif
