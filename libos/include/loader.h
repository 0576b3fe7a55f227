/* ELF loading and the initial app stack (also used by execve). */
#ifndef LIBOS_LOADER_H
#define LIBOS_LOADER_H

#include "ktypes.h"

/* Loads the program at sandbox path `path` (ELF, static or dynamic, or a #!
 * script) with argv/envp into the address space, and fills uc with the
 * register state that starts it. Returns 0 or -errno. */
int load_program(const char *path, const char *const *argv, const char *const *envp,
                 struct ucontext *uc);
/* What execve checks before the point of no return: the program (after #!
 * lines) exists, may be executed and is an x86-64 ELF file. 0 with *prog,
 * the open program for load_checked (so it is opened and read once), or
 * -errno. */
struct program;
int program_check(const char *path, const char *const *argv, struct program **prog);
/* load_program of a checked program (argv as given to program_check, still
 * allocated); frees prog. */
int load_checked(struct program *prog, const char *path, const char *const *envp, struct ucontext *uc);
void program_discard(struct program *prog);
/* The app's RLIMIT_STACK, kept by the loader: unless the manifest fixes
 * sys.stack.size, the next program's stack is as large as its soft limit,
 * as Linux's execve makes it. init reads the host's at start-up; set takes
 * a validated limit. */
struct rlimit64;
void stack_limit_init(void);
void stack_limit_get(struct rlimit64 *lim);
void stack_limit_set(const struct rlimit64 *lim);
/* Maps another copy of the libos image (fd: its file) at a random place;
 * *base is its load address. 0 or -errno. */
int map_libos_copy(int fd, uintptr_t *base);
int seccomp_install(void);
/* Restricts host file access to the mounts (and /proc, /dev nodes) with
 * Landlock where the kernel has it; 0 also when it does not. */
int landlock_confine(void);

#endif
