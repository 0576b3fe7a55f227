/* x86-64 instruction lengths (x86len.c), for the syscall fast path. */
#ifndef LIBOS_X86LEN_H
#define LIBOS_X86LEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct x86_insn {
	int mem_base; /* base register of a memory operand (0-15), or -1 */
	long disp;    /* its displacement */
	int reg;      /* the ModRM reg field */
	bool is_call;
};

/* Length of the instruction at p (at most max bytes readable), or -1 when
 * it is not one this decoder knows. */
int x86_insn_len(const uint8_t *p, size_t max, struct x86_insn *in);

#endif
