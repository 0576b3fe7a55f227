/* The compiler's <limits.h> defines the limits itself and then looks for a C
 * library's with #include_next; the libos has none, so this is it. */
#ifndef LIBOS_COMPAT_LIMITS_H
#define LIBOS_COMPAT_LIMITS_H
#endif
