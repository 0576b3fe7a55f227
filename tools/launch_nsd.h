/* The launcher's side of nsd: finds the namespace leader, creates or joins
 * the sandbox, and hands the libos the records that name it (nsd=, sandbox=,
 * secret=; libos/config_blob.h). */
#ifndef GRAPHENE_LAUNCH_NSD_H
#define GRAPHENE_LAUNCH_NSD_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct nsd_launch {
    const char *addr;       /* --nsd; NULL: $GRAPHENE_NSD, else the default socket */
    const char *sandbox;    /* --sandbox; NULL: a new sandbox with a unique name */
    const char *nsd_bin;    /* started as `nsd --embedded` when none answers by default */
};

struct nsd_sandbox {
    char addr[1024];            /* nsd's socket, absolute, or its group's (A,B,...) */
    char name[65];
    char secret[65];            /* hex */
    bool started;               /* this launcher started the embedded nsd */
    pid_t nsd_pid;              /* nsd at the default address (SO_PEERCRED); 0: named */
};

/* Finds nsd (starting the embedded one if none answers at the default
 * address), sets sb->addr and sends the request that creates or joins the
 * sandbox; launch_nsd_end takes the answer (sb->name, sb->secret), so the
 * launcher can build the sandbox's root meanwhile (a named nsd, --nsd or
 * $GRAPHENE_NSD, is asked at once: its call rides out a failover). Both before any drop of
 * privilege: nsd takes admin requests only from root or its own uid. Each
 * returns 0, or an exit status after printing why to stderr. l must live
 * until launch_nsd_end. */
int launch_nsd_begin(const struct nsd_launch *l, struct nsd_sandbox *sb);
int launch_nsd_end(struct nsd_sandbox *sb);
/* Appends the sandbox's records to the config blob (*blob is realloc'd) and
 * wipes the secret from sb. 0, or -1 when out of memory. */
int launch_nsd_records(struct nsd_sandbox *sb, char **blob, size_t *len);

#endif
