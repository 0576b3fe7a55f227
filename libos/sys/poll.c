/* Waiting on fds: poll, select, epoll and the fd-making event calls. The
 * host does the waiting on the app's fds; the libos keeps its own fds out
 * of reach and applies the temporary signal masks of ppoll, pselect6 and
 * epoll_pwait itself (app signal masks live in the libos). */
#include "fdrecord.h"
#include "signal.h"
#include "syscall.h"
#include "../host/host.h"
#include <asm-generic/poll.h>
#include <linux/eventpoll.h>

/* Installs the wait mask of a *_pwait-style call; -EINTR when a signal it
 * unblocks is already pending (the kernel returns at once then too). */
static long wait_mask(const uint64_t *umask, size_t size)
{
	if (!umask)
		return 0;
	if (size != sizeof(sigset64_t))
		return -EINVAL;
	struct thread *t = current();
	sig_set_wait_mask(t, *umask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP)));
	return sig_pending_deliverable(t) ? -EINTR : 0;
}

/* Polls fds; entries naming fds outside the app's range get POLLNVAL like
 * closed fds, without the host ever seeing the libos's fds. */
static long do_poll(struct pollfd *fds, unsigned long nfds, const void *ts, bool timed_ts, long timeout)
{
	if (nfds && !fds)
		return -EFAULT;
	uint64_t soft, hard;
	fd_limits(&soft, &hard);
	if (nfds > soft)
		return -EINVAL; /* more entries than the app's RLIMIT_NOFILE, as on Linux */
	unsigned long bad = 0;
	for (unsigned long i = 0; i < nfds; i++)
		if (fds[i].fd >= libos_fd_base)
			bad++;
	struct __kernel_timespec zero = { 0, 0 };
	/* which entries were hidden from the host: the app's own negative
	 * fds must come back unchanged, so no encoding in fd can tell them */
	unsigned long *hidden = bad ? malloc(bad * sizeof(*hidden)) : NULL;
	if (bad && !hidden)
		return -ENOMEM;
	for (unsigned long i = 0, k = 0; k < bad && i < nfds; i++) {
		if (fds[i].fd >= libos_fd_base) {
			hidden[k++] = i;
			fds[i].fd = -fds[i].fd - 1;
		}
	}
	if (bad) { /* do not wait: there is news */
		ts = &zero;
		timed_ts = true;
	}
	long r = timed_ts ? host_blocking(__NR_ppoll, fds, nfds, ts, NULL, 0)
	                  : host_blocking(__NR_poll, fds, nfds, timeout);
	for (unsigned long k = 0; k < bad; k++) {
		struct pollfd *p = &fds[hidden[k]];
		p->fd = -p->fd - 1;
		p->revents = POLLNVAL;
	}
	free(hidden);
	return r < 0 ? r : r + (long)bad;
}

SYS(poll)
{
	return do_poll(SYSCALL_ARG(0, struct pollfd *), (unsigned long)c->a[1], NULL, false, c->a[2]);
}

SYS(ppoll)
{
	long e = wait_mask(SYSCALL_ARG(3, const uint64_t *), (size_t)c->a[4]);
	if (e < 0)
		return e;
	const void *ts = SYSCALL_ARG(2, const void *);
	return do_poll(SYSCALL_ARG(0, struct pollfd *), (unsigned long)c->a[1], ts, ts != NULL, -1);
}

/* fd_sets may only name app fds: bits at or above libos_fd_base are EBADF
 * (closed fds, from the app's point of view). Returns the nfds to pass on. */
static long check_fdsets(long nfds, unsigned long *sets[3])
{
	const long bits = 8 * sizeof(unsigned long);
	if (nfds < 0)
		return -EINVAL;
	if (nfds <= libos_fd_base)
		return nfds;
	for (int s = 0; s < 3; s++) {
		if (!sets[s])
			continue;
		for (long fd = libos_fd_base; fd < nfds; fd++)
			if (sets[s][fd / bits] & (1UL << (fd % bits)))
				return -EBADF;
	}
	return libos_fd_base;
}

SYS(select)
{
	unsigned long *sets[3] = { SYSCALL_ARG(1, unsigned long *), SYSCALL_ARG(2, unsigned long *),
	                           SYSCALL_ARG(3, unsigned long *) };
	long n = check_fdsets(c->a[0], sets);
	if (n < 0)
		return n;
	return host_blocking(__NR_select, n, sets[0], sets[1], sets[2], c->a[4]);
}

SYS(pselect6)
{
	unsigned long *sets[3] = { SYSCALL_ARG(1, unsigned long *), SYSCALL_ARG(2, unsigned long *),
	                           SYSCALL_ARG(3, unsigned long *) };
	/* the sixth argument is { const sigset_t *set; size_t size } */
	const struct { const uint64_t *set; size_t size; } *sig = SYSCALL_ARG(5, const void *);
	long n = check_fdsets(c->a[0], sets);
	if (n < 0)
		return n;
	if (sig) {
		long e = wait_mask(sig->set, sig->size);
		if (e < 0)
			return e;
	}
	return host_blocking(__NR_pselect6, n, sets[0], sets[1], sets[2], c->a[4], NULL);
}

SYS(epoll_create)
{
	if ((int)c->a[0] <= 0) /* the kernel's size is an int */
		return -EINVAL;
	return fd_install(host(__NR_epoll_create1, 0), FD_OTHER, NULL, NULL);
}

SYS(epoll_create1)
{
	return fd_install(host(__NR_epoll_create1, c->a[0]), FD_OTHER, NULL, NULL);
}

SYS(epoll_ctl)
{
	if (!fd_app_valid(c->a[0]) || !fd_app_valid(c->a[2]))
		return -EBADF;
	return host(__NR_epoll_ctl, c->a[0], c->a[1], c->a[2], c->a[3]);
}

SYS(epoll_wait)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	return host_blocking(__NR_epoll_wait, c->a[0], c->a[1], c->a[2], c->a[3]);
}

SYS(epoll_pwait)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	long e = wait_mask(SYSCALL_ARG(4, const uint64_t *), (size_t)c->a[5]);
	if (e < 0)
		return e;
	return host_blocking(__NR_epoll_wait, c->a[0], c->a[1], c->a[2], c->a[3]);
}

SYS(epoll_pwait2)
{
	if (!fd_app_valid(c->a[0]))
		return -EBADF;
	long e = wait_mask(SYSCALL_ARG(4, const uint64_t *), (size_t)c->a[5]);
	if (e < 0)
		return e;
	return host_blocking(__NR_epoll_pwait2, c->a[0], c->a[1], c->a[2], c->a[3], NULL, 0);
}
