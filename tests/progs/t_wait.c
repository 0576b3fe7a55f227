/* wait4/waitpid/waitid, their idtypes and options, and the siginfo they
 * fill (issue 6 item 3). Run as pid 1 (tests/diff/pids.t); children's pids
 * are checked by relation, never printed. Stops and kills are made with
 * signals and seen through wait itself: no timing. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#ifndef __WALL
#define __WALL 0x40000000
#define __WCLONE 0x80000000
#endif

/* A child blocked until its pipe closes, then exiting with code. */
static pid_t child(int code, int *hold)
{
	int p[2];
	if (pipe(p))
		DIE("pipe");
	pid_t c = fork();
	if (c == 0) {
		char b;
		close(p[1]);
		while (read(p[0], &b, 1) > 0)
			;
		_exit(code);
	}
	close(p[0]);
	*hold = p[1];
	return c;
}

static void check_info(const siginfo_t *si, pid_t pid, int code, int status, const char *what)
{
	CHECK(si->si_pid == pid && si->si_signo == SIGCHLD && si->si_code == code &&
	      si->si_status == status && si->si_uid == getuid(),
	      "%s: si_pid, si_signo, si_code %d, si_status %d, si_uid", what, code, status);
}

/* The state letter of /proc/<pid>/stat, or 0 when there is none. */
static char stat_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* A child that ended (killed by sig) is a zombie in /proc until reaped. */
static void zombie(int sig)
{
	int ready[2];
	if (pipe(ready))
		DIE("pipe");
	pid_t c = fork();
	if (c == 0) {
		char b = 0;
		if (write(ready[1], &b, 1) != 1)
			_exit(99);
		pause();
		_exit(0);
	}
	char b;
	CHECK(read(ready[0], &b, 1) == 1, "%s: the child runs", strsignal(sig));
	close(ready[0]);
	close(ready[1]);
	kill(c, sig);
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c && si.si_code == CLD_KILLED &&
	      si.si_status == sig, "%s: ended (WNOWAIT)", strsignal(sig));
	char state = stat_state(c);
	CHECK(state == 'Z', "%s: /proc/<pid>/stat state %c until reaped", strsignal(sig), state ? state : '-');
	int st;
	CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == sig, "%s: reaped", strsignal(sig));
	CHECK(stat_state(c) == 0, "reaped: no /proc/<pid> any more");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int st, hold;
	siginfo_t si;
	errno = 0;
	CHECK(waitpid(-1, &st, 0) == -1 && errno == ECHILD, "no child: waitpid(-1) ECHILD");
	errno = 0;
	CHECK(waitid(P_ALL, 0, &si, WEXITED) == -1 && errno == ECHILD, "no child: waitid(P_ALL) ECHILD");
	errno = 0;
	CHECK(waitpid(4242, &st, 0) == -1 && errno == ECHILD, "waitpid of no such pid: ECHILD");
	errno = 0;
	CHECK(waitid(P_PID, 1, &si, WEXITED) == -1 && errno == ECHILD, "waitid(P_PID, self): ECHILD");
	errno = 0;
	CHECK(waitid(P_ALL, 0, &si, 0) == -1 && errno == EINVAL, "waitid with no state option: EINVAL");

	pid_t c = child(3, &hold);
	CHECK(waitpid(c, &st, WNOHANG) == 0, "WNOHANG on a live child: 0");
	memset(&si, 0xff, sizeof(si));
	CHECK(waitid(P_PID, c, &si, WEXITED | WNOHANG) == 0 && si.si_pid == 0,
	      "waitid WNOHANG on a live child: 0 and si_pid 0");
	close(hold);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0, "waitid(WNOWAIT)");
	check_info(&si, c, CLD_EXITED, 3, "WNOWAIT");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c,
	      "a second WNOWAIT wait sees it again");
	struct rusage ru;
	memset(&ru, 0xff, sizeof(ru));
	CHECK(wait4(c, &st, 0, &ru) == c && WIFEXITED(st) && WEXITSTATUS(st) == 3 && ru.ru_utime.tv_sec >= 0 &&
	      ru.ru_utime.tv_usec < 1000000, "wait4 with rusage reaps it (status 3)");
	errno = 0;
	CHECK(waitpid(c, &st, WNOHANG) == -1 && errno == ECHILD, "reaped: ECHILD after");

	/* P_PGID: own group (0) and a named group of its own */
	c = child(4, &hold);
	close(hold);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PGID, 0, &si, WEXITED) == 0, "waitid(P_PGID, 0): own group");
	check_info(&si, c, CLD_EXITED, 4, "P_PGID 0");
	c = child(5, &hold);
	CHECK(setpgid(c, c) == 0, "setpgid(child, child)");
	errno = 0;
	CHECK(waitid(P_PGID, 0, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD,
	      "own group without it: ECHILD");
	close(hold);
	CHECK(waitpid(-c, &st, 0) == c && WEXITSTATUS(st) == 5, "waitpid(-pgid) reaps it");

	/* stop, continue, kill */
	c = child(6, &hold);
	kill(c, SIGSTOP);
	CHECK(waitpid(c, &st, WUNTRACED) == c && WIFSTOPPED(st) && WSTOPSIG(st) == SIGSTOP,
	      "WUNTRACED: stopped by SIGSTOP");
	CHECK(waitpid(c, &st, WUNTRACED | WNOHANG) == 0, "a stop is reported once");
	kill(c, SIGCONT);
	CHECK(waitpid(c, &st, WCONTINUED) == c && WIFCONTINUED(st), "WCONTINUED: continued");
	kill(c, SIGSTOP);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, c, &si, WSTOPPED) == 0, "waitid(WSTOPPED)");
	check_info(&si, c, CLD_STOPPED, SIGSTOP, "WSTOPPED");
	kill(c, SIGCONT);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, c, &si, WCONTINUED) == 0, "waitid(WCONTINUED)");
	check_info(&si, c, CLD_CONTINUED, SIGCONT, "WCONTINUED");
	kill(c, SIGKILL);
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, c, &si, WEXITED) == 0, "waitid after SIGKILL");
	check_info(&si, c, CLD_KILLED, SIGKILL, "SIGKILL");
	close(hold);

	/* a crash: SIGSEGV with no core (ulimit -c 0 on both sides) */
	c = fork();
	if (c == 0) {
		signal(SIGSEGV, SIG_DFL);
		int *volatile bad = NULL;
		*bad = 1;
		_exit(0);
	}
	CHECK(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	      "a crash is reported as killed by SIGSEGV");

	/* __WALL takes every child, __WCLONE only non-SIGCHLD ones */
	c = child(8, &hold);
	close(hold);
	errno = 0;
	CHECK(waitpid(c, &st, __WCLONE) == -1 && errno == ECHILD, "__WCLONE: a SIGCHLD child is not one");
	CHECK(waitpid(c, &st, __WALL) == c && WEXITSTATUS(st) == 8, "__WALL reaps it");
	zombie(SIGTERM);
	zombie(SIGKILL);
	return tu_done();
}
