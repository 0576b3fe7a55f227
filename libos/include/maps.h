/* The host's view of the address space (/proc/self/maps), for execve's
 * unmap_app and the syscall fast path. */
#ifndef LIBOS_MAPS_H
#define LIBOS_MAPS_H

#include <stdbool.h>
#include <stdint.h>

struct maps_line {
	uintptr_t lo, hi, offset;
	char perms[5]; /* "r-xp" */
	uint64_t inode;
	const char *name; /* "" for anonymous memory */
};

/* Reads /proc/self/maps into a malloc'd NUL-terminated buffer; NULL on
 * failure. */
char *maps_read(void);
/* Parses the line at *cursor into l and advances; false at the end. The
 * buffer is modified (lines are cut at their newline). */
bool maps_next(char **cursor, struct maps_line *l);

#endif
