/* The launcher's side of nsd: finds the namespace leader, creates or joins
 * the sandbox, and hands the libos the records that name it (nsd=, sandbox=,
 * secret=; libos/config_blob.h). */
#ifndef GRAPHENE_LAUNCH_NSD_H
#define GRAPHENE_LAUNCH_NSD_H

#include <stddef.h>

struct nsd_launch {
    const char *addr;       /* --nsd; NULL: $GRAPHENE_NSD, else the default socket */
    const char *sandbox;    /* --sandbox; NULL: a new sandbox with a unique name */
    const char *nsd_bin;    /* started as `nsd --embedded` when none answers by default */
};

/* Appends the sandbox's records to the config blob (*blob is realloc'd).
 * Returns 0, or an exit status after printing why to stderr. */
int launch_nsd(const struct nsd_launch *l, char **blob, size_t *len);

#endif
