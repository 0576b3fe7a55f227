/* The seccomp filter: app system calls trap (SIGSYS) into the libos; the
 * libos's own call site may make only the host calls the libos needs, so an
 * app that jumps to that site still meets a narrow host ABI. */
#include <asm/errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include "host/host.h"
#include "loader.h"
#include "rt.h"

static const unsigned short host_allowlist[] = {
	__NR_read, __NR_write, __NR_open, __NR_close, __NR_stat, __NR_fstat, __NR_lstat,
	__NR_poll, __NR_lseek, __NR_mmap, __NR_mprotect, __NR_munmap, __NR_brk,
	__NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_ioctl, __NR_pread64,
	__NR_pwrite64, __NR_readv, __NR_writev, __NR_access, __NR_pipe, __NR_select,
	__NR_sched_yield, __NR_mremap, __NR_msync, __NR_mincore, __NR_madvise, __NR_dup,
	__NR_dup2, __NR_nanosleep, __NR_getpid, __NR_sendfile, __NR_socket, __NR_connect,
	__NR_accept, __NR_sendto, __NR_recvfrom, __NR_sendmsg, __NR_recvmsg, __NR_shutdown,
	__NR_bind, __NR_listen, __NR_getsockname, __NR_getpeername, __NR_socketpair,
	__NR_setsockopt, __NR_getsockopt, __NR_clone, __NR_exit, __NR_uname, __NR_fcntl,
	__NR_flock, __NR_fsync, __NR_fdatasync, __NR_truncate, __NR_ftruncate,
	__NR_getdents64, __NR_fchdir, __NR_rename, __NR_mkdir, __NR_rmdir, __NR_link,
	__NR_unlink, __NR_symlink, __NR_readlink, __NR_chmod, __NR_fchmod, __NR_fchown,
	__NR_umask, __NR_gettimeofday, __NR_getrlimit, __NR_getrusage, __NR_sysinfo,
	__NR_getuid, __NR_getgid, __NR_geteuid, __NR_getegid, __NR_getppid,
	__NR_sigaltstack, __NR_statfs, __NR_fstatfs, __NR_getpriority, __NR_setpriority,
	__NR_sched_getaffinity, __NR_sched_setaffinity, __NR_mlock, __NR_munlock,
	__NR_arch_prctl, __NR_gettid, __NR_readahead, __NR_tkill, __NR_time, __NR_futex,
	__NR_getdents64, __NR_set_tid_address, __NR_fadvise64, __NR_clock_gettime,
	__NR_clock_getres, __NR_clock_nanosleep, __NR_exit_group, __NR_epoll_wait,
	__NR_epoll_ctl, __NR_tgkill, __NR_utimes, __NR_waitid, __NR_openat, __NR_mkdirat,
	__NR_mknodat, __NR_fchownat, __NR_newfstatat, __NR_unlinkat, __NR_renameat,
	__NR_linkat, __NR_symlinkat, __NR_readlinkat, __NR_fchmodat, __NR_faccessat,
	__NR_pselect6, __NR_ppoll, __NR_set_robust_list, __NR_get_robust_list,
	__NR_splice, __NR_tee, __NR_sync_file_range, __NR_utimensat, __NR_epoll_pwait,
	__NR_timerfd_create, __NR_eventfd, __NR_fallocate, __NR_timerfd_settime,
	__NR_timerfd_gettime, __NR_accept4, __NR_eventfd2, __NR_epoll_create1, __NR_dup3,
	__NR_pipe2, __NR_preadv, __NR_pwritev, __NR_rt_tgsigqueueinfo, __NR_recvmmsg,
	__NR_prlimit64, __NR_syncfs, __NR_sendmmsg, __NR_getcpu, __NR_renameat2,
	__NR_getrandom, __NR_memfd_create, __NR_copy_file_range, __NR_preadv2,
	__NR_pwritev2, __NR_statx, __NR_close_range, __NR_openat2, __NR_faccessat2,
	__NR_epoll_pwait2, __NR_wait4, __NR_kill, __NR_sync, __NR_sched_getparam,
	__NR_sched_getscheduler, __NR_sched_get_priority_max, __NR_sched_get_priority_min,
	__NR_getitimer, __NR_setitimer, __NR_alarm, __NR_timer_create, __NR_timer_settime,
	__NR_timer_gettime, __NR_timer_getoverrun, __NR_timer_delete, __NR_pause,
	__NR_rseq, __NR_membarrier, __NR_times, __NR_mlockall, __NR_munlockall,
	__NR_setpgid, __NR_setsid, __NR_rt_sigqueueinfo,
	/* The kernel itself re-enters an interrupted timed wait (futex, poll,
	 * nanosleep) through restart_syscall at the libos's site when the
	 * interruption ran no handler (task work, a stop signal). */
	__NR_restart_syscall,
	452 /* fchmodat2 */, __NR_getdents, __NR_getpgid, __NR_getsid, __NR_fgetxattr, __NR_flistxattr,
	__NR_fsetxattr, __NR_fremovexattr,
};

#define MAX_FILTER 512

struct builder {
	struct sock_filter f[MAX_FILTER];
	unsigned n;
};

static void emit(struct builder *b, struct sock_filter ins)
{
	if (b->n < MAX_FILTER)
		b->f[b->n++] = ins;
}

/* The allowlist as 32-bit masks, one per block of 32 syscall numbers that
 * has any allowed number in it. */
struct block {
	uint32_t first; /* a multiple of 32 */
	uint32_t mask;  /* bit i: first + i is allowed */
};

/* A binary decision tree over the blocks, then one bit test: log2(blocks)
 * comparisons, and a filter about half the size of one over single runs
 * (the kernel verifies and JIT-compiles it at every start). */
static void emit_tree(struct builder *b, const struct block *bl, int n, uint32_t deny)
{
	if (n == 1) {
		emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, bl->first, 0, 7));
		emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, bl->first + 32, 6, 0));
		emit(b, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, bl->first));
		emit(b, (struct sock_filter)BPF_STMT(BPF_MISC | BPF_TAX, 0));
		emit(b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 1));
		emit(b, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0));
		emit(b, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, bl->mask));
		emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0));
		emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
		emit(b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, deny));
		return;
	}
	int mid = n / 2;
	unsigned at = b->n;
	emit(b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, bl[mid].first, 0, 0));
	emit_tree(b, bl, mid, deny);
	if (b->n - at - 1 > 255)
		b->n = MAX_FILTER; /* a jump too far: reported as E2BIG below */
	b->f[at].jt = (unsigned char)(b->n - at - 1);
	emit_tree(b, bl + mid, n - mid, deny);
}

static void sort_unique(unsigned short *v, int *n)
{
	for (int i = 1; i < *n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			unsigned short tmp = v[j];
			v[j] = v[j - 1];
			v[j - 1] = tmp;
		}
	int k = 0;
	for (int i = 0; i < *n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	*n = k;
}

int seccomp_install(void)
{
	static struct builder b;
	unsigned short nrs[ARRAY_SIZE(host_allowlist)];
	int n = ARRAY_SIZE(host_allowlist);
	memcpy(nrs, host_allowlist, sizeof(nrs));
	sort_unique(nrs, &n);
	struct block blocks[ARRAY_SIZE(host_allowlist)];
	int nblocks = 0;
	for (int i = 0; i < n; i++) {
		uint32_t first = nrs[i] & ~31U;
		if (!nblocks || blocks[nblocks - 1].first != first)
			blocks[nblocks++] = (struct block){ first, 0 };
		blocks[nblocks - 1].mask |= 1U << (nrs[i] - first);
	}

	/* After the syscall instruction the kernel reports %rip past it. */
	uint64_t site = (uint64_t)host_syscall_site + 2;
	const uint32_t deny = SECCOMP_RET_ERRNO | EPERM;
	b.n = 0;
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, arch)));
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, instruction_pointer)));
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)site, 1, 0));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, instruction_pointer) + 4));
	emit(&b, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(site >> 32), 1, 0));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit(&b, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                      offsetof(struct seccomp_data, nr)));
	emit_tree(&b, blocks, nblocks, deny);
	if (b.n >= MAX_FILTER)
		return -E2BIG;

	struct sock_fprog prog = { .len = (unsigned short)b.n, .filter = b.f };
	long r = host(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r < 0)
		return (int)r;
	return (int)host(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
