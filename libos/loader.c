/* The ELF loader: maps the app and its interpreter (ld.so) the way the
 * kernel would, builds the initial stack (argv, envp, auxv) and reserves the
 * brk area. #! scripts are turned into their interpreter's invocation. */
#include <linux/auxvec.h>
#include <asm/errno.h>
#include <linux/mman.h>
#include <asm/fcntl.h>
#include <linux/fcntl.h>
#include <linux/elf.h>
#include <linux/resource.h>
#include "config.h"
#include "fs.h"
#include "host/host.h"
#include "identity.h"
#include "loader.h"
#include "log.h"
#include "arena.h"
#include "process.h"
#include "rt.h"

#define MAX_SHEBANG_DEPTH 4
#define MAX_PHDRS 64

struct image {
	uintptr_t base;   /* load bias */
	uintptr_t entry;  /* relocated entry point */
	uintptr_t phdr;   /* address of the program headers in memory */
	uintptr_t end;    /* end of the highest segment */
	uintptr_t reserved_end; /* end of the address range reserved for it */
	uintptr_t code_start, code_end; /* its executable segments */
	int phnum;
	char interp[256];
};

static long read_at(int fd, void *buf, size_t n, long off)
{
	size_t got = 0;
	while (got < n) {
		long r = host(__NR_pread64, fd, (char *)buf + got, n - got, off + got);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		got += r;
	}
	return (long)got;
}

static int prot_of(uint32_t pflags)
{
	return (pflags & PF_R ? PROT_READ : 0) | (pflags & PF_W ? PROT_WRITE : 0) |
	       (pflags & PF_X ? PROT_EXEC : 0);
}

static int check_ehdr(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
		return -ENOEXEC;
	return 0;
}

/* Maps one ELF file. Segments of a PIE go into one reservation the kernel
 * places, so their relative layout is kept; `extra` bytes after it are
 * reserved too (the brk area of the main program). */
/* Maps ELF file fd as the kernel would; a position-independent one in a
 * reservation of its span plus extra bytes, at a random place when
 * random_place (see host_mmap_random), else where the kernel puts it. */
static int map_elf(int fd, struct image *img, size_t extra, bool random_place)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	if (read_at(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		return -ENOEXEC;
	int r = check_ehdr(&eh);
	if (r < 0)
		return r;
	size_t phsize = eh.e_phnum * sizeof(Elf64_Phdr);
	if (read_at(fd, ph, phsize, (long)eh.e_phoff) != (long)phsize)
		return -ENOEXEC;

	uintptr_t lo = UINTPTR_MAX, hi = 0;
	img->interp[0] = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP) {
			if (ph[i].p_filesz >= sizeof(img->interp) ||
			    read_at(fd, img->interp, ph[i].p_filesz, (long)ph[i].p_offset) !=
			            (long)ph[i].p_filesz)
				return -ENOEXEC;
			img->interp[ph[i].p_filesz] = 0;
		}
		if (ph[i].p_type != PT_LOAD)
			continue;
		lo = MIN(lo, ALIGN_DOWN(ph[i].p_vaddr, PAGE_SIZE));
		hi = MAX(hi, ph[i].p_vaddr + ph[i].p_memsz);
	}
	if (hi <= lo)
		return -ENOEXEC;

	uintptr_t bias = 0;
	size_t span = ALIGN_UP(hi, PAGE_SIZE) - lo;
	if (eh.e_type == ET_DYN) {
		int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
		void *res = random_place ? host_mmap_random(span + extra, PROT_NONE, flags)
		                         : host_mmap(NULL, span + extra, PROT_NONE, flags, -1, 0);
		if (host_err((long)res))
			return (int)(long)res;
		bias = (uintptr_t)res - lo;
	}
	img->phdr = 0;
	img->code_start = UINTPTR_MAX;
	img->code_end = 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr *p = &ph[i];
		if (p->p_type == PT_PHDR)
			img->phdr = bias + p->p_vaddr;
		if (p->p_type != PT_LOAD)
			continue;
		uintptr_t start = ALIGN_DOWN(bias + p->p_vaddr, PAGE_SIZE);
		uintptr_t file_end = bias + p->p_vaddr + p->p_filesz;
		uintptr_t mem_end = bias + p->p_vaddr + p->p_memsz;
		long off = (long)ALIGN_DOWN(p->p_offset, PAGE_SIZE);
		int prot = prot_of(p->p_flags);
		if (p->p_flags & PF_X) {
			img->code_start = MIN(img->code_start, bias + p->p_vaddr);
			img->code_end = MAX(img->code_end, file_end);
		}
		if (p->p_filesz) {
			/* The rest of the last file page belongs to .bss; like the
			 * kernel, zero it to the page end (ld.so's early malloc
			 * uses the tail of that page). Only then is a segment
			 * that is not writable mapped writable first. */
			bool tail = mem_end > file_end && (file_end & (PAGE_SIZE - 1));
			bool unwritable = tail && !(prot & PROT_WRITE);
			void *m = host_mmap((void *)start, ALIGN_UP(file_end, PAGE_SIZE) - start,
			                    prot | (tail ? PROT_WRITE : 0), MAP_PRIVATE | MAP_FIXED, fd, off);
			if (host_err((long)m))
				return (int)(long)m;
			if (tail)
				memset((void *)file_end, 0, ALIGN_UP(file_end, PAGE_SIZE) - file_end);
			if (unwritable)
				host_mprotect((void *)start, ALIGN_UP(file_end, PAGE_SIZE) - start, prot);
		}
		uintptr_t anon = ALIGN_UP(p->p_filesz ? file_end : start, PAGE_SIZE);
		if (mem_end > anon) {
			void *m = host_mmap((void *)anon, ALIGN_UP(mem_end, PAGE_SIZE) - anon, prot,
			                    MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
			if (host_err((long)m))
				return (int)(long)m;
		}
		if (!img->phdr && p->p_offset <= eh.e_phoff &&
		    eh.e_phoff + phsize <= p->p_offset + p->p_filesz)
			img->phdr = bias + p->p_vaddr + (eh.e_phoff - p->p_offset);
	}
	img->base = bias;
	img->entry = bias + eh.e_entry;
	img->end = bias + hi;
	img->reserved_end = eh.e_type == ET_DYN ? bias + lo + span + extra : 0;
	img->phnum = eh.e_phnum;
	return 0;
}

/* The kernel's fork copies the page tables of a private file mapping only
 * once it has anonymous pages (an anon_vma); of one without, the child
 * faults every page in again. A fork child runs and reads the libos's code
 * and read-only data at once (some 6 faults, each mapping up to 16 pages,
 * in every child), so each such segment of the copy at bias gets one
 * private page, a copy of its first: the page tables then come with the
 * fork. Not the first segment (ELF headers and relocations: start-up's). */
static void libos_ptes_on_fork(uintptr_t bias)
{
	extern const char __ehdr_start[];
	const Elf64_Ehdr *eh = (const void *)__ehdr_start;
	const Elf64_Phdr *ph = (const void *)(__ehdr_start + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || (ph[i].p_flags & PF_W) || !ph[i].p_offset)
			continue;
		uintptr_t start = ALIGN_DOWN(bias + ph[i].p_vaddr, PAGE_SIZE);
		size_t len = ALIGN_UP(bias + ph[i].p_vaddr + ph[i].p_filesz, PAGE_SIZE) - start;
		int prot = prot_of(ph[i].p_flags);
		/* The whole segment, not its first page alone: the kernel would not
		 * merge that page's mapping with the rest again. */
		if (host_mprotect((void *)start, len, prot | PROT_WRITE) == 0) {
			volatile char *page = (char *)start;
			*page = *page;
			host_mprotect((void *)start, len, prot);
		}
	}
}

int map_libos_copy(int fd, uintptr_t *base)
{
	struct image img;
	int r = map_elf(fd, &img, 0, true);
	*base = img.base;
	if (r == 0)
		libos_ptes_on_fork(img.base);
	return r;
}

/* Parses "#!interp [arg]" from the first line; returns 1 if it is a script. */
static int parse_shebang(int fd, char *interp, size_t isz, char *arg, size_t asz)
{
	char line[256];
	long n = read_at(fd, line, sizeof(line) - 1, 0);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	line[n] = 0;
	char *nl = strchr(line, '\n');
	if (!nl)
		return -ENOEXEC;
	*nl = 0;
	char *p = line + 2;
	while (*p == ' ' || *p == '\t')
		p++;
	char *q = p;
	while (*q && *q != ' ' && *q != '\t')
		q++;
	char *rest = q;
	if (*rest) {
		*rest++ = 0;
		while (*rest == ' ' || *rest == '\t')
			rest++;
		/* Like Linux: the whole rest of the line is one argument. */
		char *end = rest + strlen(rest);
		while (end > rest && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = 0;
	}
	if (!*p || strlen(p) >= isz || strlen(rest) >= asz)
		return -ENOEXEC;
	strlcpy(interp, p, isz);
	strlcpy(arg, rest, asz);
	return 1;
}

static uintptr_t push_bytes(uintptr_t sp, const void *data, size_t n)
{
	sp -= n;
	memcpy((void *)sp, data, n);
	return sp;
}

/* Builds argc/argv/envp/auxv on a fresh stack; returns the initial %rsp.
 * execfn (AT_EXECFN) is the path as execve was given it, even for a #!
 * script, as on Linux. */
static uintptr_t build_stack(const struct image *exe, const struct image *interp,
                             const char *execfn, const char *const *argv,
                             const char *const *envp, uintptr_t top)
{
	int argc = 0, envc = 0;
	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	uintptr_t sp = top;
	uint64_t rnd[2];
	host(__NR_getrandom, rnd, sizeof(rnd), 0);
	uintptr_t at_random = sp = push_bytes(sp, rnd, sizeof(rnd));
	uintptr_t at_platform = sp = push_bytes(sp, "x86_64", 7);
	uintptr_t at_execfn = sp = push_bytes(sp, execfn, strlen(execfn) + 1);
	uintptr_t *argp = malloc(sizeof(uintptr_t) * (argc + envc + 2));
	uintptr_t *envp_addr = argp + argc + 1;
	for (int i = envc - 1; i >= 0; i--)
		envp_addr[i] = sp = push_bytes(sp, envp[i], strlen(envp[i]) + 1);
	proc.env_start = envc ? envp_addr[0] : sp;
	proc.env_end = at_execfn;
	for (int i = argc - 1; i >= 0; i--)
		argp[i] = sp = push_bytes(sp, argv[i], strlen(argv[i]) + 1);
	proc.arg_start = argc ? argp[0] : sp;
	proc.arg_end = proc.env_start;

	unsigned long auxv[][2] = {
		{ AT_SYSINFO_EHDR, proc.vdso },
		{ AT_MINSIGSTKSZ, proc.minsigstksz },
		{ AT_HWCAP, proc.hwcap },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_CLKTCK, 100 },
		{ AT_PHDR, exe->phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, exe->phnum },
		{ AT_BASE, interp ? interp->base : 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, exe->entry },
		{ AT_UID, cred.ruid },
		{ AT_EUID, cred.euid },
		{ AT_GID, cred.rgid },
		{ AT_EGID, cred.egid },
		{ AT_SECURE, cred.secure_exec },
		{ AT_RANDOM, at_random },
		{ AT_HWCAP2, proc.hwcap2 },
		{ AT_EXECFN, at_execfn },
		{ AT_PLATFORM, at_platform },
		{ AT_NULL, 0 },
	};
	size_t words = 1 + argc + 1 + envc + 1 + ARRAY_SIZE(auxv) * 2;
	sp = ALIGN_DOWN(sp - words * 8, 16);
	uintptr_t *w = (uintptr_t *)sp;
	*w++ = argc;
	for (int i = 0; i < argc; i++)
		*w++ = argp[i];
	*w++ = 0;
	for (int i = 0; i < envc; i++)
		*w++ = envp_addr[i];
	*w++ = 0;
	memcpy(w, auxv, sizeof(auxv));
	free(argp);
	return sp;
}

/* Reserves the whole brk area right after the program, so no mmap lands
 * where the heap must grow. */
static int setup_brk(const struct image *exe)
{
	uintptr_t start = ALIGN_UP(exe->end, PAGE_SIZE);
	int fixed = start + config.brk_max <= exe->reserved_end ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	void *m = host_mmap((void *)start, config.brk_max, PROT_NONE,
	                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | fixed, -1, 0);
	if (host_err((long)m))
		return (int)(long)m;
	proc.brk_start = proc.brk_cur = start;
	proc.brk_max = start + config.brk_max;
	return 0;
}

static char *join_cmdline(const char *const *argv, size_t *len)
{
	size_t n = 0;
	for (int i = 0; argv[i]; i++)
		n += strlen(argv[i]) + 1;
	char *s = malloc(n ? n : 1), *p = s;
	for (int i = 0; s && argv[i]; i++)
		p += strlcpy(p, argv[i], n) + 1;
	*len = n;
	return s;
}

/* The program behind path after following #! lines: an open fd of the ELF
 * file, its canonical sandbox path and the argv it gets. */
struct program {
	int fd;
	char *canon;
	const char *const *args;
	/* What each #! level allocated: its rewritten argv (which the next
	 * level's argv still points into) and the script's path. */
	const char **script_argv[MAX_SHEBANG_DEPTH];
	char *script_path[MAX_SHEBANG_DEPTH];
	int levels;
};

static void program_free(struct program *p)
{
	if (p->fd >= 0)
		host_close(p->fd);
	for (int i = 0; i < p->levels; i++) {
		free(p->script_argv[i]);
		free(p->script_path[i]);
	}
}

/* Linux refuses to run a file that is open for writing (ETXTBSY). The host
 * can tell: it refuses a read lease (EAGAIN) while any process has the
 * file open for writing. Without the right to a lease (another user's
 * file, no CAP_LEASE) the check is skipped. */
static int check_not_written(int fd)
{
	long r = host(__NR_fcntl, fd, F_SETLEASE, F_RDLCK);
	if (r == 0)
		host(__NR_fcntl, fd, F_SETLEASE, F_UNLCK);
	return r == -EAGAIN ? -ETXTBSY : 0;
}

static int open_program(const char *path, const char *const *argv, struct program *p)
{
	/* an empty argv becomes { "" }, as Linux (5.18+) makes it */
	static const char *const empty_argv[] = { "", NULL };
	*p = (struct program){ .fd = -1, .args = argv[0] ? argv : empty_argv };
	for (int depth = 0;; depth++) {
		p->fd = (int)fs_open_exec(path, &p->canon);
		if (p->fd < 0)
			return p->fd;
		int e = check_not_written(p->fd);
		if (e < 0) {
			free(p->canon);
			p->canon = NULL;
			return e;
		}
		char interp[256], arg[256];
		int sb = parse_shebang(p->fd, interp, sizeof(interp), arg, sizeof(arg));
		if (sb <= 0)
			return sb;
		host_close(p->fd);
		p->fd = -1;
		if (depth == MAX_SHEBANG_DEPTH)
			return -ELOOP;
		int n = 0;
		while (p->args[n])
			n++;
		/* The new argv and the strings it adds, in one allocation. */
		size_t ilen = strlen(interp) + 1, alen = strlen(arg) + 1;
		const char **nv = malloc(sizeof(char *) * (n + 4) + ilen + alen);
		if (!nv)
			return -ENOMEM;
		char *strs = (char *)(nv + n + 4);
		memcpy(strs, interp, ilen);
		memcpy(strs + ilen, arg, alen);
		int k = 0;
		nv[k++] = strs;
		if (*arg)
			nv[k++] = strs + ilen;
		nv[k++] = path; /* the path as execve got it (or the #! line) */
		for (int i = 1; i < n; i++)
			nv[k++] = p->args[i];
		nv[k] = NULL;
		p->script_argv[p->levels] = nv;
		p->script_path[p->levels++] = p->canon;
		p->args = nv;
		path = nv[0];
	}
}

int program_check(const char *path, const char *const *argv, struct program **prog)
{
	struct program *p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	Elf64_Ehdr eh;
	int r = open_program(path, argv, p);
	if (r == 0)
		r = read_at(p->fd, &eh, sizeof(eh), 0) == sizeof(eh) ? check_ehdr(&eh) : -ENOEXEC;
	if (r < 0) {
		program_discard(p);
		return r;
	}
	*prog = p;
	return 0;
}

void program_discard(struct program *prog)
{
	program_free(prog);
	free(prog);
}

/* The main stack is one mapping of its full size (MAP_NORESERVE: only
 * touched pages cost), so an unlimited or huge RLIMIT_STACK is capped, and
 * a tiny one still holds argv and envp. */
#define STACK_MAX (1ull << 30)
#define STACK_MIN (128ull << 10)
static struct rlimit64 stack_limit; /* guarded by proc.lock */

void stack_limit_init(void)
{
	host(__NR_prlimit64, 0, RLIMIT_STACK, NULL, &stack_limit);
	if (config.stack_size) { /* the manifest's size is what the app is told */
		stack_limit.rlim_cur = config.stack_size;
		stack_limit.rlim_max = MAX(stack_limit.rlim_max, stack_limit.rlim_cur);
	}
}

void stack_limit_get(struct rlimit64 *lim)
{
	lock(&proc.lock);
	*lim = stack_limit;
	unlock(&proc.lock);
}

void stack_limit_set(const struct rlimit64 *lim)
{
	lock(&proc.lock);
	stack_limit = *lim;
	unlock(&proc.lock);
}

static size_t stack_size(void)
{
	struct rlimit64 lim;
	stack_limit_get(&lim);
	return config.stack_size ?: ALIGN_UP(MAX(MIN(lim.rlim_cur, STACK_MAX), STACK_MIN), PAGE_SIZE);
}

static int load_opened(struct program *pp, const char *path, const char *const *envp, struct ucontext *uc);

int load_program(const char *path, const char *const *argv, const char *const *envp,
                 struct ucontext *uc)
{
	struct program p;
	int r = open_program(path, argv, &p);
	if (r < 0) {
		program_free(&p);
		return r;
	}
	return load_opened(&p, path, envp, uc);
}

int load_checked(struct program *prog, const char *path, const char *const *envp, struct ucontext *uc)
{
	struct program p = *prog;
	free(prog);
	return load_opened(&p, path, envp, uc);
}

/* Maps the opened program p; frees what it holds. */
static int load_opened(struct program *pp, const char *path, const char *const *envp, struct ucontext *uc)
{
	struct program p = *pp;
	int r;
	int fd = p.fd;
	p.fd = -1;
	const char *const *args = p.args;
	char *canon = p.canon;

	struct image exe, interp;
	r = map_elf(fd, &exe, config.brk_max + PAGE_SIZE, false);
	host_close(fd);
	if (r < 0) {
		program_free(&p);
		return r;
	}
	bool dynamic = exe.interp[0] != 0;
	if (dynamic) {
		char *icanon;
		int ifd = (int)fs_open_exec(exe.interp, &icanon);
		r = ifd;
		if (ifd >= 0) {
			free(icanon);
			r = map_elf(ifd, &interp, 0, false);
			host_close(ifd);
		}
	}
	if (r == 0)
		r = setup_brk(&exe);
	void *stack = NULL;
	size_t stack_len = stack_size();
	if (r == 0) {
		stack = host_mmap(NULL, stack_len, PROT_READ | PROT_WRITE,
		                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_GROWSDOWN, -1, 0);
		if (host_err((long)stack))
			r = (int)(long)stack;
	}
	if (r < 0) {
		program_free(&p);
		return r;
	}
	uintptr_t sp = build_stack(&exe, dynamic ? &interp : NULL, path, args, envp,
	                           (uintptr_t)stack + stack_len);

	proc.start_code = exe.code_end ? exe.code_start : 0;
	proc.end_code = exe.code_end;
	proc.start_stack = sp;
	free(proc.exe);
	proc.exe = canon;
	free(proc.cmdline);
	proc.cmdline = join_cmdline(args, &proc.cmdline_len);
	program_free(&p);
	/* Linux's comm after an exec: the file name execve was given (a
	 * script's, not its interpreter's), 15 bytes. */
	const char *base = strrchr(path, '/');
	thread_set_comm(base ? base + 1 : path);

	memset(uc, 0, sizeof(*uc));
	uc->uc_mcontext.rip = dynamic ? interp.entry : exe.entry;
	uc->uc_mcontext.rsp = sp;
	uc->uc_mcontext.cs = 0x33;
	uc->uc_mcontext.ss = 0x2b;
	uc->uc_mcontext.eflags = 0x202;
	return 0;
}
