/* daemon()'s double fork, 50 times: a child forks a grandchild and exits at
 * once; the grandchild, orphaned, calls setsid() (it must succeed: it is
 * in no group it leads) and reports through a pipe. The parent reaps the
 * child without waiting for the grandchild, as a shell starting a daemon
 * does. Run as pid 1 (tests/diff/pids.t): orphans go to it. */
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#define ROUNDS 50

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int ok = 0;
	for (int i = 0; i < ROUNDS; i++) {
		int rep[2];
		if (pipe(rep))
			DIE("pipe");
		pid_t c = fork();
		if (c < 0)
			DIE("fork");
		if (c == 0) {
			close(rep[0]);
			pid_t g = fork();
			if (g == 0) {
				pid_t sid = setsid();
				tu_put_int(rep[1], sid == getpid() && getsid(0) == sid);
				_exit(0);
			}
			_exit(g > 0 ? 0 : 1);
		}
		close(rep[1]);
		int st;
		if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
			DIE("round %d: the child failed", i);
		ok += tu_get_int(rep[0]) == 1;
		close(rep[0]);
	}
	CHECK(ok == ROUNDS, "setsid in an orphaned grandchild: %d of %d", ok, ROUNDS);
	/* The grandchildren were reparented to us: reap them all. */
	int n = 0;
	while (wait(NULL) > 0)
		n++;
	CHECK(n == ROUNDS, "reaped %d adopted grandchildren", n);
	return tu_failures != 0;
}
