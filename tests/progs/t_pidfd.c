/* pidfds: pidfd_open, poll (readable once the process exits),
 * pidfd_send_signal (plain, with info, to itself), waitid(P_PIDFD), and the
 * errors of each. Differential: prints no pid, only how pids compare. */
#include <fcntl.h>
#include <linux/sched.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static volatile sig_atomic_t got_sig, got_code, got_pid, got_value;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig, got_code = si->si_code, got_pid = si->si_pid, got_value = si->si_value.sival_int;
}

static int readable(int fd, int timeout)
{
	struct pollfd p = { fd, POLLIN, 0 };
	return poll(&p, 1, timeout) == 1 && (p.revents & POLLIN);
}

/* A child that reports each SIGUSR1 it gets on the pipe (SIGUSR1 blocked
 * in the parent before the fork, taken with sigwaitinfo: none is lost). */
static pid_t child(int report)
{
	pid_t pid = fork();
	if (pid)
		return pid;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		siginfo_t si;
		if (sigwaitinfo(&set, &si) < 0)
			continue;
		int msg[4] = { si.si_signo, si.si_code, si.si_pid == getppid(), si.si_value.sival_int };
		if (write(report, msg, sizeof(msg)) != sizeof(msg))
			_exit(1);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2];
	if (pipe(p) < 0)
		DIE("pipe");
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pid_t c = child(p[1]);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
	int fd = pidfd_open(c, 0);
	CHECK(fd >= 0, "pidfd_open of a child");
	CHECK(!readable(fd, 0), "its pidfd is not readable while it runs");
	CHECK(pidfd_send_signal(fd, 0, NULL, 0) == 0, "pidfd_send_signal 0: it exists");

	siginfo_t si = tu_queue_info(SIGUSR1, 99);
	CHECK(pidfd_send_signal(fd, SIGUSR1, &si, 0) == 0, "pidfd_send_signal with info");
	int msg[4];
	CHECK(read(p[0], msg, sizeof(msg)) == sizeof(msg), "the child reports it");
	CHECK(msg[0] == SIGUSR1 && msg[1] == SI_QUEUE && msg[2] && msg[3] == 99,
	      "the child got SIGUSR1, SI_QUEUE, our pid, value 99 (%d %d %d %d)", msg[0], msg[1], msg[2], msg[3]);
	CHECK(pidfd_send_signal(fd, SIGUSR1, NULL, 0) == 0, "pidfd_send_signal without info");
	CHECK(read(p[0], msg, sizeof(msg)) == sizeof(msg) && msg[0] == SIGUSR1 && msg[1] == SI_USER && msg[2],
	      "the child got SIGUSR1, SI_USER, our pid");
	si.si_code = 0;
	CHECK(pidfd_send_signal(fd, SIGUSR1, &si, 0) == -1 && errno == EPERM,
	      "info with a kernel si_code to another process: EPERM");
	si.si_code = SI_QUEUE;
	CHECK(pidfd_send_signal(fd, SIGUSR2, &si, 0) == -1 && errno == EINVAL, "info of another signal: EINVAL");
	CHECK(pidfd_send_signal(fd, SIGUSR1, NULL, 0x100) == -1 && errno == EINVAL, "unknown flags: EINVAL");
	CHECK(pidfd_send_signal(0, SIGUSR1, NULL, 0) == -1 && errno == EBADF, "not a pidfd: EBADF");

	CHECK(pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0, "pidfd_send_signal SIGTERM");
	CHECK(readable(fd, -1), "its pidfd is readable once it died");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, fd, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c, "waitid(P_PIDFD, WNOWAIT): its pid");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, fd, &si, WEXITED) == 0 && si.si_pid == c && si.si_code == CLD_KILLED &&
	          si.si_status == SIGTERM, "waitid(P_PIDFD): killed by SIGTERM");
	CHECK(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD, "waited: ECHILD");
	CHECK(pidfd_send_signal(fd, SIGUSR1, NULL, 0) == -1 && errno == ESRCH, "reaped: ESRCH");
	close(fd);

	/* An exit status, through a non-blocking pidfd. */
	pid_t c2 = fork();
	if (c2 == 0) {
		char b;
		if (read(p[0], &b, 1) < 0)
			_exit(1);
		_exit(7);
	}
	fd = pidfd_open(c2, PIDFD_NONBLOCK);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "pidfd_open(PIDFD_NONBLOCK)");
	CHECK(waitid(P_PIDFD, fd, &si, WEXITED) == -1 && errno == EAGAIN, "non-blocking waitid while it runs: EAGAIN");
	CHECK(write(p[1], "x", 1) == 1, "let it exit");
	CHECK(readable(fd, -1), "readable at its exit");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, fd, &si, WEXITED) == 0 && si.si_pid == c2 && si.si_code == CLD_EXITED &&
	          si.si_status == 7, "waitid(P_PIDFD): exited 7");
	close(fd);

	/* CLONE_PIDFD, through clone and clone3 (as fork: no new stack). */
	int cfd = -1;
	pid_t c3 = (pid_t)syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cfd, 0, 0);
	if (c3 == 0)
		_exit(3);
	CHECK(c3 > 0 && cfd >= 0 && (fcntl(cfd, F_GETFD) & FD_CLOEXEC), "clone(CLONE_PIDFD): a close-on-exec pidfd");
	CHECK(readable(cfd, -1), "readable at its exit");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, cfd, &si, WEXITED) == 0 && si.si_pid == c3 && si.si_status == 3,
	      "waitid(P_PIDFD) on it: exited 3");
	close(cfd);
	CHECK(syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0) == -1 &&
	          errno == EINVAL, "clone(CLONE_PIDFD | CLONE_PARENT_SETTID): EINVAL");
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	cfd = -1;
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uintptr_t)&cfd;
	ca.exit_signal = SIGCHLD;
	pid_t c4 = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (c4 == 0)
		_exit(4);
	CHECK(c4 > 0 && cfd >= 0, "clone3(CLONE_PIDFD): a pidfd");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PIDFD, cfd, &si, WEXITED) == 0 && si.si_pid == c4 && si.si_status == 4,
	      "waitid(P_PIDFD) on it: exited 4");
	close(cfd);

	/* Ourselves. */
	struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR1, &sa, NULL);
	fd = pidfd_open(getpid(), 0);
	CHECK(fd >= 0, "pidfd_open of ourselves");
	got_sig = 0;
	CHECK(pidfd_send_signal(fd, SIGUSR1, NULL, 0) == 0 && got_sig == SIGUSR1 && got_code == SI_USER &&
	          got_pid == getpid(), "pidfd_send_signal to ourselves: SI_USER from our pid");
	CHECK(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD, "waitid on ourselves: ECHILD");
	close(fd);

	CHECK(pidfd_open(0, 0) == -1 && errno == EINVAL, "pidfd_open(0): EINVAL");
	CHECK(pidfd_open(getpid(), 0x4) == -1 && errno == EINVAL, "pidfd_open with unknown flags: EINVAL");
	CHECK(pidfd_open(4000000, 0) == -1 && errno == ESRCH, "pidfd_open of no process: ESRCH");
	return tu_failures ? 1 : 0;
}
