/* signalfd in a libos whose app signals are virtual (signal.c): each
 * signalfd is the read end of a host unix stream pair, and a signal sent to
 * the process while every thread that could take it blocks it goes, as a
 * struct signalfd_siginfo, into the first signalfd whose mask holds it
 * instead of the pending queue. The app reads, polls and epolls the host fd
 * as it is. Unlike Linux, a signal once written is no longer pending
 * (sigpending does not show it), standard signals do not coalesce there, and
 * a signalfd inherited over fork reads what its creator's signals are (the
 * pair is shared). sig_send calls sigfd_take from host signal handlers:
 * the table is published with atomics and sends never block. */
#include <asm/errno.h>
#include <asm/fcntl.h>
#include <asm/stat.h>
#include <linux/net.h>
#include <linux/signalfd.h>
#include <linux/socket.h>
#include "fdrecord.h"
#include "fdtable.h"
#include "host/host.h"
#include "process.h"
#include "rt.h"
#include "signal.h"
#include "sitepolicy.h"
#include "syscall.h"

#define MSG_DONTWAIT 0x40
#define MSG_NOSIGNAL 0x4000
#define MAX_SIGFDS 16

static struct sigfd {
	bool used;           /* under sigfd_lock */
	int app_fd, send_fd; /* send_fd: the libos's end, above libos_fd_base */
	uint64_t ino;        /* of app_fd, to know a reused fd number */
	uint64_t mask;       /* read by handlers: 0 for a free slot */
} sigfds[MAX_SIGFDS];
static struct lock sigfd_lock = LOCK_INIT;

static void to_sigfd_info(const siginfo_t *si, struct signalfd_siginfo *o)
{
	memset(o, 0, sizeof(*o));
	o->ssi_signo = (uint32_t)si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	o->ssi_pid = (uint32_t)si->si_pid;
	o->ssi_uid = si->si_uid;
	o->ssi_int = si->si_int;
	o->ssi_ptr = (uint64_t)(uintptr_t)si->si_ptr;
	if (si->si_signo == SIGCHLD) {
		o->ssi_status = si->si_status;
		o->ssi_utime = (uint64_t)si->si_utime;
		o->ssi_stime = (uint64_t)si->si_stime;
	}
	if (si->si_signo == SIGSEGV || si->si_signo == SIGBUS || si->si_signo == SIGILL ||
	    si->si_signo == SIGFPE || si->si_signo == SIGTRAP)
		o->ssi_addr = (uint64_t)(uintptr_t)si->si_addr;
}

bool sigfd_take(int sig, const siginfo_t *si)
{
	for (int i = 0; i < MAX_SIGFDS; i++) {
		uint64_t mask = __atomic_load_n(&sigfds[i].mask, __ATOMIC_ACQUIRE);
		if (!(mask & SIGBIT(sig)))
			continue;
		struct signalfd_siginfo o;
		to_sigfd_info(si, &o);
		o.ssi_signo = (uint32_t)sig;
		long r = host(__NR_sendto, sigfds[i].send_fd, &o, sizeof(o), MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		if (r == (long)sizeof(o))
			return true;
	}
	return false;
}

static uint64_t ino_of(int fd)
{
	struct stat st;
	return host(__NR_fstat, fd, &st) < 0 ? 0 : st.st_ino;
}

/* Signals pending now, blocked everywhere, that the new mask takes: moved
 * into the signalfd (one that finds it full is queued again). */
static void drain_pending(struct thread *t, uint64_t mask)
{
	siginfo_t si;
	for (int sig = 1; sig <= NSIG_APP; sig++) {
		if (!(mask & SIGBIT(sig)) || !sig_blocked_everywhere(sig, NULL))
			continue;
		while (sig_dequeue(t, SIGBIT(sig), &si))
			if (!sigfd_take(sig, &si)) {
				sig_send(sig, NULL, &si);
				break;
			}
	}
}

static long do_signalfd(struct thread *t, int fd, const uint64_t *umask, size_t size, int flags)
{
	if (size != sizeof(uint64_t) || (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)))
		return -EINVAL;
	uint64_t mask = *umask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
	long r = -EINVAL;
	uint64_t old = lock_nosig(&sigfd_lock);
	if (fd != -1) {
		for (int i = 0; i < MAX_SIGFDS; i++)
			if (sigfds[i].used && sigfds[i].app_fd == fd && sigfds[i].ino == ino_of(fd)) {
				__atomic_store_n(&sigfds[i].mask, mask, __ATOMIC_RELEASE);
				r = fd;
			}
		if (r < 0 && !fd_app_valid(fd))
			r = -EBADF;
		unlock_nosig(&sigfd_lock, old);
		if (r >= 0)
			drain_pending(t, mask);
		return r;
	}
	int slot = -1;
	for (int i = 0; i < MAX_SIGFDS; i++) {
		/* a slot whose app fd was closed or reused is free again */
		if (sigfds[i].used && sigfds[i].ino != ino_of(sigfds[i].app_fd)) {
			/* unpublished before the close: a handler never sends to a
			 * reused fd number */
			__atomic_store_n(&sigfds[i].mask, 0, __ATOMIC_RELEASE);
			host_close(sigfds[i].send_fd);
			sigfds[i].used = false;
		}
		if (!sigfds[i].used && slot < 0)
			slot = i;
	}
	int pair[2];
	r = slot < 0 ? -ENOMEM
	    : host(__NR_socketpair, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, pair);
	if (r == 0) {
		int send_fd = fd_make_private(pair[1]);
		/* the app's end: blocking unless it asked otherwise */
		host(__NR_fcntl, pair[0], F_SETFL, flags & SFD_NONBLOCK ? O_NONBLOCK : 0);
		if (!(flags & SFD_CLOEXEC))
			host(__NR_fcntl, pair[0], F_SETFD, 0);
		r = send_fd < 0 ? send_fd : fd_install(pair[0], FD_OTHER, NULL, NULL);
		if (r >= 0) {
			sigfds[slot] = (struct sigfd){ true, (int)r, send_fd, ino_of((int)r), 0 };
			__atomic_store_n(&sigfds[slot].mask, mask, __ATOMIC_RELEASE);
		} else if (send_fd >= 0) {
			host_close(send_fd);
		}
	}
	unlock_nosig(&sigfd_lock, old);
	if (r >= 0)
		drain_pending(t, mask);
	return r;
}

SYS(signalfd4)
{
	return do_signalfd(c->t, (int)c->a[0], SYSCALL_ARG(1, const uint64_t *), (size_t)c->a[2], (int)c->a[3]);
}

SYS(signalfd)
{
	return do_signalfd(c->t, (int)c->a[0], SYSCALL_ARG(1, const uint64_t *), (size_t)c->a[2], 0);
}
