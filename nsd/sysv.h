/* SysV names (nsd/sysv.c): ids as Linux makes them and the attributes of an
 * object that its processes' libos need to set it up. */
#ifndef NSD_SYSV_H
#define NSD_SYSV_H

#include "journal.h"
#include "nsd.pb-c.h"

/* Linux's id layout: seq << 15 | index (ipcmni_seq_shift without
 * ipcmni_extend), seq below INT_MAX >> 15. */
#define SYSV_IDX_BITS 15
#define SYSV_SEQ_MAX (0x7fffffff >> SYSV_IDX_BITS)
#define SYSV_MNI_MAX (1 << SYSV_IDX_BITS)

/* A new id of kind for sandbox sb, its index below mni, at most max_in_use
 * (0: any number) of the kind: 1 and *id set, 0 when none is left
 * (ENOSPC), -1 on a journal error. */
int sysv_new_id(struct journal *j, int64_t sb, int64_t kind, int64_t mni, int64_t max_in_use, int64_t *id);
/* Records the creator's uid/gid and size of a new object. 0 or -1. */
int sysv_put_attr(struct journal *j, int64_t sb, int64_t id, const Nsd__SysvGet *g);
/* Fills o's uid, gid and size from the journal. 0 or -1. */
int sysv_get_attr(struct journal *j, int64_t sb, Nsd__SysvObj *o);
/* Forgets the bookkeeping of a removed object (kind, id; kind 0: any) or
 * of a whole sandbox (id < 0). 0 or -1. */
int sysv_forget(struct journal *j, int64_t sb, int64_t kind, int64_t id);

#endif
