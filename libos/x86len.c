/* An x86-64 instruction length decoder, for the syscall fast path: before a
 * trapped `syscall` is rewritten, the function around it is decoded from its
 * first byte to show that the site is an instruction boundary (not bytes
 * inside a longer instruction that a jump happened to reach) and that the
 * function never reads or writes below its stack pointer (the red zone, which
 * the rewritten `call` would clobber). Anything it does not know makes the
 * caller leave the site to the trap path, so it only needs to be right, not
 * complete. */
#include "x86len.h"

/* One-byte opcode map: how each opcode continues. */
enum { NONE, MODRM = 1, IMM8 = 2, IMM16 = 4, IMMZ = 8, BAD = 16, PREFIX = 32, SPECIAL = 64 };

static uint8_t one_byte(uint8_t op)
{
	if (op < 0x40) {
		uint8_t lo = op & 7;
		if (op == 0x0f)
			return SPECIAL;
		if (op == 0x26 || op == 0x2e || op == 0x36 || op == 0x3e)
			return PREFIX;
		if (lo <= 3)
			return MODRM;
		if (lo == 4)
			return IMM8;
		if (lo == 5)
			return IMMZ;
		return BAD; /* push/pop seg, daa...: invalid in 64-bit mode */
	}
	if (op < 0x50)
		return SPECIAL; /* REX */
	if (op < 0x60)
		return NONE;
	if (op >= 0x70 && op < 0x80)
		return IMM8;
	if (op >= 0x84 && op < 0x90)
		return MODRM;
	if (op >= 0x90 && op < 0xa0)
		return op == 0x9a ? BAD : NONE;
	if (op >= 0xb0 && op < 0xb8)
		return IMM8;
	if (op >= 0xb8 && op < 0xc0)
		return SPECIAL; /* imm32, or imm64 with REX.W */
	if (op >= 0xd8 && op < 0xe0)
		return MODRM; /* x87 */
	if (op >= 0xe0 && op < 0xe8)
		return IMM8;
	switch (op) {
	case 0x63: return MODRM;
	case 0x64: case 0x65: case 0x66: case 0x67: return PREFIX;
	case 0x68: return IMMZ;
	case 0x69: return MODRM | IMMZ;
	case 0x6a: return IMM8;
	case 0x6b: return MODRM | IMM8;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f: return NONE;
	case 0x80: case 0x83: return MODRM | IMM8;
	case 0x81: return MODRM | IMMZ;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: return SPECIAL; /* moffs */
	case 0xa8: return IMM8;
	case 0xa9: return IMMZ;
	case 0xa4: case 0xa5: case 0xa6: case 0xa7: case 0xaa: case 0xab:
	case 0xac: case 0xad: case 0xae: case 0xaf: return NONE;
	case 0xc0: case 0xc1: return MODRM | IMM8;
	case 0xc2: case 0xca: return IMM16;
	case 0xc3: case 0xc9: case 0xcb: case 0xcc: case 0xcf: return NONE;
	case 0xc4: case 0xc5: case 0x62: return SPECIAL; /* VEX, EVEX */
	case 0xc6: return MODRM | IMM8;
	case 0xc7: return MODRM | IMMZ;
	case 0xc8: return IMM16 | IMM8;
	case 0xcd: return IMM8;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: return MODRM;
	case 0xd7: return NONE;
	case 0xe8: case 0xe9: return IMMZ;
	case 0xeb: return IMM8;
	case 0xec: case 0xed: case 0xee: case 0xef: return NONE;
	case 0xf0: case 0xf2: case 0xf3: return PREFIX;
	case 0xf1: case 0xf4: case 0xf5: case 0xf8: case 0xf9: case 0xfa:
	case 0xfb: case 0xfc: case 0xfd: return NONE;
	case 0xf6: case 0xf7: return SPECIAL; /* test has an immediate */
	case 0xfe: case 0xff: return MODRM;
	}
	return BAD;
}

/* Two-byte map (0f xx). */
static uint8_t two_byte(uint8_t op)
{
	if (op >= 0x80 && op < 0x90)
		return IMMZ; /* jcc rel32 */
	if ((op >= 0x70 && op <= 0x73) || op == 0xa4 || op == 0xac || op == 0xba || op == 0xc2 ||
	    (op >= 0xc4 && op <= 0xc6))
		return MODRM | IMM8;
	if (op == 0x38)
		return SPECIAL;
	if (op == 0x3a)
		return SPECIAL;
	switch (op) {
	case 0x04: case 0x0a: case 0x0c: case 0x0f: case 0x24: case 0x25: case 0x26: case 0x27:
	case 0x36: case 0x39: case 0x3b: case 0x3c: case 0x3d: case 0x3e: case 0x3f:
	case 0x7a: case 0x7b: case 0xa6: case 0xa7:
		return BAD;
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0b: case 0x0e:
	case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x37:
	case 0x77: case 0xa0: case 0xa1: case 0xa2: case 0xa8: case 0xa9: case 0xaa:
		return NONE;
	}
	if (op >= 0xc8 && op <= 0xcf)
		return NONE; /* bswap */
	return MODRM;
}

static int modrm_len(const uint8_t *p, const uint8_t *end, uint8_t rex, struct x86_insn *in)
{
	if (p >= end)
		return -1;
	uint8_t m = p[0], mod = m >> 6, rm = m & 7;
	int n = 1;
	in->reg = (m >> 3) & 7;
	if (mod == 3)
		return n;
	int base = rm;
	if (rm == 4) {
		if (p + 1 >= end)
			return -1;
		base = p[1] & 7;
		n++;
	}
	int disp = 0;
	if (mod == 1)
		disp = 1;
	else if (mod == 2 || (mod == 0 && base == 5))
		disp = 4;
	if (p + n + disp > end)
		return -1;
	long d = 0;
	if (disp == 1)
		d = (int8_t)p[n];
	else if (disp == 4)
		d = (int32_t)(p[n] | p[n + 1] << 8 | p[n + 2] << 16 | (uint32_t)p[n + 3] << 24);
	/* The base register, when there is one (rip-relative and absolute
	 * forms have none). */
	if (!(mod == 0 && base == 5)) {
		in->mem_base = base | (rex & 1 ? 8 : 0);
		in->disp = d;
	}
	return n + disp;
}

int x86_insn_len(const uint8_t *p, size_t max, struct x86_insn *in)
{
	const uint8_t *start = p, *end = p + max;
	uint8_t rex = 0;
	bool opsize = false, adsize = false;
	in->mem_base = -1;
	in->disp = 0;
	in->is_call = false;
	for (;;) {
		if (p >= end || p - start > 14)
			return -1;
		uint8_t f = one_byte(*p);
		if (f != PREFIX)
			break;
		opsize |= *p == 0x66;
		adsize |= *p == 0x67;
		p++;
	}
	if ((*p & 0xf0) == 0x40) {
		rex = *p++;
		if (p >= end)
			return -1;
	}
	uint8_t op = *p++, f = one_byte(op);
	int immz = opsize ? 2 : 4, imm = 0, map = 0;
	if ((f & (BAD | PREFIX)) || (f == SPECIAL && (op & 0xf0) == 0x40))
		return -1; /* a second REX, a prefix after REX, or an invalid opcode */
	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		/* VEX and EVEX: the prefix names the opcode map; every such
		 * instruction has a ModRM byte (but vzeroupper/vzeroall). */
		int plen = op == 0xc5 ? 1 : op == 0xc4 ? 2 : 3;
		if (p + plen >= end)
			return -1;
		map = op == 0xc5 ? 1 : (p[0] & (op == 0x62 ? 7 : 0x1f));
		rex = (uint8_t)((p[0] & 0x20) ? 0 : 1); /* ~B, for the base register */
		if (op == 0xc5)
			rex = 0;
		p += plen;
		uint8_t vop = *p++;
		if (map == 1 && vop == 0x77)
			return (int)(p - start);
		if (map < 1 || map > 3)
			return -1;
		int n = modrm_len(p, end, rex, in);
		if (n < 0)
			return -1;
		p += n;
		if (map == 3 || (map == 1 && ((vop >= 0x70 && vop <= 0x73) || vop == 0xc2 ||
		                              (vop >= 0xc4 && vop <= 0xc6))))
			p++;
		return p > end ? -1 : (int)(p - start);
	}
	if (op == 0x0f) {
		if (p >= end)
			return -1;
		uint8_t op2 = *p++;
		f = two_byte(op2);
		if (f & BAD)
			return -1;
		if (op2 == 0x38 || op2 == 0x3a) {
			if (p >= end)
				return -1;
			p++;
			f = MODRM | (op2 == 0x3a ? IMM8 : 0);
		}
		if (f & IMMZ)
			immz = 4; /* jcc rel32 ignores the operand-size prefix */
	} else if (op >= 0xb8 && op < 0xc0) {
		f = IMMZ;
		if (rex & 8)
			immz = 8;
	} else if (op >= 0xa0 && op <= 0xa3) {
		f = NONE;
		imm = adsize ? 4 : 8;
	} else if (op == 0xf6 || op == 0xf7) {
		f = MODRM;
	} else if (op == 0xe8 || op == 0xe9) {
		immz = 4;
	}
	if (op == 0x8f && p < end && (*p & 0x38))
		return -1; /* AMD XOP, not pop r/m */
	if (f & MODRM) {
		int n = modrm_len(p, end, rex, in);
		if (n < 0)
			return -1;
		p += n;
		if ((op == 0xf6 || op == 0xf7) && in->reg <= 1)
			f |= op == 0xf6 ? IMM8 : IMMZ;
		if (op == 0xff && (in->reg == 2 || in->reg == 3))
			in->is_call = true;
		if (op == 0xc7 && p[-n] == 0xf8)
			immz = 4; /* xbegin rel32 */
	}
	if (op == 0xe8)
		in->is_call = true;
	if (f & IMM8)
		imm += 1;
	if (f & IMM16)
		imm += 2;
	if (f & IMMZ)
		imm += immz;
	p += imm;
	return p > end ? -1 : (int)(p - start);
}
