/* The launcher's half of the sandbox boundary: what bin/graphene does to
 * itself, just before it execs the libos image, so that the picoprocess
 * holds no host privilege (ARCHITECTURE.md, "Threat model"). */
#ifndef GRAPHENE_CONFINE_H
#define GRAPHENE_CONFINE_H

#include "manifest.h"

#include <sys/types.h>

/* The host uid and gid of a new sandbox (see confine.c). */
unsigned sandbox_host_uid(void);

/* Closes the inherited fds (3 and up) the manifest does not pass: they could
 * name host files outside every mount. Returns 0, or -1 after printing why. */
int close_inherited_fds(const struct manifest *m);

/* Opens loader.log_file (appended, created 0600) into m->log_fd, while the
 * launcher still has the identity that may write there; the libos keeps the
 * fd. Returns 0, or -1 after printing why. */
int open_log_file(struct manifest *m);

/* Opens each mount's root for the libos (m->mounts[i].fd: idmapped,
 * read-only as asked, in a root of the sandbox's own when the launcher is
 * root, which also holds the directory of nsd_socket, the namespace
 * leader's unix socket, so that the libos and its forks can connect to it;
 * with nsd_pid, that of the nsd at the default address, the sandbox's mount
 * namespace is a copy of the template kept for that nsd, which a root
 * launcher with make_template makes when there is none); confine_drop then drops every host
 * privilege. Each returns 0, or -1 after printing why on stderr. */
int confine_mounts(struct manifest *m, const char *nsd_socket, pid_t nsd_pid, bool make_template);
int confine_drop(const struct manifest *m);

#endif
