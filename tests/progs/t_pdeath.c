/* PR_SET_PDEATHSIG: the signal comes when the parent ends, from the
 * parent's pid (SI_USER), after which the parent is pid 1; a fork child
 * does not inherit it. Run as pid 1 (tests/diff/pids.t). */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static volatile sig_atomic_t got, got_pid, got_code;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = sig;
	got_pid = si->si_pid;
	got_code = si->si_code;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int rep[2], go[2];
	if (pipe(rep) || pipe(go))
		DIE("pipe");
	pid_t a = fork();
	if (a == 0) {
		pid_t apid = getpid();
		if (fork() == 0) {
			close(go[1]);
			struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO };
			sigaction(SIGUSR1, &sa, NULL);
			sigset_t usr, none;
			sigemptyset(&usr);
			sigemptyset(&none);
			sigaddset(&usr, SIGUSR1);
			sigprocmask(SIG_BLOCK, &usr, NULL);
			int r = prctl(PR_SET_PDEATHSIG, SIGUSR1), v = -1;
			prctl(PR_GET_PDEATHSIG, &v);
			tu_put_int(rep[1], r == 0 && v == SIGUSR1);
			pid_t g = fork();
			if (g == 0) {
				v = -1;
				prctl(PR_GET_PDEATHSIG, &v);
				_exit(v);
			}
			int st;
			waitpid(g, &st, 0);
			tu_put_int(rep[1], WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			tu_put_int(rep[1], 0); /* ready: the parent may go */
			while (!got)
				sigsuspend(&none);
			tu_put_int(rep[1], got == SIGUSR1 && got_pid == apid && got_code == SI_USER);
			tu_put_int(rep[1], getppid());
			_exit(0);
		}
		char b;
		close(go[1]);
		while (read(go[0], &b, 1) > 0)
			;
		_exit(0);
	}
	close(go[0]);
	CHECK(tu_get_int(rep[0]) == 1, "PR_SET_PDEATHSIG SIGUSR1, PR_GET_PDEATHSIG gives it back");
	CHECK(tu_get_int(rep[0]) == 0, "a fork child does not inherit it");
	tu_get_int(rep[0]);
	close(go[1]);
	int st;
	CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st), "the parent exits");
	CHECK(tu_get_int(rep[0]) == 1, "the child gets SIGUSR1 from its parent's pid, SI_USER");
	CHECK(tu_get_int(rep[0]) == 1, "and its parent is pid 1 then");
	while (waitpid(-1, &st, 0) > 0)
		;
	return tu_done();
}
