/* kill(-1), kill(0) and ESRCH from a process that is not init: kill(-1)
 * reaches every other process of the PID namespace but pid 1 and the
 * caller; a zombie can still be signalled (0), a reaped pid cannot. Run as
 * pid 1 (natively in a new PID namespace, tests/diff/pids.t). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static volatile sig_atomic_t got, got_pid;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got = 1;
	got_pid = si->si_pid;
}

/* A sibling: reports ready, waits for SIGUSR1, reports its sender. */
static pid_t sibling(int rep)
{
	pid_t c = fork();
	if (c == 0) {
		sigset_t none;
		sigemptyset(&none);
		tu_put_int(rep, 0);
		while (!got)
			sigsuspend(&none);
		tu_put_int(rep, got_pid);
		_exit(0);
	}
	return c;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = { .sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO };
	sigaction(SIGUSR1, &sa, NULL);
	sigset_t usr;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr, NULL); /* the children unblock it in sigsuspend */
	int rep[2], srep[2];
	if (pipe(rep) || pipe(srep))
		DIE("pipe");
	pid_t s1 = sibling(rep[1]), s2 = sibling(rep[1]);
	tu_get_int(rep[0]);
	tu_get_int(rep[0]);
	pid_t sender = fork();
	if (sender == 0) {
		int fails = 0;
		fails |= (kill(-1, 0) != 0) << 0;
		fails |= (kill(0, 0) != 0) << 1;
		fails |= (kill(-1, SIGUSR1) != 0) << 2;
		/* the caller is spared: its SIGUSR1 would be pending now */
		sigset_t pend;
		sigpending(&pend);
		fails |= sigismember(&pend, SIGUSR1) << 3;
		tu_put_int(srep[1], getpid());
		tu_put_int(srep[1], fails);
		_exit(0);
	}
	int a = tu_get_int(rep[0]), b = tu_get_int(rep[0]);
	pid_t spid = tu_get_int(srep[0]);
	CHECK(spid == sender, "the sender is done");
	int fails = tu_get_int(srep[0]);
	CHECK(fails == 0, "from a child: kill(-1, 0), kill(0, 0), kill(-1, SIGUSR1) succeed; the caller is spared (failures %#x)",
	      fails);
	CHECK(a == sender && b == sender, "both siblings got SIGUSR1 from the sender (%s, %s)",
	      a == sender ? "yes" : a == 0 ? "from 0" : "no", b == sender ? "yes" : b == 0 ? "from 0" : "no");
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1), "pid 1 is spared by kill(-1)");
	int st;
	CHECK(waitpid(s1, &st, 0) == s1 && waitpid(s2, &st, 0) == s2 && waitpid(sender, &st, 0) == sender,
	      "all three exit");

	/* ESRCH: no such pid, no such group; a zombie is still there */
	errno = 0;
	CHECK(kill(4242, 0) == -1 && errno == ESRCH, "kill(no such pid): ESRCH");
	errno = 0;
	CHECK(kill(-4242, 0) == -1 && errno == ESRCH, "kill(-no such group): ESRCH");
	errno = 0;
	CHECK(kill(sender, 0) == -1 && errno == ESRCH, "kill(a reaped pid): ESRCH");
	for (int how = 0; how < 2; how++) {
		pid_t z = fork();
		if (z == 0) {
			if (how)
				for (;;)
					pause();
			_exit(0);
		}
		if (how)
			kill(z, SIGKILL);
		siginfo_t si;
		waitid(P_PID, z, &si, WEXITED | WNOWAIT);
		CHECK(kill(z, 0) == 0, "kill(zombie that %s, 0) succeeds", how ? "was killed" : "exited");
		CHECK(kill(z, SIGTERM) == 0, "kill(zombie, SIGTERM) succeeds and does nothing");
		CHECK(waitpid(z, &st, 0) == z && (how ? WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL : WIFEXITED(st)),
		      "its status is the one it ended with");
	}
	return tu_done();
}
