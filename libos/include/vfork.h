/* vfork (clone with CLONE_VFORK, and CLONE_VM for the memory) over the
 * host's copy-on-write fork: the parent waits until the child execs or
 * ends, then takes in the pages the child wrote (see vfork.c). */
#ifndef LIBOS_VFORK_H
#define LIBOS_VFORK_H

#include <stdbool.h>
#include <stdint.h>

struct vfork_link;

/* Before the fork, in the parent: the channel and (share_memory) the app's
 * writable private mappings to take back (app_sp: the caller's stack
 * pointer). NULL with *err set on failure. */
struct vfork_link *vfork_prepare(bool share_memory, uintptr_t app_sp, long *err);
/* After the host fork, in the parent: waits for the child's release and
 * writes its pages into this address space, leaving the 256 bytes below
 * app_sp as they are (the child's stack use there is not the parent's). */
void vfork_parent_wait(struct vfork_link *l, uintptr_t app_sp);
/* In the child: it is now the vfork child that releases l's parent. */
void vfork_child_start(struct vfork_link *l);
/* In a fork child: a vfork link inherited from its parent is not its own. */
void vfork_forget(void);
/* In the child, at execve's point of no return and at its end (exit, death
 * by a signal): hands its parent the pages it wrote and lets it go. */
void vfork_release(void);

#endif
