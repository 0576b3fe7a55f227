/* sys.max_memory: a memory cgroup per sandbox, made by a root launcher
 * (tools/memcg.c). */
#ifndef GRAPHENE_MEMCG_H
#define GRAPHENE_MEMCG_H

#include <stddef.h>
#include <stdint.h>

/* Puts the calling process (about to exec the libos) into a new memory
 * cgroup limited to bytes, named after tag, removed when the launch ends.
 * 0: done (msg says where); 1: the host offers none (msg says why). */
int memcg_limit(uint64_t bytes, unsigned tag, char *msg, size_t msgsize);

#endif
