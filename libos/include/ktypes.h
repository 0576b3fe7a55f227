/* Kernel UAPI signal and context types, included in the order they need. */
#ifndef LIBOS_KTYPES_H
#define LIBOS_KTYPES_H

#include <asm/signal.h>
#include <asm/sigcontext.h>
#include <asm/siginfo.h>
#include <asm/ucontext.h>

#endif
