/* Picoprocesses killed by SIGKILL from outside at chosen moments
 * (tests/libos/faults.t holds them there and kills them): what their
 * parents see. Run as pid 1; IDS and GO are fifos shared with the test:
 * the program reports on IDS and waits for a line on GO.
 *   fork: the child is killed between the host fork and its registration
 *         by nsd (the test has stopped nsd, which takes neither the
 *         parent's Register of it nor its own);
 *   unreg: two children forked while the test has nsd stopped: the second
 *         has no ticket for its hello (the first took the one there was;
 *         the refill is not answered), so it waits for nsd's server hello
 *         before it writes its Register, and is killed there: it never
 *         registers. The parent waits for it only when told, so that the
 *         test reads nsd's record of it meanwhile;
 *   exit: a process with a child is killed inside its exit, waiting for
 *         nsd to take its Exit; its parent is a subreaper, which sees it
 *         killed, adopts the orphan and reaps it.
 * Each mode then reports "done" and waits, so the test can read nsd's
 * record of the sandbox while it lives. */
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "testutil.h"

static const char *ids, *go;

static void report(const char *fmt, ...)
{
	va_list ap;
	FILE *f = fopen(ids, "w");
	if (!f)
		DIE("open %s", ids);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static void await_go(void)
{
	char line[64];
	FILE *f = fopen(go, "r");
	if (!f || !fgets(line, sizeof(line), f))
		DIE("read %s", go);
	fclose(f);
}

/* The SIGCHLD of child c (SIGCHLD is blocked), then its wait status. */
static void killed(pid_t c, const char *what)
{
	sigset_t chld;
	siginfo_t si;
	int st = 0;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	CHECK(sigwaitinfo(&chld, &si) == SIGCHLD && si.si_pid == c && si.si_code == CLD_KILLED &&
	          si.si_status == SIGKILL,
	      "%s: SIGCHLD from it, CLD_KILLED, si_status SIGKILL", what);
	CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	      "%s: waitpid: killed by SIGKILL", what);
}

static void mode_fork(void)
{
	report("ready");
	await_go();
	pid_t c = fork();
	if (c < 0)
		DIE("fork");
	if (c == 0)
		for (;;)
			pause();
	report("%d", c);
	killed(c, "a child killed before it registered");
}

static void mode_unregistered(void)
{
	report("ready");
	await_go();
	pid_t c[2];
	for (int i = 0; i < 2; i++) {
		c[i] = fork();
		if (c[i] < 0)
			DIE("fork");
		if (c[i] == 0)
			for (;;)
				pause();
	}
	report("%d %d", c[0], c[1]);
	await_go();
	killed(c[1], "a child killed before it sent its registration");
	int st = 0;
	CHECK(kill(c[0], SIGKILL) == 0 && waitpid(c[0], &st, 0) == c[0] && WIFSIGNALED(st),
	      "its sibling is killed and reaped");
}

/* In the subreaper: its child e forks c, reports both and exits when told;
 * c writes its pid and its parent, once the host changed it, on rep. */
static void subreaper(void)
{
	int rep[2], held[2];
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe(rep) || pipe(held))
		DIE("subreaper");
	pid_t e = fork();
	if (e < 0)
		DIE("fork");
	if (e == 0) {
		e = getpid();
		pid_t c = fork();
		if (c < 0)
			DIE("fork");
		if (c == 0) {
			/* EOF: e is gone; then wait for the host's reparenting. */
			char b;
			close(held[1]);
			while (read(held[0], &b, 1) > 0)
				;
			pid_t me[2] = { getpid(), 0 };
			while ((me[1] = getppid()) == e)
				usleep(1000);
			if (write(rep[1], me, sizeof(me)) != sizeof(me))
				_exit(1);
			for (;;)
				pause();
		}
		report("%d %d", getpid(), c);
		await_go();
		exit(5); /* with a live child: waits for nsd, where the test kills it */
	}
	close(held[1]);
	close(rep[1]);
	killed(e, "a process killed in its exit");
	pid_t c[2] = { 0, 0 };
	int st = 0;
	CHECK(read(rep[0], c, sizeof(c)) == sizeof(c) && c[1] == getpid(),
	      "its child was reparented to the subreaper");
	CHECK(waitpid(-1, &st, WNOHANG) == 0, "the orphan lives on as the subreaper's child");
	report("adopted");
	await_go();
	CHECK(kill(c[0], SIGTERM) == 0 && waitpid(c[0], &st, 0) == c[0] && WIFSIGNALED(st) &&
	          WTERMSIG(st) == SIGTERM,
	      "the subreaper kills and reaps its adopted orphan");
	CHECK(wait(&st) < 0 && errno == ECHILD, "and has no child left");
	exit(tu_failures ? 1 : 0);
}

static void mode_exit(void)
{
	pid_t s = fork();
	if (s < 0)
		DIE("fork");
	if (s == 0)
		subreaper();
	int st = 0;
	CHECK(waitpid(s, &st, 0) == s && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the subreaper exits 0");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4)
		DIE("usage: t_killed fork|unreg|exit IDS GO");
	ids = argv[2];
	go = argv[3];
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (!strcmp(argv[1], "fork"))
		mode_fork();
	else if (!strcmp(argv[1], "unreg"))
		mode_unregistered();
	else if (!strcmp(argv[1], "exit"))
		mode_exit();
	else
		DIE("unknown mode %s", argv[1]);
	report("done");
	await_go();
	return tu_failures ? 1 : 0;
}
