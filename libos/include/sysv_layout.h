/* Where the counts of the SysV memory's queues are, written at its start
 * by the sandbox's pid 1 for nsd, which reads them for `graphenectl ns show
 * sysv` (nsd/sysv.c) and trusts none of it: the sandbox may write anything
 * there. Plain integers only: nsd includes this too. */
#ifndef SYSV_LAYOUT_H
#define SYSV_LAYOUT_H

#include <stdint.h>

#define SYSV_MAGIC 0x53595356
#define SYSV_LAYOUT_OFF 8 /* after the magic */
/* nsd's tag of the sandbox's memory (nsd/sysv.c), which the libos leaves
 * alone: how a node that lost its dup tells the sandbox's memfd. */
#define SYSV_TAG_OFF 2048
#define SYSV_TAG_LEN 32

struct sysv_layout {
	uint64_t msq_off;         /* the queue slots: at msq_off, msq_stride bytes each */
	uint32_t msq_stride, msq_slots;
	uint32_t id_off, live_off; /* in a slot: its id (int32) and liveness (uint32) */
	uint32_t qnum_off, cbytes_off; /* and its messages and bytes (uint64) */
};

#endif
