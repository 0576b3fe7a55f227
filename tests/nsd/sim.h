/*
 * Simulated picoprocesses for the nsd tests and benchmark: each one is a
 * client of the real client library over the real socket.
 */
#ifndef NSD_SIM_H
#define NSD_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include "nsdc_posix.h"

struct sim {
    struct nsdc_posix px;
    struct nsdc c;
    uint32_t pid;
};

/* Creates sandbox name over an admin connection; secret out. 0 or -errno. */
int sim_sandbox(const char *addr, const char *name, uint8_t *secret);
void sim_connect(struct sim *s, const char *addr, const char *sandbox, const uint8_t *secret);
void sim_close(struct sim *s);
/* Sends req; on success the reply body case must be `want` (else -EPROTO).
 * Returns 0 with *out (NULL to just free it) or -errno. */
int sim_call(struct sim *s, Nsd__Frame *req, Nsd__Frame__BodyCase want, Nsd__Frame **out);

/* When set, the second argument every sim_register gives its process. */
extern char *sim_arg;
int sim_register(struct sim *s, uint32_t pid, uint32_t ppid, uint32_t want_range, Nsd__Ids *ids,
                 Nsd__PidRange *range);
int sim_lease(struct sim *s, uint32_t caller, uint32_t count, Nsd__PidRange *range);
int sim_exit(struct sim *s, uint32_t pid, int status);
int sim_reap(struct sim *s, uint32_t caller, uint32_t pid);
int sim_setpgid(struct sim *s, uint32_t caller, uint32_t pid, uint32_t pgid, Nsd__Ids *ids);
/* execed: the caller saw the target exec (SetPgid.execed) */
int sim_setpgid_execed(struct sim *s, uint32_t caller, uint32_t pid, uint32_t pgid, bool execed,
                       Nsd__Ids *ids);
int sim_setsid(struct sim *s, uint32_t caller, Nsd__Ids *ids);
int sim_sysv_get(struct sim *s, uint32_t caller, int64_t key, int kind, int flags, uint32_t *id,
                 int *created);
int sim_sysv_remove(struct sim *s, uint32_t caller, uint32_t id);
/* The id of the object of that key (SysvLookup). */
int sim_sysv_lookup(struct sim *s, int64_t key, int kind, uint32_t *id);
int sim_lookup(struct sim *s, uint32_t pid, char *state, size_t n);
/* Lookup.thread_owner: *pid the process of that number, or the live holder
 * of the lease it is in. 0 or -errno. */
int sim_lease_owner(struct sim *s, uint32_t tid, uint32_t *pid);
/* Number of live members of a group (pgid), session (sid) or all. */
int sim_members(struct sim *s, uint32_t pgid, uint32_t sid, int all);

int64_t sim_now_us(void);

#endif
