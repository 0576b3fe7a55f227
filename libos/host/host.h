/* Host ABI: thin wrappers over the single syscall site (host/syscall.S).
 * Every function returns the raw kernel result: a value, or -errno. */
#ifndef LIBOS_HOST_H
#define LIBOS_HOST_H

#include <stddef.h>
#include <stdint.h>
#include <asm/unistd.h>

long host_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
long host_syscall6_wakeable(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
void host_sigreturn(void);
long host_clone_thread(unsigned long flags, void *stack, int *ptid, int *ctid,
                       unsigned long tls, void (*fn)(void *), void *arg);
extern char host_syscall_site[], host_wake_check[], host_wake_eintr[];

#define HOST_NARGS_(a, b, c, d, e, f, g, n, ...) n
#define HOST_NARGS(...) HOST_NARGS_(__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define HOST_CAT_(a, b) a##b
#define HOST_CAT(a, b) HOST_CAT_(a, b)
#define HOST_CALL0(fn, nr) fn(nr, 0, 0, 0, 0, 0, 0)
#define HOST_CALL1(fn, nr, a) fn(nr, (long)(a), 0, 0, 0, 0, 0)
#define HOST_CALL2(fn, nr, a, b) fn(nr, (long)(a), (long)(b), 0, 0, 0, 0)
#define HOST_CALL3(fn, nr, a, b, c) fn(nr, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define HOST_CALL4(fn, nr, a, b, c, d) fn(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define HOST_CALL5(fn, nr, a, b, c, d, e) \
	fn(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define HOST_CALL6(fn, nr, a, b, c, d, e, f) \
	fn(nr, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* host(__NR_x, args...): a host system call with 0 to 6 arguments
 * (HOST_CALLn takes n arguments after the number). */
#define host(...) HOST_CAT(HOST_CALL, HOST_NARGS(__VA_ARGS__))(host_syscall6, __VA_ARGS__)

static inline int host_err(long r) { return r < 0 && r > -4096; }

static inline long host_write(int fd, const void *buf, size_t n) { return host(__NR_write, fd, buf, n); }
static inline long host_read(int fd, void *buf, size_t n) { return host(__NR_read, fd, buf, n); }
static inline long host_close(int fd) { return host(__NR_close, fd); }
static inline void *host_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return (void *)host(__NR_mmap, addr, len, prot, flags, fd, off);
}
static inline long host_munmap(void *addr, size_t len) { return host(__NR_munmap, addr, len); }
static inline long host_mprotect(void *addr, size_t len, int prot) { return host(__NR_mprotect, addr, len, prot); }
static inline long host_gettid(void) { return host(__NR_gettid); }
static inline long host_getpid(void) { return host(__NR_getpid); }
static inline long host_futex(int *uaddr, int op, int val, const void *ts, int *uaddr2, int val3)
{
	return host(__NR_futex, uaddr, op, val, ts, uaddr2, val3);
}
/* Blocks the host signals in `set` for the calling thread; returns the mask
 * to give back to host_sigmask_restore. */
static inline uint64_t host_sigmask_block(uint64_t set)
{
	uint64_t old;
	host(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &set, &old, sizeof(set));
	return old;
}

static inline void host_sigmask_restore(uint64_t old)
{
	host(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &old, NULL, sizeof(old));
}

static inline __attribute__((noreturn)) void host_exit_group(int status)
{
	for (;;)
		host(__NR_exit_group, status);
}

#endif
