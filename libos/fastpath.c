/* The syscall fast path: app `syscall` instructions rewritten into
 * `call *%rax`, which enters the libos without a kernel trap.
 *
 * Sites are found lazily (as lazypoline does): when a site traps (SIGSYS),
 * its address is known exactly; at its LEARN_AFTER-th trap it is rewritten,
 * but only when that is provably safe: a file-backed, private, read-only code
 * mapping (never a JIT's anonymous or writable memory, never the vDSO); the
 * function around it (its .eh_frame FDE) decodes from its first byte onto the
 * site, so the bytes are a real instruction and not the inside of a longer
 * one; and the function never touches memory below its stack pointer (the
 * red zone, where the `call` pushes its return address: zpoline and
 * lazypoline accept that clobber, we refuse such sites). Everything else
 * keeps trapping, which stays correct.
 *
 * `call *%rax` jumps to address rax = the syscall number: the trampoline in
 * page 0 (zpoline's idea; needs vm.mmap_min_addr = 0) is a chain of short
 * jumps that reaches, from any offset, an indirect jump to fastpath_entry
 * (host/fastpath.S) through the thread's record. That saves the app's
 * registers as a ucontext and calls fastpath_syscall, which runs the same
 * dispatcher as the SIGSYS handler
 * (syscall_dispatch: one table, one delivery and restart point) and returns
 * to the app by restoring that ucontext, without a host call. Restart is the
 * trap path's own `rip -= 2; rax = nr`: rip then points at the rewritten
 * call, which enters again. */
#include <asm/errno.h>
#include <asm/sigcontext.h>
#include <linux/elf.h>
#include <linux/mman.h>
#include <stddef.h>
#include "arena.h"
#include "fastpath.h"
#include "fdrecord.h"
#include "host/host.h"
#include "log.h"
#include "maps.h"
#include "rt.h"
#include "signal.h"
#include "syscall.h"
#include "x86len.h"

#define TRAMP_SIZE PAGE_SIZE
/* The trampoline's two exits, each `jmp *%gs:T_FAST_ENTRY` (8 bytes): one
 * right after the highest number a syscall may ever have (512 and up are
 * x32 numbers, never valid here), so that real calls take a few hops, and
 * one at the end of the page for the numbers above it. */
#define EXIT1 520
#define EXIT2 (PAGE_SIZE - 8)
#define T_FAST_ENTRY 48
/* host/fastpath.S: the frame at the top of the libos stack, a ucontext and
 * then the xsave area. */
#define FAST_FRAME 3392
#define FAST_UC_SIZE 320
#define FAST_XSAVE_MAX (FAST_FRAME - FAST_UC_SIZE)
#define SITE_SLOTS 4096
/* Trap counts are kept for fewer sites, in fewer pages: every trap writes
 * one, and each page first written in a fork child is a copy. */
#define COUNT_SLOTS 512
#define MAX_FUNC (64 << 10)

_Static_assert(offsetof(struct thread, wake) == 8, "host/fastpath.S T_WAKE");
_Static_assert(offsetof(struct thread, libos_stack) == 24, "host/fastpath.S T_LIBOS_STACK");
_Static_assert(offsetof(struct thread, fast_rip) == 32, "host/fastpath.S T_FAST_RIP");
_Static_assert(offsetof(struct thread, exit_uc_claimable) == 40, "host/fastpath.S T_CLAIMABLE");
_Static_assert(offsetof(struct thread, fast_entry) == T_FAST_ENTRY, "the trampoline's T_FAST_ENTRY");
_Static_assert(offsetof(struct ucontext, uc_mcontext) == 40, "host/fastpath.S UC_MC");
_Static_assert(offsetof(struct sigcontext, rip) == 128 && offsetof(struct sigcontext, cs) == 144,
               "host/fastpath.S sigcontext offsets");
_Static_assert(offsetof(struct ucontext, uc_link) == 8 && offsetof(struct ucontext, uc_sigmask) == 296,
               "host/fastpath.S ENTRY_RSP, UC_SIGMASK");
_Static_assert(sizeof(struct ucontext) <= FAST_UC_SIZE, "FAST_UC_SIZE");
_Static_assert(LIBOS_STACK_SIZE == 256 * 1024, "host/fastpath.S LIBOS_STACK_SIZE");

extern char fastpath_exit[], fastpath_exit_committed[], fastpath_exit_ret_sp[], fastpath_exit_ret[],
	fastpath_exit_jump[], fastpath_exit_popf[], fastpath_exit_popf_jump[];
void fastpath_xsave(void *area);
void fastpath_xrstor(const void *area);

bool fastpath_on;
struct lock fastpath_lock __fork_hot = LOCK_INIT;
static uint32_t xsave_size;
static uint64_t xcr0;

/* Address sets, open addressing; readers need no lock. */
struct addrset {
	uintptr_t slot[SITE_SLOTS];
};

/* A site is rewritten at its LEARN_AFTER-th trap, not its first: learning
 * one costs 10-20 us (40-50 us when /proc/self/maps must be read too)
 * against 1.6 us a trap, and most sites of a short-lived process run only a
 * few times. Waiting until the traps have cost about what learning would
 * bounds the loss at about twice the best choice either way (the
 * ski-rental argument). */
#define LEARN_AFTER 16

/* What is learnt, in arena pages of its own: execve forgets it all with one
 * madvise, instead of writing (and, in a fork child, copying) every page. */
struct learnt {
	struct addrset sites;    /* rewritten: the address of each `call *%rax` */
	struct addrset rejected; /* trapped, and left to trap */
	struct {
		uintptr_t addr;
		uint32_t traps;
	} trap_counts[COUNT_SLOTS];
};
static struct learnt *learnt;

static size_t slot_of(uintptr_t a)
{
	return (size_t)((a * 0x9e3779b97f4a7c15ULL) >> 52) & (SITE_SLOTS - 1);
}

static bool set_has(const struct addrset *s, uintptr_t a)
{
	for (size_t i = slot_of(a), n = 0; n < SITE_SLOTS; i = (i + 1) & (SITE_SLOTS - 1), n++) {
		uintptr_t v = __atomic_load_n(&s->slot[i], __ATOMIC_ACQUIRE);
		if (v == a)
			return true;
		if (!v)
			return false;
	}
	return false;
}

/* fastpath_lock held. False when full. */
static bool set_add(struct addrset *s, uintptr_t a)
{
	for (size_t i = slot_of(a), n = 0; n < SITE_SLOTS; i = (i + 1) & (SITE_SLOTS - 1), n++) {
		uintptr_t v = s->slot[i];
		if (v == a)
			return true;
		if (!v || v == 1) {
			__atomic_store_n(&s->slot[i], a, __ATOMIC_RELEASE);
			return true;
		}
	}
	return false;
}

/* fastpath_lock held. Removed entries become 1 (a tombstone), so that
 * probing past them still finds later entries. */
static void set_forget(struct addrset *s, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < SITE_SLOTS; i++)
		if (s->slot[i] >= lo && s->slot[i] < hi && s->slot[i] > 1)
			__atomic_store_n(&s->slot[i], 1, __ATOMIC_RELEASE);
}

/* Counts a trap at site; true once it has trapped LEARN_AFTER times. When
 * the table is full, sites are learnt at once. */
static bool trapped_enough(uintptr_t site)
{
	bool enough = true;
	lock(&fastpath_lock);
	for (size_t i = slot_of(site) & (COUNT_SLOTS - 1), n = 0; n < COUNT_SLOTS;
	     i = (i + 1) & (COUNT_SLOTS - 1), n++) {
		if (learnt->trap_counts[i].addr == site || !learnt->trap_counts[i].addr) {
			learnt->trap_counts[i].addr = site;
			enough = ++learnt->trap_counts[i].traps >= LEARN_AFTER;
			break;
		}
	}
	unlock(&fastpath_lock);
	return enough;
}

/* ---------------------------------------------------------------- set-up */

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* Why the host cannot have the fast path, or NULL. */
static const char *xsave_missing(void)
{
	uint32_t r[4];
	cpuid(1, 0, r);
	if (!(r[2] & (1U << 27)))
		return "the CPU or kernel has no XSAVE (OSXSAVE)";
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = (uint64_t)hi << 32 | lo;
	cpuid(0xd, 0, r);
	xsave_size = r[1];
	if (xsave_size + FP_XSTATE_MAGIC2_SIZE > FAST_XSAVE_MAX)
		return "the XSAVE area is too large";
	return NULL;
}

static long read_mmap_min_addr(void)
{
	char buf[32] = { 0 };
	long fd = host(__NR_openat, -100 /* AT_FDCWD */, "/proc/sys/vm/mmap_min_addr", 0);
	if (fd < 0)
		return -1;
	long n = host_read((int)fd, buf, sizeof(buf) - 1);
	host_close((int)fd);
	uint64_t v;
	char *nl = n > 0 ? strchr(buf, '\n') : NULL;
	if (nl)
		*nl = 0;
	return n > 0 && parse_u64(buf, &v) ? (long)v : -1;
}

/* Fills [from, to) so that execution entering at any offset reaches `to`
 * without touching the stack, the flags or a register: pairs `eb 4e` (jmp
 * +0x4e) with the 0x4e read as a REX prefix when entered at the odd byte
 * (`4e eb 4e`), then enough nops to catch the longest hop. The prefix has
 * REX.B clear: the last one is followed by a nop, and `41 90` would be
 * `xchg %r8, %rax`. */
static void build_chain(uint8_t *p, size_t from, size_t to)
{
	size_t nops = 88, end = from + ((to - from - nops) & ~1UL);
	for (size_t i = from; i < end; i += 2) {
		p[i] = 0xeb;
		p[i + 1] = 0x4e;
	}
	memset(p + end, 0x90, to - end);
}

static void build_exit(uint8_t *p)
{
	static const uint8_t jmp_gs[8] = { 0x65, 0xff, 0x24, 0x25, T_FAST_ENTRY, 0, 0, 0 };
	memcpy(p, jmp_gs, sizeof(jmp_gs));
}

/* Entering inside an exit (numbers 521-529, 4089-4095) or above the page
 * runs bytes that fault before they change anything but rax and the flags
 * (the `00 00` after EXIT1 is `add %al,(%rax)` on the read-only page; the
 * `90`s after it make `00 90 ...` an access far outside user space); the
 * SIGSEGV then ends the call with -ENOSYS (fastpath_fault). */
static void build_trampoline(uint8_t *p)
{
	build_chain(p, 0, EXIT1);
	build_exit(p + EXIT1);
	memset(p + EXIT1 + 8, 0, 2);
	memset(p + EXIT1 + 10, 0x90, 4);
	build_chain(p, EXIT1 + 14, EXIT2);
	build_exit(p + EXIT2);
}

void fastpath_init(bool wanted)
{
	if (!wanted) {
		log_info("syscall fast path off: turned off (sys.syscall_fast_path = false or GRAPHENE_FAST_PATH=0)");
		return;
	}
	const char *why = xsave_missing();
	if (why) {
		log_info("syscall fast path off: %s", why);
		return;
	}
	if (!(learnt = arena_alloc_pages(sizeof(*learnt)))) {
		log_info("syscall fast path off: out of memory");
		return;
	}
	void *p = host_mmap(NULL, TRAMP_SIZE, PROT_READ | PROT_WRITE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != NULL) {
		if (!host_err((long)p))
			host_munmap(p, TRAMP_SIZE);
		log_info("syscall fast path off: page 0 cannot be mapped (error %ld, vm.mmap_min_addr = %ld;"
		         " `sysctl vm.mmap_min_addr=0` enables it)", host_err((long)p) ? -(long)p : 0L,
		         read_mmap_min_addr());
		return;
	}
	/* The compiler may not see that this pointer is NULL: it would
	 * (rightly, for C) treat the stores as undefined. */
	__asm__("" : "+r"(p));
	build_trampoline(p);
	/* Not writable by anyone once built; the app may not map, unmap or
	 * re-protect it either (range_is_libos). */
	if (host_mprotect(p, TRAMP_SIZE, PROT_READ | PROT_EXEC) < 0) {
		host_munmap(p, TRAMP_SIZE);
		log_info("syscall fast path off: cannot protect the trampoline");
		return;
	}
	fastpath_on = true;
	log_info("syscall fast path on");
}

void fastpath_thread_init(struct thread *t)
{
	t->fast_entry = (uintptr_t)fastpath_entry;
}

/* protobuf-c is Debian's static archive, built for user space: its pack
 * and unpack use xmm0-2 (a 64-bit varint, a 16-byte copy), where the rest
 * of the libos is built with -mgeneral-regs-only. A trapped call gets the
 * app's registers back from the kernel's frame; a fast-path call returns
 * with the live ones, so they are kept across it (fxsave: the x87 and SSE
 * state; legacy SSE code leaves the upper halves of the AVX registers).
 * Only the outermost section saves: a nested one runs in a host signal
 * handler, whose return restores what it interrupted. The depth counts
 * before the save and after the restore, so a handler that lands between
 * never overwrites the image. */
static uint8_t *sse_image(struct thread *t)
{
	return (uint8_t *)ALIGN_UP((uintptr_t)t->sse_image, 16);
}

void fastpath_sse_enter(void)
{
	if (!fastpath_on)
		return;
	struct thread *t = current();
	if (t->sse_depth++ == 0)
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])sse_image(t)) : : "memory");
}

void fastpath_sse_leave(void)
{
	if (!fastpath_on)
		return;
	struct thread *t = current();
	if (t->sse_depth == 1)
		__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])sse_image(t)) : "memory");
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t->sse_depth--;
}

bool range_is_trampoline(uintptr_t addr, size_t len)
{
	return fastpath_on && addr < TRAMP_SIZE && addr + len > 0;
}

/* ---------------------------------------------------------------- finding safe sites */

/* The code mappings found suitable (from /proc/self/maps, read once per
 * mapping). Entries are never dropped (only marked stale), so every
 * rewritten site lies in one of them, and an munmap that overlaps none of
 * them has no site to forget. */
struct code_map {
	uintptr_t lo, hi;
	uintptr_t ehdr; /* where the ELF header of its file is mapped */
	int prot;
	bool stale;     /* changed by the app: read the host's view again */
};

#define CODE_MAPS 256
static struct code_map code_maps[CODE_MAPS];
static int ncode_maps;

static bool lookup_code_map(uintptr_t a, struct code_map *out)
{
	for (int i = 0; i < ncode_maps; i++)
		if (a >= code_maps[i].lo && a < code_maps[i].hi && !code_maps[i].stale) {
			*out = code_maps[i];
			return true;
		}
	return false;
}

/* fastpath_lock held. Does one entry hold all of [lo, hi)? */
static bool code_map_covers(uintptr_t lo, uintptr_t hi)
{
	for (int i = 0; i < ncode_maps; i++)
		if (lo >= code_maps[i].lo && hi <= code_maps[i].hi && !code_maps[i].stale)
			return true;
	return false;
}

/* fastpath_lock held. False when there is no room (its sites then keep
 * trapping). */
static bool remember_code_map(const struct code_map *m)
{
	if (ncode_maps == CODE_MAPS)
		return false;
	code_maps[ncode_maps++] = *m;
	return true;
}

/* Reads the host's view once and remembers every mapping that qualifies:
 * private, readable, executable, not writable, backed by a file whose ELF
 * header is mapped too (its first mapping, offset 0, comes before its code
 * in the list). Then looks a up. */
static bool load_code_maps(uintptr_t a, struct code_map *out)
{
	char *buf = maps_read();
	if (!buf)
		return false;
	struct maps_line l;
	uint64_t hdr_inode = 0;
	uintptr_t hdr_lo = 0;
	const char *hdr_name = "";
	lock(&fastpath_lock);
	for (char *cur = buf; maps_next(&cur, &l);) {
		if (l.offset == 0 && l.inode) {
			hdr_inode = l.inode;
			hdr_lo = l.lo;
			hdr_name = l.name;
		}
		if (strcmp(l.perms, "r-xp") || !l.inode || l.name[0] != '/' || l.inode != hdr_inode ||
		    strcmp(l.name, hdr_name))
			continue;
		/* Read while another thread's rewrite had a page of this
		 * mapping RWX, the mapping was split around that page and its
		 * pieces were remembered: the whole is remembered too, or that
		 * page's sites would keep trapping. */
		struct code_map m = { l.lo, l.hi, hdr_lo, PROT_READ | PROT_EXEC, false };
		if (!code_map_covers(l.lo, l.hi))
			remember_code_map(&m);
	}
	bool found = lookup_code_map(a, out);
	unlock(&fastpath_lock);
	free(buf);
	return found;
}

static uint64_t read_uleb(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* A DWARF pointer encoding's size (DW_EH_PE_*), 0 when not supported. */
static int enc_size(uint8_t enc)
{
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: return 8;
	case 0x02: case 0x0a: return 2;
	case 0x03: case 0x0b: return 4;
	}
	return 0;
}

static bool read_enc(const uint8_t **p, uint8_t enc, bool apply_rel, uint64_t *out)
{
	int n = enc_size(enc);
	uint8_t rel = enc & 0x70;
	if (!n || (apply_rel && rel != 0 && rel != 0x10))
		return false;
	uint64_t v = 0;
	memcpy(&v, *p, (size_t)n);
	if ((enc & 0x0f) == 0x0b)
		v = (uint64_t)(int64_t)(int32_t)v;
	else if ((enc & 0x0f) == 0x0a)
		v = (uint64_t)(int64_t)(int16_t)v;
	if (apply_rel && rel == 0x10)
		v += (uint64_t)(uintptr_t)*p;
	*out = v;
	*p += n;
	return true;
}

/* The FDE pointer encoding named by a CIE's augmentation ('R'). */
static bool cie_fde_encoding(const uint8_t *cie, uint8_t *enc)
{
	uint32_t len;
	memcpy(&len, cie, 4);
	if (len == 0 || len == 0xffffffffU)
		return false;
	const uint8_t *p = cie + 8, *end = cie + 4 + len;
	uint8_t version = *p++;
	const char *aug = (const char *)p;
	size_t alen = strnlen(aug, 16);
	if (alen >= 16 || strchr(aug, 'e'))
		return false;
	p += alen + 1;
	read_uleb(&p, end);                 /* code alignment */
	read_uleb(&p, end);                 /* data alignment (sleb: same length) */
	if (version == 1)
		p++;
	else
		read_uleb(&p, end);         /* return address register */
	*enc = 0; /* absptr */
	if (aug[0] != 'z')
		return aug[0] == 0;
	read_uleb(&p, end);
	for (const char *a = aug + 1; *a && p < end; a++) {
		if (*a == 'R') {
			*enc = *p++;
		} else if (*a == 'P') {
			uint8_t penc = *p++;
			if (!enc_size(penc))
				return false;
			p += enc_size(penc);
		} else if (*a == 'L') {
			p++;
		} else if (*a != 'S' && *a != 'B' && *a != 'G') {
			return false;
		}
	}
	return true;
}

/* The function (FDE range) of the ELF mapped at ehdr that holds pc, from
 * its PT_GNU_EH_FRAME binary search table. */
static bool function_of(uintptr_t ehdr, uintptr_t pc, uintptr_t *start, uintptr_t *end)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)ehdr;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > PAGE_SIZE)
		return false;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(ehdr + eh->e_phoff);
	uintptr_t bias = 0, first_load = UINTPTR_MAX, hdr_vaddr = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first_load)
			first_load = ph[i].p_vaddr;
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			hdr_vaddr = ph[i].p_vaddr;
	}
	if (!hdr_vaddr || first_load == UINTPTR_MAX)
		return false;
	if (eh->e_type == ET_DYN)
		bias = ehdr - ALIGN_DOWN(first_load, PAGE_SIZE);
	const uint8_t *hdr = (const uint8_t *)(bias + hdr_vaddr);
	/* version 1; the table sorted as datarel sdata4 pairs, counted in udata4 */
	if (hdr[0] != 1 || enc_size(hdr[1]) != 4 || hdr[2] != 0x03 || hdr[3] != 0x3b)
		return false;
	uint32_t count;
	memcpy(&count, hdr + 8, 4);
	const int32_t *table = (const int32_t *)(hdr + 12);
	long rel = (long)(pc - (uintptr_t)hdr);
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (table[2 * mid] <= rel)
			lo = mid;
		else
			hi = mid;
	}
	if (!count || table[2 * lo] > rel)
		return false;
	const uint8_t *fde = hdr + table[2 * lo + 1];
	uint32_t len, cie_off;
	memcpy(&len, fde, 4);
	memcpy(&cie_off, fde + 4, 4);
	uint8_t enc;
	if (len == 0 || len == 0xffffffffU || !cie_fde_encoding(fde + 4 - cie_off, &enc))
		return false;
	const uint8_t *p = fde + 8;
	uint64_t begin, range;
	if (!read_enc(&p, enc, true, &begin) || !read_enc(&p, enc & 0x0f, false, &range))
		return false;
	*start = (uintptr_t)begin;
	*end = (uintptr_t)(begin + range);
	return pc >= *start && pc < *end && range <= MAX_FUNC;
}

/* Decodes [start, end): true when site is an instruction boundary there and
 * nothing in the function uses the red zone: no access below %rsp, and in a
 * function that calls nothing and never lowers %rsp, none below %rbp. */
static bool site_is_safe(uintptr_t start, uintptr_t end, uintptr_t site)
{
	bool boundary = false, has_call = false, below_rbp = false, lowers_rsp = false;
	for (uintptr_t a = start; a < end;) {
		struct x86_insn in;
		int n = x86_insn_len((const uint8_t *)a, end - a, &in);
		if (n < 0)
			return false;
		const uint8_t *b = (const uint8_t *)a;
		boundary |= a == site;
		has_call |= in.is_call;
		if (in.mem_base == 4 && in.disp < 0)
			return false;
		below_rbp |= in.mem_base == 5 && in.disp < 0;
		/* sub $imm, %rsp */
		lowers_rsp |= n >= 4 && b[0] == 0x48 && (b[1] == 0x83 || b[1] == 0x81) && b[2] == 0xec;
		a += (uintptr_t)n;
	}
	return boundary && !(below_rbp && !has_call && !lowers_rsp);
}

/* Reads app memory (the ELF headers and code, which the app may unmap at any
 * moment), so a fault only makes the site unsafe. No lock is held here. */
static bool analyse(struct thread *t, uintptr_t ehdr, uintptr_t site)
{
	uintptr_t start, end;
	if (libos_setjmp(&t->fault_jmp)) {
		t->fault_armed = false;
		return false;
	}
	t->fault_armed = true;
	bool ok = function_of(ehdr, site, &start, &end) && site_is_safe(start, end, site);
	t->fault_armed = false;
	return ok;
}

/* Called by the SIGSYS handler for each trapped app syscall: rewrites the
 * site when it is safe. */
void fastpath_learn(struct thread *t, struct ucontext *uc)
{
	uintptr_t site = uc->uc_mcontext.rip - 2;
	if (set_has(&learnt->rejected, site) || set_has(&learnt->sites, site) || !trapped_enough(site))
		return;
	struct code_map m;
	lock(&fastpath_lock);
	bool cached = lookup_code_map(site, &m);
	unlock(&fastpath_lock);
	bool ok = (site & 63) != 63 /* a 2-byte store within one cache line is atomic */;
	ok = ok && (cached || load_code_maps(site, &m)) && analyse(t, m.ehdr, site);
	lock(&fastpath_lock);
	uintptr_t page = ALIGN_DOWN(site, PAGE_SIZE);
	uint16_t *insn = (uint16_t *)site;
	if (ok && *insn == 0x050f && set_add(&learnt->sites, site) &&
	    host_mprotect((void *)page, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC) == 0) {
		/* Other threads may be executing this page: they run either
		 * instruction, both valid (cross-modifying code: a processor
		 * may run the old bytes until it serializes; a stale `syscall`
		 * just traps and finds the site rewritten). Writable only for
		 * this store, and RWX rather than RW so that they do not fault
		 * meanwhile. */
		__atomic_store_n(insn, (uint16_t)0xd0ff, __ATOMIC_RELEASE);
		host_mprotect((void *)page, PAGE_SIZE, m.prot);
		log_debug("fast path: rewrote the syscall at %p", (void *)site);
	} else if (*insn != 0xd0ff) {
		set_forget(&learnt->sites, site, site + 1);
		set_add(&learnt->rejected, site);
		log_debug("fast path: the syscall at %p keeps trapping", (void *)site);
	}
	unlock(&fastpath_lock);
}

void fastpath_forget(uintptr_t addr, size_t len, bool unmapped)
{
	if (!fastpath_on)
		return;
	/* Rejected sites outside code maps (a JIT's) are not forgotten: a new
	 * mapping there only keeps trapping, which is correct. */
	bool overlapped = false;
	lock(&fastpath_lock);
	for (int i = 0; i < ncode_maps; i++)
		if (code_maps[i].lo < addr + len && code_maps[i].hi > addr) {
			overlapped = true;
			code_maps[i].stale = true;
		}
	/* Re-protected text keeps its rewritten sites; unmapped text loses them. */
	if (unmapped && overlapped) {
		set_forget(&learnt->sites, addr, addr + len);
		set_forget(&learnt->rejected, addr, addr + len);
	}
	unlock(&fastpath_lock);
}

void fastpath_exec_reset(void)
{
	if (!fastpath_on)
		return;
	lock(&fastpath_lock);
	ncode_maps = 0;
	host(__NR_madvise, learnt, sizeof(*learnt), MADV_DONTNEED);
	unlock(&fastpath_lock);
}

/* ---------------------------------------------------------------- the fast entry */

static void *xsave_area(struct ucontext *uc)
{
	return (char *)uc + FAST_UC_SIZE;
}

struct _fpstate *fastpath_save_fpu(struct thread *t, struct ucontext *uc)
{
	if (!fastpath_on || uc != t->exit_uc)
		return NULL;
	struct _fpstate *fp = xsave_area(uc);
	fastpath_xsave(fp);
	/* Described as the kernel describes the xsave area of a signal frame. */
	fp->sw_reserved.magic1 = FP_XSTATE_MAGIC1;
	fp->sw_reserved.extended_size = xsave_size + FP_XSTATE_MAGIC2_SIZE;
	fp->sw_reserved.xfeatures = xcr0;
	fp->sw_reserved.xstate_size = xsave_size;
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy((char *)fp + xsave_size, &magic2, sizeof(magic2));
	uc->uc_mcontext.fpstate = fp;
	return fp;
}

/* An xsave image that xrstor would refuse (#GP) comes from a corrupt app
 * signal frame: the kernel kills such a sigreturn with SIGSEGV. */
static bool xsave_valid(const uint8_t *a)
{
	uint32_t mxcsr;
	uint64_t xstate_bv, xcomp_bv;
	memcpy(&mxcsr, a + 24, 4);
	memcpy(&xstate_bv, a + 512, 8);
	memcpy(&xcomp_bv, a + 520, 8);
	for (int i = 528; i < 576; i++)
		if (a[i])
			return false;
	return !(mxcsr & 0xffff0000U) && !(xstate_bv & ~xcr0) && !xcomp_bv;
}

/* `call *%rax` from somewhere this libos did not rewrite (a call through a
 * NULL function pointer): what the CPU would do without the trampoline,
 * SIGSEGV at the target with the return address pushed. */
static void stray_call(struct thread *t, struct ucontext *uc, uintptr_t target)
{
	struct sigcontext *r = &uc->uc_mcontext;
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGSEGV;
	si.si_code = SEGV_MAPERR;
	si.si_addr = (void *)target;
	r->rsp -= 8;
	r->rip = target;
	sig_deliver_fault(t, uc, SIGSEGV, &si);
}

/* Returns 1 when host/fastpath.S is to make the call itself, as it is (a
 * read or write the libos passes through, nothing pending): without the
 * dispatcher's frames to return through after the host call, whose
 * returns all miss in the CPU's return stack, which the kernel has
 * overwritten by then (about 8 ns each here, as many as the frames). */
__attribute__((used)) int fastpath_syscall(struct ucontext *uc)
{
	struct thread *t = current();
	struct sigcontext *r = &uc->uc_mcontext;
	long nr = (long)r->rax;
	t->exit_uc = uc;
	r->fpstate = NULL;
	if (!set_has(&learnt->sites, r->rip - 2)) {
		stray_call(t, uc, (uintptr_t)nr);
		return 0;
	}
	/* rt_sigreturn restores the FPU state from the app's frame into the
	 * context's xsave area (sys/signal.c), loaded below. */
	struct _fpstate *fp = nr == __NR_rt_sigreturn ? fastpath_save_fpu(t, uc) : NULL;
	/* Cleared before the pending check, as sig_blocking_call does: a host
	 * signal after it makes the host call skip (host_wake_check). */
	__atomic_store_n(&t->wake, 0, __ATOMIC_RELAXED);
	if (fd_data_passes(nr, (long)r->rdi) && log_level < LOG_TRACE && !sig_pending_deliverable(t))
		return 1;
	syscall_dispatch(t, uc, nr);
	if (fp) {
		if (!xsave_valid((const uint8_t *)fp))
			process_kill_self(SIGSEGV);
		fastpath_xrstor(fp);
	}
	return 0;
}

/* host/fastpath.S: the call it made was interrupted (-EINTR). */
__attribute__((used)) void fastpath_interrupted(struct ucontext *uc)
{
	struct thread *t = current();
	syscall_finish(t, uc, (long)uc->uc_mcontext.rax, -EINTR);
}

/* host/fastpath.S: a host signal came after the last check. */
__attribute__((used)) void fastpath_recheck(struct ucontext *uc)
{
	struct thread *t = current();
	__atomic_store_n(&t->wake, 0, __ATOMIC_RELAXED);
	sig_deliver(t, uc, -1, 0);
}

bool fastpath_fault(struct thread *t, struct ucontext *uc)
{
	struct sigcontext *r = &uc->uc_mcontext;
	if (!fastpath_on)
		return false;
	if (set_has(&learnt->sites, r->rip)) {
		/* The call itself faulted (its push met no stack, or rax is not
		 * a canonical address), where the syscall would not: serve it
		 * here as the trap would have. */
		r->rip += 2;
		syscall_dispatch(t, uc, (int)r->rax);
		syscall_handler_exit(t, uc);
		return true;
	}
	/* The call reached a number with no place in the trampoline: inside an
	 * exit (no such syscall: -ENOSYS, as from the kernel), or 4096 and up,
	 * which the kernel reads as an int, as the trap does. */
	bool beyond = r->rip == r->rax && r->rip >= PAGE_SIZE;
	if (r->rip >= PAGE_SIZE + 16 && !beyond)
		return false;
	/* The return address the call pushed; the stack may be anything. */
	uintptr_t ret = 0;
	if (libos_setjmp(&t->fault_jmp)) {
		t->fault_armed = false;
		return false;
	}
	t->fault_armed = true;
	ret = *(volatile uintptr_t *)r->rsp;
	t->fault_armed = false;
	if (!set_has(&learnt->sites, ret - 2))
		return false;
	r->rsp += 8;
	r->rip = ret;
	if (beyond) {
		syscall_dispatch(t, uc, (int)r->rax);
	} else {
		r->rcx = ret;
		r->r11 = r->eflags;
		syscall_finish(t, uc, (long)r->rax, -ENOSYS);
	}
	syscall_handler_exit(t, uc);
	return true;
}

bool fastpath_finish_exit(struct thread *t, struct ucontext *uc)
{
	struct sigcontext *r = &uc->uc_mcontext;
	if (r->rip > (uintptr_t)fastpath_exit && r->rip < (uintptr_t)fastpath_exit_committed) {
		/* Between the wake test and its branch: the flags say "no signal",
		 * and the return would leave this one pending until the next
		 * system call. Test again; the caller has set the flag. */
		r->rip = (uintptr_t)fastpath_exit;
		return false;
	}
	/* The way back: from the commit to the jump, or its popfq variant's. */
	if ((r->rip < (uintptr_t)fastpath_exit_committed || r->rip > (uintptr_t)fastpath_exit_jump) &&
	    (r->rip < (uintptr_t)fastpath_exit_popf || r->rip > (uintptr_t)fastpath_exit_popf_jump))
		return false;
	if (r->rip == (uintptr_t)fastpath_exit_jump || r->rip == (uintptr_t)fastpath_exit_ret_sp ||
	    r->rip == (uintptr_t)fastpath_exit_ret || r->rip == (uintptr_t)fastpath_exit_popf_jump) {
		/* Every register is the app's already (but rsp, before the
		 * `ret`); the ucontext may be overwritten by this very signal
		 * frame. */
		if (r->rip == (uintptr_t)fastpath_exit_ret)
			r->rsp += 8;
		r->rip = t->fast_rip;
		return true;
	}
	const struct sigcontext *s = &t->exit_uc->uc_mcontext;
	r->r8 = s->r8; r->r9 = s->r9; r->r10 = s->r10; r->r11 = s->r11;
	r->r12 = s->r12; r->r13 = s->r13; r->r14 = s->r14; r->r15 = s->r15;
	r->rdi = s->rdi; r->rsi = s->rsi; r->rbp = s->rbp; r->rbx = s->rbx;
	r->rdx = s->rdx; r->rax = s->rax; r->rcx = s->rcx; r->rsp = s->rsp;
	r->rip = s->rip;
	r->eflags = s->eflags;
	return true;
}
