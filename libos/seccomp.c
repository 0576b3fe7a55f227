/* The seccomp filter: app system calls trap (SIGSYS) into the libos; the
 * libos's own call site may make only the host calls the libos needs, and
 * where a call can reach outside the picoprocess, only with the arguments
 * the libos passes (sitepolicy.h; ARCHITECTURE.md has the table). So an app
 * that jumps to that site with its own registers still meets a narrow host
 * ABI. */
#include <asm/errno.h>
#include <asm/fcntl.h>
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <linux/audit.h>
#include <linux/fiemap.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/seccomp.h>
#include <linux/sockios.h>
#include <linux/stat.h>
#include <stddef.h>
#include "arena.h"
#include "config.h"
#include "fs.h"
#include "host/host.h"
#include "loader.h"
#include "log.h"
#include "rt.h"
#include "sitepolicy.h"

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif
#ifndef __NR_getxattrat
#define __NR_getxattrat 464
#endif

/* Calls allowed with any arguments: they name only the caller's own fds,
 * memory, threads or clocks, or paths (which Landlock confines). The calls
 * with argument checks are in checked_calls below, not here. */
static const unsigned short host_allowlist[] = {
	__NR_read, __NR_write, __NR_close, __NR_fstat, __NR_poll, __NR_lseek,
	__NR_rt_sigaction, __NR_rt_sigprocmask, __NR_rt_sigreturn, __NR_pread64,
	__NR_pwrite64, __NR_readv, __NR_writev, __NR_select, __NR_sched_yield, __NR_msync,
	__NR_mincore, __NR_dup, __NR_dup2, __NR_nanosleep, __NR_getpid, __NR_getppid, __NR_sendfile,
	__NR_connect, __NR_sendto, __NR_recvfrom, __NR_sendmsg, __NR_recvmsg, __NR_shutdown,
	__NR_bind, __NR_listen, __NR_getsockname, __NR_getpeername, __NR_setsockopt,
	__NR_getsockopt, __NR_exit, __NR_uname, __NR_flock, __NR_fsync,
	__NR_fdatasync, __NR_ftruncate, __NR_getdents64, __NR_fchown, __NR_umask,
	__NR_gettimeofday, __NR_getrusage, __NR_sysinfo, __NR_getuid, __NR_getgid,
	__NR_sigaltstack, __NR_fstatfs, __NR_mlock, __NR_munlock, __NR_arch_prctl, __NR_gettid,
	__NR_readahead, __NR_time, __NR_futex, __NR_fadvise64, __NR_clock_gettime,
	__NR_clock_getres, __NR_clock_nanosleep, __NR_exit_group, __NR_epoll_wait,
	__NR_epoll_ctl, __NR_waitid, __NR_mkdirat, __NR_fchownat, __NR_newfstatat,
	__NR_unlinkat, __NR_linkat, __NR_symlinkat, __NR_readlinkat, __NR_pselect6,
	__NR_ppoll, __NR_set_robust_list, __NR_get_robust_list, __NR_splice, __NR_tee,
	__NR_sync_file_range, __NR_utimensat, __NR_timerfd_create, __NR_eventfd,
	__NR_fallocate, __NR_timerfd_settime, __NR_timerfd_gettime, __NR_accept4,
	__NR_eventfd2, __NR_epoll_create1, __NR_dup3, __NR_pipe2, __NR_preadv, __NR_pwritev,
	__NR_syncfs, __NR_getcpu, __NR_renameat2, __NR_getrandom, __NR_memfd_create,
	__NR_copy_file_range, __NR_preadv2, __NR_pwritev2, __NR_statx, __NR_close_range,
	__NR_faccessat2, __NR_epoll_pwait2, __NR_wait4, __NR_sync, __NR_sched_get_priority_max,
	__NR_sched_get_priority_min, __NR_getitimer, __NR_setitimer, __NR_alarm,
	__NR_timer_create, __NR_timer_settime, __NR_timer_gettime, __NR_timer_getoverrun,
	__NR_timer_delete, __NR_rseq, __NR_membarrier, __NR_times, __NR_setpgid, __NR_setsid,
	/* The kernel itself re-enters an interrupted timed wait (futex, poll,
	 * nanosleep) through restart_syscall at the libos's site when the
	 * interruption ran no handler (task work, a stop signal). */
	__NR_restart_syscall,
	__NR_getdents, __NR_getpgid, __NR_getsid, __NR_fgetxattr, __NR_flistxattr,
	__NR_fsetxattr, __NR_fremovexattr,
	__NR_getxattrat, /* fs/perm.c reads the owner records: reading only */
	__NR_inotify_init1, __NR_inotify_add_watch, __NR_inotify_rm_watch, /* sys/inotify.c */
	__NR_futex_waitv,
	/* sys/signal.c: a pidfd only waits or polls; signals go by the kill rules */
	__NR_pidfd_open,
};

/* The ioctl requests passed to the host: terminal attributes, window size,
 * foreground group and controlling terminal (job control), pty masters
 * (number, lock, peer, packet mode), fd flags and queue sizes, reflinks
 * and file flags for cp, and reading interface data (with the network
 * only). Not TIOCSTI (fake input to the host's terminal), TIOCLINUX,
 * TIOCSETD, TIOCCONS, TIOCVHANGUP, TIOCSIG, nor any device or network
 * setting. TIOCSCTTY takes a terminal only from no session: stealing one
 * (arg 1) needs CAP_SYS_ADMIN, which no picoprocess has. */
static const uint32_t ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF, TCGETS2, TCSETS2, TCSETSW2, TCSETSF2, TCSBRK, TCXONC,
	TCFLSH, TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY, TIOCGPTN, TIOCSPTLCK,
	TIOCGPTLCK, TIOCGPTPEER, TIOCPKT, TIOCGPKT, TIOCOUTQ, TIOCGWINSZ, TIOCSWINSZ, FIONREAD,
	FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC, FIOQSIZE, FIGETBSZ, FICLONE, FICLONERANGE,
	FIDEDUPERANGE, FS_IOC_GETFLAGS, FS_IOC_FIEMAP, SIOCATMARK,
};
static const uint32_t net_ioctls[] = {
	SIOCGIFCONF, SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS, SIOCGIFADDR, SIOCGIFNETMASK,
	SIOCGIFMTU, SIOCGIFHWADDR,
};

/* Socket families and, per family, the types (bit per SOCK_* number) and
 * protocols: no packet, netlink or raw sockets and no ICMP ping sockets;
 * IPv4/IPv6 only with sys.network = "host". */
static const struct {
	int family;
	bool net;
	uint32_t types;
	unsigned char nproto;
	uint32_t protos[3];
} families[] = {
	{ AF_UNIX, false, 1 << SOCK_STREAM | 1 << SOCK_DGRAM | 1 << SOCK_SEQPACKET, 2, { 0, AF_UNIX } },
	{ AF_INET, true, 1 << SOCK_STREAM | 1 << SOCK_DGRAM, 3, { 0, IPPROTO_TCP, IPPROTO_UDP } },
	{ AF_INET6, true, 1 << SOCK_STREAM | 1 << SOCK_DGRAM, 3, { 0, IPPROTO_TCP, IPPROTO_UDP } },
};

bool ioctl_allowed(unsigned int req)
{
	for (size_t i = 0; i < ARRAY_SIZE(ioctls); i++)
		if (ioctls[i] == req)
			return true;
	for (size_t i = 0; config.network_host && i < ARRAY_SIZE(net_ioctls); i++)
		if (net_ioctls[i] == req)
			return true;
	return false;
}

long socket_check(int family, int type, int protocol)
{
	int base = type & SOCK_TYPE_MASK;
	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		if (families[i].family != family)
			continue;
		if (families[i].net && !config.network_host)
			return -EACCES; /* as an LSM refusing the network */
		if (base == SOCK_RAW)
			return -EPERM; /* needs CAP_NET_RAW */
		if (!(families[i].types >> base & 1))
			return -ESOCKTNOSUPPORT;
		if (families[i].net && base == SOCK_DGRAM &&
		    (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6))
			return -EACCES; /* outside net.ipv4.ping_group_range */
		for (int p = 0; p < families[i].nproto; p++)
			if (families[i].protos[p] == (uint32_t)protocol)
				return 0;
		return -EPROTONOSUPPORT;
	}
	return family == AF_PACKET ? -EPERM : -EAFNOSUPPORT;
}

long clone_flags_check(unsigned long flags)
{
	if (flags & CLONE_NAMESPACES)
		return -EPERM;
	/* CLONE_PIDFD is the libos's to make (sys/thread.c), never the host's. */
	return flags & ~(unsigned long)(CLONE_HOST_FLAGS | CLONE_VFORK | CLONE_PIDFD) ? -EINVAL : 0;
}

#define MAX_FILTER 1024

struct builder {
	struct sock_filter f[MAX_FILTER];
	unsigned n;
	/* jumps to patch to the end of the current rule (its failure) */
	unsigned fix[64];
	unsigned nfix;
	unsigned next_call;  /* the jump to the next checked call's rules */
	unsigned leaves[64]; /* the tree's jumps to the checked calls */
	unsigned nleaves;
};

static void emit(struct builder *b, struct sock_filter ins)
{
	if (b->n < MAX_FILTER)
		b->f[b->n++] = ins;
}

#define STMT(code, k) emit(b, (struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) emit(b, (struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define RET(k) STMT(BPF_RET | BPF_K, k)
#define LOAD(field) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define LOAD_ARG(i, hi) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[i]) + 4 * (hi))

static const uint32_t deny = SECCOMP_RET_ERRNO | EPERM;

/* The last instruction jumps (by jf when jf, else by jt) to the end of the
 * current rule, patched by end_rule. */
static void fail_jump(struct builder *b)
{
	if (b->nfix < ARRAY_SIZE(b->fix))
		b->fix[b->nfix++] = b->n - 1;
	else
		b->n = MAX_FILTER;
}

static void end_rule(struct builder *b)
{
	for (unsigned i = 0; i < b->nfix; i++) {
		struct sock_filter *j = &b->f[b->fix[i]];
		unsigned off = b->n - b->fix[i] - 1;
		if (j->code == (BPF_JMP | BPF_JA))
			j->k = off;
		else if (off > 255)
			b->n = MAX_FILTER; /* reported as E2BIG */
		else if (j->jf == 0xff)
			j->jf = (unsigned char)off;
		else
			j->jt = (unsigned char)off;
	}
	b->nfix = 0;
}

/* Fails the rule unless (argument half & mask) == val. */
static void need_eq(struct builder *b, int arg, int hi, uint32_t mask, uint32_t val)
{
	LOAD_ARG(arg, hi);
	if (mask != ~0U)
		STMT(BPF_ALU | BPF_AND | BPF_K, mask);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, 0, 0xff);
	fail_jump(b);
}

/* Fails the rule when the low half is val. */
static void need_ne(struct builder *b, int arg, uint32_t val)
{
	LOAD_ARG(arg, 0);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, 0, 0);
	fail_jump(b);
}

/* Fails the rule unless the low half, as an int, is > 0 (a pid). */
static void need_positive(struct builder *b, int arg)
{
	LOAD_ARG(arg, 0);
	STMT(BPF_ALU | BPF_SUB | BPF_K, 1);
	JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x7fffffffU, 0, 1);
	JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
	fail_jump(b);
}

/* Fails the rule unless (low half & mask) is one of set[0..n). */
static void need_in(struct builder *b, int arg, uint32_t mask, const uint32_t *set, unsigned n)
{
	LOAD_ARG(arg, 0);
	if (mask != ~0U)
		STMT(BPF_ALU | BPF_AND | BPF_K, mask);
	for (unsigned i = 0; i < n; i++)
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, set[i], (unsigned char)(n - i), 0);
	JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
	fail_jump(b);
}

static void need_ptr(struct builder *b, int arg, const void *p)
{
	need_eq(b, arg, 0, ~0U, (uint32_t)(uintptr_t)p);
	need_eq(b, arg, 1, ~0U, (uint32_t)((uintptr_t)p >> 32));
}

/* Fails the rule unless [addr, addr + len) (arguments a and l) misses the
 * libos image [s, e): addr >= e, or addr + len <= s, in 64 bits built from
 * 32-bit halves. The kernel wants page-aligned addresses and rounds len up
 * to a page, and s is page-aligned, so the unrounded sum is enough. Upper
 * halves of 2^16 or more (beyond any user address) fail. */
static void need_outside_image(struct builder *b, int a, int l, uint64_t s, uint64_t e)
{
	LOAD_ARG(a, 1);
	JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)(e >> 32), 26, 0);     /* -> ok */
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(e >> 32), 0, 2);      /* -> below */
	LOAD_ARG(a, 0);
	JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)e, 23, 0);             /* -> ok */
	/* below: addr + len <= s? */
	LOAD_ARG(l, 1);
	JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x10000, 0, 0);
	fail_jump(b);
	LOAD_ARG(a, 1);
	JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x10000, 0, 0);
	fail_jump(b);
	LOAD_ARG(a, 0);
	STMT(BPF_MISC | BPF_TAX, 0);
	LOAD_ARG(l, 0);
	STMT(BPF_ALU | BPF_ADD | BPF_X, 0);
	STMT(BPF_ST, 0);                                 /* M[0]: low half of the end */
	JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 2, 0);        /* sum >= addr: no carry */
	STMT(BPF_LD | BPF_IMM, 1);
	JUMP(BPF_JMP | BPF_JA, 1, 0, 0);
	STMT(BPF_LD | BPF_IMM, 0);
	STMT(BPF_MISC | BPF_TAX, 0);                     /* X = carry */
	LOAD_ARG(a, 1);
	STMT(BPF_ALU | BPF_ADD | BPF_X, 0);
	STMT(BPF_MISC | BPF_TAX, 0);
	LOAD_ARG(l, 1);
	STMT(BPF_ALU | BPF_ADD | BPF_X, 0);              /* upper half of the end */
	JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)(s >> 32), 0, 0);
	fail_jump(b);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(s >> 32), 0, 2);      /* less: ok */
	STMT(BPF_LD | BPF_MEM, 0);
	JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)s, 0, 0);
	fail_jump(b);
	/* ok */
}

static void allow_rule(struct builder *b)
{
	RET(SECCOMP_RET_ALLOW);
	end_rule(b);
}

/* The rules of calls nr[0..n) (which share them): `jeq nr` else on to the
 * next calls'; a call is allowed when one of its rules passes, else
 * refused. */
static void begin_calls(struct builder *b, const int *nr, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr[i], (unsigned char)(n - i), 0);
	JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
	b->next_call = b->n - 1;
}

static void begin_call(struct builder *b, int nr)
{
	begin_calls(b, &nr, 1);
}

static void end_call(struct builder *b)
{
	RET(deny);
	b->f[b->next_call].k = b->n - b->next_call - 1;
}

static void ioctl_rules(struct builder *b)
{
	uint32_t req[ARRAY_SIZE(ioctls) + ARRAY_SIZE(net_ioctls)];
	unsigned n = ARRAY_SIZE(ioctls);
	memcpy(req, ioctls, sizeof(ioctls));
	if (config.network_host) {
		memcpy(req + n, net_ioctls, sizeof(net_ioctls));
		n += ARRAY_SIZE(net_ioctls);
	}
	begin_call(b, __NR_ioctl);
	/* the kernel takes the request as an unsigned int: the low half */
	need_in(b, 1, ~0U, req, n);
	allow_rule(b);
	end_call(b);
}

static void socket_rules(struct builder *b)
{
	static const int nrs[] = { __NR_socket, __NR_socketpair };
	begin_calls(b, nrs, ARRAY_SIZE(nrs));
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		if (families[i].net && !config.network_host)
			continue;
		uint32_t types[32];
		unsigned n = 0;
		for (int t = 0; t < 32; t++)
			if (families[i].types >> t & 1)
				types[n++] = (uint32_t)t;
		need_eq(b, 0, 0, ~0U, (uint32_t)families[i].family);
		need_eq(b, 1, 0, ~(uint32_t)(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC), 0);
		need_in(b, 1, SOCK_TYPE_MASK, types, n);
		need_in(b, 2, ~0U, families[i].protos, families[i].nproto);
		allow_rule(b);
	}
	end_call(b);
}

/* Signals only to one host pid or thread (> 0): never a group, 0 or -1. */
static void kill_rules(struct builder *b, const int *nrs, unsigned n, int npids)
{
	begin_calls(b, nrs, n);
	for (int i = 0; i < npids; i++)
		need_positive(b, i);
	allow_rule(b);
	end_call(b);
}

/* A mode argument without setuid/setgid bits (mknodat: and only fifo,
 * socket or regular file nodes). */
static void mode_rule(struct builder *b, int nr, int arg)
{
	begin_call(b, nr);
	need_eq(b, arg, 0, S_ISUID | S_ISGID, 0);
	if (nr == __NR_mknodat) {
		static const uint32_t types[] = { 0, S_IFREG, S_IFIFO, S_IFSOCK };
		need_in(b, arg, S_IFMT, types, ARRAY_SIZE(types));
	}
	allow_rule(b);
	end_call(b);
}

static void memory_rules(struct builder *b, uint64_t s, uint64_t e)
{
	static const int range_calls[] = { __NR_mprotect, __NR_munmap, __NR_madvise };
	begin_calls(b, range_calls, ARRAY_SIZE(range_calls));
	need_outside_image(b, 0, 1, s, e);
	allow_rule(b);
	end_call(b);
	/* mmap: only MAP_FIXED can replace a mapping */
	begin_call(b, __NR_mmap);
	need_eq(b, 3, 0, MAP_FIXED, 0);
	allow_rule(b);
	need_outside_image(b, 0, 1, s, e);
	allow_rule(b);
	end_call(b);
	/* mremap: the old range, and the new one when MREMAP_FIXED places it */
	begin_call(b, __NR_mremap);
	need_outside_image(b, 0, 1, s, e);
	LOAD_ARG(3, 0);
	JUMP(BPF_JMP | BPF_JSET | BPF_K, MREMAP_FIXED, 0, 0);
	unsigned unplaced = b->n - 1; /* -> allow */
	need_outside_image(b, 4, 2, s, e);
	b->f[unplaced].jf = (unsigned char)(b->n - unplaced - 1);
	allow_rule(b);
	end_call(b);
}

static void checked_calls(struct builder *b)
{
	uintptr_t s, e;
	libos_image_bounds(&s, &e);
	ioctl_rules(b);
	socket_rules(b);
	begin_call(b, __NR_clone);
	need_eq(b, 0, 0, ~(uint32_t)CLONE_HOST_FLAGS, 0);
	allow_rule(b);
	end_call(b);
	/* Other threads' and processes' scheduling and limits: never. */
	/* Only the caller's own scheduling and limits: the pid is 0 (the libos
	 * translates the app's "self" to 0). */
	static const int self_calls[] = { __NR_prlimit64, __NR_sched_getparam,
	                                  __NR_sched_getscheduler, __NR_sched_setaffinity,
	                                  __NR_sched_getaffinity, __NR_sched_setparam,
	                                  __NR_sched_setscheduler, __NR_sched_getattr,
	                                  __NR_sched_setattr, __NR_sched_rr_get_interval };
	begin_calls(b, self_calls, ARRAY_SIZE(self_calls));
	need_eq(b, 0, 0, ~0U, 0);
	allow_rule(b);
	end_call(b);
	static const int prio_calls[] = { __NR_getpriority, __NR_setpriority };
	begin_calls(b, prio_calls, ARRAY_SIZE(prio_calls));
	need_eq(b, 0, 0, ~0U, PRIO_PROCESS);
	need_eq(b, 1, 0, ~0U, 0);
	allow_rule(b);
	end_call(b);
	static const int ioprio_calls[] = { __NR_ioprio_get, __NR_ioprio_set };
	begin_calls(b, ioprio_calls, ARRAY_SIZE(ioprio_calls));
	need_eq(b, 0, 0, ~0U, 1 /* IOPRIO_WHO_PROCESS */);
	need_eq(b, 1, 0, ~0U, 0);
	allow_rule(b);
	end_call(b);
	/* prctl: only PR_SET_CHILD_SUBREAPER, which decides only where the
	 * caller's own host descendants go when orphaned (sys/reaper.c),
	 * PR_SET_PDEATHSIG, which signals only the caller (sys/misc.c), and
	 * PR_SET_NAME, the caller's own name (thread_set_comm). */
	begin_call(b, __NR_prctl);
	need_eq(b, 0, 0, ~0U, PR_SET_NAME);
	need_eq(b, 0, 1, ~0U, 0);
	allow_rule(b);
	need_eq(b, 0, 0, ~0U, PR_SET_CHILD_SUBREAPER);
	need_eq(b, 0, 1, ~0U, 0);
	allow_rule(b);
	need_eq(b, 0, 0, ~0U, PR_SET_PDEATHSIG);
	need_eq(b, 0, 1, ~0U, 0);
	allow_rule(b);
	end_call(b);
	/* fcntl: the owner that gets SIGIO/SIGURG is a pid, never a group
	 * (negative), and never set through F_SETOWN_EX's struct. */
	begin_call(b, __NR_fcntl);
	need_ne(b, 1, F_SETOWN);
	need_ne(b, 1, F_SETOWN_EX);
	allow_rule(b);
	need_eq(b, 1, 0, ~0U, F_SETOWN);
	need_eq(b, 2, 0, 0x80000000U, 0);
	allow_rule(b);
	end_call(b);
	/* Group kills (0, -1, -pgid) are the libos's to route (sys/signal.c):
	 * never the host's, whose groups reach outside the sandbox. */
	static const int kill_calls[] = { __NR_kill, __NR_tkill, __NR_rt_sigqueueinfo };
	static const int tgkill_calls[] = { __NR_tgkill, __NR_rt_tgsigqueueinfo };
	kill_rules(b, kill_calls, ARRAY_SIZE(kill_calls), 1);
	kill_rules(b, tgkill_calls, ARRAY_SIZE(tgkill_calls), 2);
	mode_rule(b, __NR_openat, 3);
	mode_rule(b, __NR_mknodat, 2);
	mode_rule(b, __NR_fchmod, 1);
	mode_rule(b, __NR_fchmodat2, 2);
	begin_call(b, __NR_openat2);
	need_ptr(b, 2, &how_beneath_dir);
	allow_rule(b);
	need_ptr(b, 2, &how_beneath_nofollow);
	allow_rule(b);
	end_call(b);
	memory_rules(b, s, e);
	RET(deny);
}

/* The allowlist as 32-bit masks, one per block of 32 syscall numbers that
 * has any allowed number in it. */
struct block {
	uint32_t first; /* a multiple of 32 */
	uint32_t mask;  /* bit i: first + i is allowed */
};

/* A binary decision tree over the blocks, then one bit test: log2(blocks)
 * comparisons, and a filter about half the size of one over single runs
 * (the kernel verifies and JIT-compiles it at every start). A number not
 * in the list goes on to the checked calls. */
static void emit_tree(struct builder *b, const struct block *bl, int n)
{
	if (n == 1) {
		/* outside the block: on to the last instruction */
		JUMP(BPF_JMP | BPF_JGE | BPF_K, bl->first, 0, 8);
		JUMP(BPF_JMP | BPF_JGE | BPF_K, bl->first + 32, 7, 0);
		STMT(BPF_ALU | BPF_SUB | BPF_K, bl->first);
		STMT(BPF_MISC | BPF_TAX, 0);
		STMT(BPF_LD | BPF_IMM, 1);
		STMT(BPF_ALU | BPF_LSH | BPF_X, 0);
		STMT(BPF_ALU | BPF_AND | BPF_K, bl->mask);
		JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0);
		RET(SECCOMP_RET_ALLOW);
		JUMP(BPF_JMP | BPF_JA, 0, 0, 0); /* -> the checked calls */
		if (b->nleaves < ARRAY_SIZE(b->leaves))
			b->leaves[b->nleaves++] = b->n - 1;
		else
			b->n = MAX_FILTER; /* reported as E2BIG */
		return;
	}
	int mid = n / 2;
	unsigned at = b->n;
	JUMP(BPF_JMP | BPF_JGE | BPF_K, bl[mid].first, 0, 0);
	emit_tree(b, bl, mid);
	if (b->n - at - 1 > 255)
		b->n = MAX_FILTER; /* a jump too far: reported as E2BIG below */
	b->f[at].jt = (unsigned char)(b->n - at - 1);
	emit_tree(b, bl + mid, n - mid);
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
	static struct builder filter;
	struct builder *b = &filter;
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
	b->n = b->nfix = b->nleaves = 0;
	LOAD(arch);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	RET(SECCOMP_RET_KILL_PROCESS);
	LOAD(instruction_pointer);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)site, 1, 0);
	RET(SECCOMP_RET_TRAP);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
	JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(site >> 32), 1, 0);
	RET(SECCOMP_RET_TRAP);
	LOAD(nr);
	emit_tree(b, blocks, nblocks);
	unsigned checks = b->n;
	LOAD(nr);
	checked_calls(b);
	for (unsigned i = 0; i < b->nleaves; i++)
		b->f[b->leaves[i]].k = checks - b->leaves[i] - 1;
	if (b->n >= MAX_FILTER)
		return -E2BIG;
	log_debug("seccomp filter: %u instructions", b->n);

	struct sock_fprog prog = { .len = (unsigned short)b->n, .filter = b->f };
	long r = host(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (r < 0)
		return (int)r;
	return (int)host(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}
