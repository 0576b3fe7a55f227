/* Small helpers shared by the nsd daemon files: clock, log, arena. */
#ifndef NSD_UTIL_H
#define NSD_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock in ms: an Op carries the leader's (time_ms), which other nodes
 * and later restarts compare with theirs, so a boot-relative clock would not do. */
int64_t now_ms(void);
void nsd_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nsd_log_set_node(const char *node);

/* Bump allocator for building one reply; everything is freed at once. */
struct arena {
    struct arena_blk *head;
};
void *arena_alloc(struct arena *a, size_t n);   /* zeroed; aborts on OOM */
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);

#endif
