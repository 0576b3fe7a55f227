/* Start-up of a picoprocess: relocate the libos image, read the launcher's
 * configuration, load the app, arm interception and jump to the app. */
#include <linux/auxvec.h>
#include <asm/prctl.h>
#include <linux/elf.h>
#include <linux/fcntl.h>
#include <linux/mman.h>

#define R_X86_64_RELATIVE 8
#include "arena.h"
#include "config.h"
#include "fastpath.h"
#include "fdtable.h"
#include "fs.h"
#include "host/host.h"
#include "identity.h"
#include "loader.h"
#include "log.h"
#include "memlimit.h"
#include "nsd.h"
#include "rpc.h"
#include "process.h"
#include "rt.h"
#include "signal.h"
#include "thread.h"
#include "sysv.h"
#include "uts.h"

struct process proc;

extern Elf64_Dyn _DYNAMIC[] __attribute__((visibility("hidden")));
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

/* A static-pie has nobody to apply its relocations: do it first, touching
 * no global that needs one. */
static void relocate_self(void)
{
	uintptr_t base = (uintptr_t)__ehdr_start;
	Elf64_Rela *rela = NULL;
	size_t relasz = 0;
	for (Elf64_Dyn *d = _DYNAMIC; d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_RELA)
			rela = (Elf64_Rela *)(base + d->d_un.d_ptr);
		else if (d->d_tag == DT_RELASZ)
			relasz = d->d_un.d_val;
	}
	for (size_t i = 0; rela && i < relasz / sizeof(*rela); i++)
		if (ELF64_R_TYPE(rela[i].r_info) == R_X86_64_RELATIVE)
			*(uintptr_t *)(base + rela[i].r_offset) = base + rela[i].r_addend;
}

/* The control data (the syscall table and every other const pointer, the
 * configuration, the mount table, the arena's and fd range's bounds: the
 * RELRO segment, see __ro_after_init) becomes read-only before the app
 * runs, as ld.so would make RELRO; a static-pie has no ld.so. The seccomp
 * filter then refuses to make libos memory writable again. */
static void protect_control_data(void)
{
	const Elf64_Ehdr *eh = (const void *)__ehdr_start;
	const Elf64_Phdr *ph = (const void *)(__ehdr_start + eh->e_phoff);
	uintptr_t base = (uintptr_t)__ehdr_start;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_GNU_RELRO)
			continue;
		uintptr_t s = ALIGN_DOWN(base + ph[i].p_vaddr, PAGE_SIZE);
		uintptr_t e = ALIGN_UP(base + ph[i].p_vaddr + ph[i].p_memsz, PAGE_SIZE);
		if (host_mprotect((void *)s, e - s, PROT_READ) < 0)
			libos_fatal("cannot make the libos's control data read-only");
	}
}

__attribute__((noreturn)) void libos_start(long *sp, uintptr_t moved_from);
__attribute__((noreturn)) void host_restart_at(void (*entry)(long *, uintptr_t), long *sp, uintptr_t arg);

/* --config-fd=N, --image-fd=N: N, or -1. */
static int fd_arg(const char *arg, const char *prefix)
{
	uint64_t fd;
	if (!arg || !str_starts_with(arg, prefix) || !parse_u64(arg + strlen(prefix), &fd) || fd > 1 << 20)
		return -1;
	return (int)fd;
}

/* The kernel maps a static-pie right beside the vDSO, in the area the
 * app's libraries and mappings come from, so any of their addresses would
 * tell the app where the libos is. So the libos maps a second copy of
 * itself at a random place (host_mmap_random), starts over there and
 * unmaps this one. The copy is mapped from the fd the launcher exec'd
 * (its opening of /proc/self/exe was ~30 us), closed before the app can
 * find it. */
static void move_image(long *sp)
{
	int fd = sp[0] > 2 ? fd_arg((char *)sp[3], IMAGE_FD_ARG) : -1;
	uintptr_t base;
	if (fd < 0 || map_libos_copy(fd, &base) < 0)
		host_exit_group(70);
	host_close(fd);
	uintptr_t here = (uintptr_t)__ehdr_start;
	host_restart_at((void (*)(long *, uintptr_t))(base + ((uintptr_t)libos_start - here)), sp, here);
}

static void read_host_auxv(unsigned long *auxv)
{
	for (; auxv[0] != AT_NULL; auxv += 2) {
		switch (auxv[0]) {
		case AT_SYSINFO_EHDR: proc.vdso = auxv[1]; break;
		case AT_HWCAP: proc.hwcap = auxv[1]; break;
		case AT_HWCAP2: proc.hwcap2 = auxv[1]; break;
		case AT_MINSIGSTKSZ: proc.minsigstksz = auxv[1]; break;
		}
	}
}

__attribute__((noreturn, used)) void libos_start(long *sp, uintptr_t moved_from)
{
	/* The kernel's copy only maps the moved one, a path that reads no
	 * pointer from data: it is not relocated (that cost it ~13
	 * copy-on-write faults). */
	if (!moved_from)
		move_image(sp);
	relocate_self();
	uintptr_t image_start, image_end;
	libos_image_bounds(&image_start, &image_end);
	host_munmap((void *)moved_from, image_end - image_start);
	int argc = (int)sp[0];
	char **argv = (char **)(sp + 1);
	char **envp = argv + argc + 1;
	char **e = envp;
	while (*e)
		e++;
	read_host_auxv((unsigned long *)(e + 1));

	if (arena_init() < 0)
		host_exit_group(70);
	fd_init();
	log_init(LOG_WARNING);
	struct thread *t = thread_alloc();
	if (!t || thread_bind(t) < 0)
		libos_fatal("cannot set up the first thread");
	int cfd = argc > 1 ? fd_arg(argv[1], CONFIG_FD_ARG) : -1;
	if (cfd < 0)
		libos_fatal("usage: libos --config-fd=N (started by bin/graphene)");
	if (config_load(cfd) < 0)
		host_exit_group(2);
	log_init(config.log_level);
	if (config.log_fd >= 0 && log_to_fd(config.log_fd) < 0)
		host_exit_group(2);
	stack_limit_init();

	fastpath_init(config.fast_path);
	proc.host_pid = (int)host_getpid();
	proc.pid = proc.host_pid;
	proc.ppid = 0;
	proc.pgid = (int)host(__NR_getpgid, 0);
	proc.sid = (int)host(__NR_getsid, 0);
	proc.host_ppid = (int)host(__NR_getppid);
	proc.host_pgid = proc.pgid;
	proc.host_sid = proc.sid;
	/* the host's ids are the sandbox's own (tools/confine.c), not the app's */
	if (cred_init() < 0)
		libos_fatal("cannot set up the app's identity");
	memlimit_init();
	/* the launcher's umask, inherited through its exec, is the app's */
	proc.umask = (int)host(__NR_umask, 0);
	host(__NR_umask, proc.umask);
	t->tid = proc.pid;
	t->host_tid = proc.host_pid;
	/* The host clears host_alive when this thread is gone, as for the
	 * threads the libos clones: execve's thread_end_others waits for it,
	 * and thread_reap frees its libos stack only then. */
	t->host_alive = 1;
	host(__NR_set_tid_address, &t->host_alive);
	thread_add(t);
	/* nsd registers us while the app is loaded. */
	nsd_start();

	if (fs_init() < 0)
		host_exit_group(2);
	if (uts_init() < 0)
		libos_fatal("cannot set up the host name");
	proc.cwd = strdup(config.start_dir);

	struct ucontext *start_uc = malloc(sizeof(*start_uc));
	int r = load_program(config.entrypoint, config.argv, config.envp, start_uc);
	if (r < 0) {
		log_error("cannot run %s: error %d", config.entrypoint, -r);
		host_exit_group(r == -2 ? 127 : 126);
	}
	/* Landlock needs no sandbox pid: it is made while nsd answers. */
	if (landlock_confine() < 0)
		libos_fatal("cannot confine the picoprocess with Landlock");
	if (nsd_started() < 0)
		host_exit_group(1);
	sysv_init();
	t->tid = proc.pid;
	cred_publish();
	/* pid 1 is the sandbox's init: orphans of this launch are reparented
	 * to it by the host too (its children are all host descendants). The
	 * site's filter refuses prctl, so this is now or never. */
	if (proc.pid == 1)
		host(__NR_prctl, 36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0);
	signals_init();
	protect_control_data();
	if (seccomp_install() < 0)
		libos_fatal("cannot install the seccomp filter");
	/* After the filter: the stream's helper thread is filtered too. */
	rpc_start();
	/* What start-up sent (the SysV memory for launches that join) is
	 * taken before the app runs. */
	nsd_flush();
	host_jump_to_context(start_uc);
}
