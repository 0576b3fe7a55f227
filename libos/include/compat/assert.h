/* <assert.h> for the protobuf-c headers and runtime: a failed assertion is
 * a fatal libos error (rt/libc_compat.c). */
#ifndef LIBOS_COMPAT_ASSERT_H
#define LIBOS_COMPAT_ASSERT_H
__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, unsigned int line,
                                             const char *func);
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))
#endif
