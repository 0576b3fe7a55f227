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
/* The memfd of sandbox sb's SysV memory that this node keeps, or -1. */
int sysv_memfd_of(uint32_t sb);
/* Keeps a dup of host fd fd of process peer_pid (a memfd) as sandbox sb's
 * and writes sb's tag into it: 0, -EEXIST if it has one, -EBADF if fd is
 * no memfd of the peer, or another -errno (nsd may not take fds of that
 * process). */
int sysv_memfd_take(struct journal *j, uint32_t sb, int peer_pid, int fd);
/* sysv_memfd_of, or when this node has none, the memfd with sb's tag that
 * a live picoprocess of sb on host has (kept from then on); -1 if none. */
int sysv_memfd_get(struct journal *j, uint32_t sb, const char *host);
/* Fills a queue's messages and bytes (o->counted) from sandbox sb's SysV
 * memory, read with pread, never mapped: the sandbox may shrink or
 * scribble over it, and then the object is just left uncounted. */
void sysv_count(uint32_t sb, Nsd__SysvObj *o);

#endif
