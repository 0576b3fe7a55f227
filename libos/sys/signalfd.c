/* signalfd: app signals are the libos's (signal.c), so a host signalfd
 * would see none. The app's fd is a host eventfd that stands for "a signal
 * of the mask is pending": the libos writes it when it queues such a
 * signal (sig_send), so poll, select and epoll see it readable, and read
 * takes the signals from the libos's queues. The libos keeps a dup of the
 * eventfd to write it whatever the app does with its own numbers. After a
 * signal is taken some other way (sigtimedwait, a handler) the fd may stay
 * readable with nothing to read: a nonblocking read is then EAGAIN (Linux
 * tells readiness exactly). */
#include <asm/errno.h>
#include <asm/siginfo.h>
#include <linux/fcntl.h>
#include <linux/poll.h>
#include <linux/signalfd.h>
#include "fdrecord.h"
#include "host/host.h"
#include "locks.h"
#include "signal.h"
#include "syscall.h"

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define EFD_CLOEXEC O_CLOEXEC /* linux/eventfd.h is not among the kernel headers here */
#define EFD_NONBLOCK O_NONBLOCK
#define READ_MAX 16 /* signals per read: one libos buffer, copied out unlocked */

struct sigfd {
	int refs;  /* fd records naming it */
	int priv;  /* the libos's dup of the eventfd */
	uint64_t mask;
	struct sigfd *next;
};

/* The live signalfds, walked by sig_send from host signal handlers. */
struct lock sigfd_lock = LOCK_INIT;
static struct sigfd *sigfds;
static uint64_t any_mask; /* the union of their masks: most sends skip the walk */

static void recompute_any(void)
{
	uint64_t m = 0;
	for (struct sigfd *s = sigfds; s; s = s->next)
		m |= __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
	__atomic_store_n(&any_mask, m, __ATOMIC_RELEASE);
}

static void poke(const struct sigfd *s)
{
	uint64_t one = 1;
	host_write(s->priv, &one, sizeof(one));
}

void sigfd_notify(int sig)
{
	if (!(__atomic_load_n(&any_mask, __ATOMIC_ACQUIRE) & SIGBIT(sig)))
		return;
	uint64_t old = lock_nosig(&sigfd_lock);
	for (struct sigfd *s = sigfds; s; s = s->next)
		if (__atomic_load_n(&s->mask, __ATOMIC_RELAXED) & SIGBIT(sig))
			poke(s);
	unlock_nosig(&sigfd_lock, old);
}

void sigfd_ref(struct sigfd *s)
{
	uint64_t old = lock_nosig(&sigfd_lock);
	s->refs++;
	unlock_nosig(&sigfd_lock, old);
}

void sigfd_put(struct sigfd *s)
{
	if (!s)
		return;
	uint64_t old = lock_nosig(&sigfd_lock);
	bool last = --s->refs == 0;
	if (last) {
		for (struct sigfd **pp = &sigfds; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		recompute_any();
	}
	unlock_nosig(&sigfd_lock, old);
	if (last) {
		host_close(s->priv);
		free(s);
	}
}

static long new_signalfd(uint64_t mask, int flags)
{
	struct sigfd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	long fd = host(__NR_eventfd2, 0, (flags & SFD_CLOEXEC ? EFD_CLOEXEC : 0) |
	                                    (flags & SFD_NONBLOCK ? EFD_NONBLOCK : 0));
	long priv = fd >= 0 ? host(__NR_fcntl, fd, F_DUPFD_CLOEXEC, libos_fd_base) : fd;
	if (priv < 0) {
		if (fd >= 0)
			host_close((int)fd);
		free(s);
		return priv;
	}
	*s = (struct sigfd){ .refs = 1, .priv = (int)priv, .mask = mask };
	uint64_t old = lock_nosig(&sigfd_lock);
	s->next = sigfds;
	sigfds = s;
	recompute_any();
	unlock_nosig(&sigfd_lock, old);
	fd = fd_install_signalfd(fd, s);
	if (fd < 0)
		sigfd_put(s);
	return fd;
}

static long do_signalfd(struct sysctx *c, int flags)
{
	int fd = (int)c->a[0];
	if (c->a[2] != sizeof(uint64_t) || (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)))
		return -EINVAL;
	uint64_t mask = *(const uint64_t *)c->a[1] & ~UNBLOCKABLE;
	if (fd == -1)
		return new_signalfd(mask, flags);
	struct sigfd *s = fd_signalfd_get(fd);
	if (!s)
		return fd_app_valid(fd) && host(__NR_fcntl, fd, F_GETFD) >= 0 ? -EINVAL : -EBADF;
	uint64_t old = lock_nosig(&sigfd_lock);
	__atomic_store_n(&s->mask, mask, __ATOMIC_RELAXED);
	recompute_any();
	unlock_nosig(&sigfd_lock, old);
	if (sig_pending_in(c->t, mask))
		poke(s);
	sigfd_put(s);
	return fd;
}

SYS(signalfd) { return do_signalfd(c, 0); }
SYS(signalfd4) { return do_signalfd(c, (int)c->a[3]); }

/* The kernel's signalfd_copyinfo: the fields of the info's layout. */
static void to_ssi(struct signalfd_siginfo *o, const siginfo_t *i)
{
	memset(o, 0, sizeof(*o));
	o->ssi_signo = (uint32_t)i->si_signo;
	o->ssi_errno = i->si_errno;
	o->ssi_code = i->si_code;
	int sig = i->si_signo;
	bool fault = i->si_code > 0 && i->si_code != SI_KERNEL &&
	             (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP);
	if (fault) {
		o->ssi_addr = (uint64_t)(uintptr_t)i->si_addr;
	} else if (i->si_code == SI_TIMER) {
		o->ssi_tid = (uint32_t)i->si_tid;
		o->ssi_overrun = (uint32_t)i->si_overrun;
		o->ssi_ptr = (uint64_t)(uintptr_t)i->si_ptr;
		o->ssi_int = i->si_int;
	} else {
		o->ssi_pid = (uint32_t)i->si_pid;
		o->ssi_uid = i->si_uid;
		if (sig == SIGCHLD && i->si_code > 0) {
			o->ssi_status = i->si_status;
			o->ssi_utime = (uint64_t)i->si_utime;
			o->ssi_stime = (uint64_t)i->si_stime;
		} else if (i->si_code < 0) {
			o->ssi_ptr = (uint64_t)(uintptr_t)i->si_ptr;
			o->ssi_int = i->si_int;
		}
	}
}

/* Readiness again matches what is pending: cleared, then set if anything
 * of the mask is left (a signal queued meanwhile pokes it again). */
static void rearm(struct thread *t, const struct sigfd *s)
{
	struct pollfd p = { .fd = s->priv, .events = POLLIN };
	struct __kernel_timespec zero = { 0, 0 };
	uint64_t v;
	if (host(__NR_ppoll, &p, 1, &zero, NULL, 0) == 1)
		host_read(s->priv, &v, sizeof(v));
	if (sig_pending_in(t, s->mask))
		poke(s);
}

long signalfd_read(struct sysctx *c)
{
	int fd = (int)c->a[0];
	size_t want = c->a[2] / sizeof(struct signalfd_siginfo);
	if (!want)
		return -EINVAL;
	if (want > READ_MAX)
		want = READ_MAX;
	struct sigfd *s = fd_signalfd_get(fd);
	if (!s)
		return -EBADF; /* closed meanwhile */
	bool nonblock = host(__NR_fcntl, fd, F_GETFL) & O_NONBLOCK;
	struct signalfd_siginfo out[READ_MAX];
	size_t n = 0;
	long r = 0;
	/* Senders kick this thread for these signals, as for sigtimedwait. */
	__atomic_store_n(&c->t->sigwait_set, s->mask, __ATOMIC_RELEASE);
	for (;;) {
		siginfo_t info;
		int sig;
		uint64_t mask = __atomic_load_n(&s->mask, __ATOMIC_RELAXED);
		while (n < want && (sig = sig_dequeue(c->t, mask, &info)))
			to_ssi(&out[n++], &info);
		if (n)
			break;
		r = -EAGAIN;
		if (nonblock)
			break;
		r = -EINTR;
		if (sig_pending_deliverable(c->t))
			break;
		sig_wait_interruptible(c->t, mask | ~c->t->sigmask, NULL);
	}
	__atomic_store_n(&c->t->sigwait_set, 0, __ATOMIC_RELEASE);
	rearm(c->t, s);
	sigfd_put(s);
	if (!n)
		return r;
	memcpy((void *)c->a[1], out, n * sizeof(out[0]));
	return (long)(n * sizeof(out[0]));
}
