/* <string.h> for C sources the libos shares with glibc programs (the nsd
 * client core, the generated protocol code, rt/sha512.c): the libos's own
 * string functions (rt.h). */
#ifndef LIBOS_COMPAT_STRING_H
#define LIBOS_COMPAT_STRING_H
#include "../rt.h"
#endif
