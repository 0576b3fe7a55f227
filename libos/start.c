/* Start-up of a picoprocess: relocate the libos image, read the launcher's
 * configuration, load the app, arm interception and jump to the app. */
#include <linux/auxvec.h>
#include <asm/prctl.h>
#include <linux/elf.h>

#define R_X86_64_RELATIVE 8
#include "arena.h"
#include "config.h"
#include "fastpath.h"
#include "fdtable.h"
#include "fs.h"
#include "host/host.h"
#include "loader.h"
#include "log.h"
#include "process.h"
#include "rt.h"
#include "signal.h"
#include "thread.h"

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

static int config_fd_from_argv(int argc, char **argv)
{
	uint64_t fd;
	if (argc < 2 || !str_starts_with(argv[1], CONFIG_FD_ARG) ||
	    !parse_u64(argv[1] + strlen(CONFIG_FD_ARG), &fd) || fd > 1 << 20)
		return -1;
	return (int)fd;
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

__attribute__((noreturn, used)) void libos_start(long *sp)
{
	relocate_self();
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
	int cfd = config_fd_from_argv(argc, argv);
	if (cfd < 0)
		libos_fatal("usage: libos --config-fd=N (started by bin/graphene)");
	if (config_load(cfd) < 0)
		host_exit_group(2);
	log_init(config.log_level);

	fastpath_init(config.fast_path);
	proc.host_pid = (int)host_getpid();
	proc.pid = proc.host_pid;
	proc.ppid = 0;
	proc.pgid = (int)host(__NR_getpgid, 0);
	proc.sid = (int)host(__NR_getsid, 0);
	proc.uid = (uint32_t)host(__NR_getuid);
	proc.gid = (uint32_t)host(__NR_getgid);
	proc.umask = 022;
	host(__NR_umask, 0);
	t->tid = proc.pid;
	t->host_tid = proc.host_pid;
	thread_add(t);

	if (fs_init() < 0)
		host_exit_group(2);
	proc.cwd = strdup(config.start_dir);

	struct ucontext *start_uc = malloc(sizeof(*start_uc));
	int r = load_program(config.entrypoint, config.argv, config.envp, start_uc);
	if (r < 0) {
		log_error("cannot run %s: error %d", config.entrypoint, -r);
		host_exit_group(r == -2 ? 127 : 126);
	}
	signals_init();
	if (landlock_confine() < 0)
		libos_fatal("cannot confine the picoprocess with Landlock");
	if (seccomp_install() < 0)
		libos_fatal("cannot install the seccomp filter");
	host_jump_to_context(start_uc);
}
