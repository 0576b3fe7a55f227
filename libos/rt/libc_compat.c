/* The few C library entry points the protobuf-c runtime (Debian's
 * libprotobuf-c.a, linked into the libos for the nsd client) needs beyond
 * rt/string.c and rt/alloc.c. It was built with the stack protector: see
 * nsd.c for the %fs it reads the canary through. */
#include <assert.h>
#include "log.h"

void __assert_fail(const char *expr, const char *file, unsigned int line, const char *func)
{
	libos_fatal("assertion %s failed at %s:%u (%s)", expr, file, line, func);
}

__attribute__((noreturn)) void __stack_chk_fail(void)
{
	libos_fatal("stack smashing detected in the libos");
}
