/* The libos's own small runtime: it links no C library, since the app owns
 * glibc and %fs. */
#ifndef LIBOS_RT_H
#define LIBOS_RT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uintptr_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uintptr_t)(a) - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define PAGE_SIZE 4096UL
/* Control data written only during start-up: it lives in the RELRO segment
 * (with the syscall table and every other const pointer), which start.c
 * makes read-only before the app runs. */
#define __ro_after_init __attribute__((section(".data.rel.ro.ro_after_init")))
/* Data both sides of a fork write right after it (the locks fork holds,
 * the allocator's heads, nsd's client, the lease): kept together, since
 * each page that either side writes after a fork costs it a copy-on-write
 * fault. A section without a dot in its name is an output section of its
 * own, so what every file puts there is contiguous. */
#define __fork_hot __attribute__((section("fork_hot")))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* string.c */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);
bool str_starts_with(const char *s, const char *prefix);
/* Parses a decimal unsigned number; returns false on junk or overflow. */
bool parse_u64(const char *s, uint64_t *out);

/* fmt.c: %d %i %u %x %o %p %s %c with l/ll/z modifiers, width, '0' and '-'. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* alloc.c: thread-safe; memory is registered as libos-owned (see vma.h). */
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
char *strdup(const char *s);

/* lock.c: futex-based mutex, safe to take in a SIGSYS handler (never held
 * while app code runs). */
struct lock { int state; };
#define LOCK_INIT { 0 }
void lock(struct lock *l);
void unlock(struct lock *l);
/* Takes l only if it is free (for a host signal handler, which must not wait). */
bool lock_try(struct lock *l);
/* For a lock that host signal handlers take too: taken with host signals
 * blocked, so a handler never finds it held by the code it interrupted.
 * Returns the mask to give back to unlock_nosig. */
uint64_t lock_nosig(struct lock *l);
void unlock_nosig(struct lock *l, uint64_t old);

#endif
