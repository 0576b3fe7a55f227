/* PR_SET_CHILD_SUBREAPER: orphans go to the nearest living subreaper
 * ancestor, else to pid 1; getppid, /proc/self/stat and /proc/<pid>/stat
 * (nsd's record, under graphene) show it; the subreaper waits for them and
 * gets their status. Run as pid 1 (natively in a new PID namespace,
 * tests/diff/pids.t). Pids are checked by relation, never printed. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static int subreaper(void)
{
	int v = -1;
	return prctl(PR_GET_CHILD_SUBREAPER, &v) ? -1 : v;
}

/* The ppid field of /proc/<pid>/stat (pid 0: self). */
static int stat_ppid(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), pid ? "/proc/%d/stat" : "/proc/self/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	int ppid = -1;
	return p && sscanf(p + 2, "%*c %d", &ppid) == 1 ? ppid : -1;
}

/* Blocks until the other end of fd is closed: its holder is gone. */
static void wait_eof(int fd)
{
	char b;
	while (read(fd, &b, 1) > 0)
		;
}

/* Until the host (or kernel) has reparented us: the old parent's exit
 * closes its fds before it reparents its children. */
static pid_t new_parent(pid_t old)
{
	pid_t p;
	while ((p = getppid()) == old)
		sched_yield();
	return p;
}

/* Another process's record can lag behind its own view (nsd applies the
 * parent's exit from its connection): wait for it, boundedly. */
static int stat_ppid_becomes(pid_t pid, int want)
{
	int v = -1;
	for (int i = 0; i < 5000 && (v = stat_ppid(pid)) != want; i++)
		usleep(1000);
	return v;
}

/* me (a subreaper unless off) -> mid -> leaf; mid exits; leaf is ours. */
static void one_level(int off)
{
	int rep[2], gone[2], look[2];
	if (pipe(rep) || pipe(gone) || pipe(look))
		DIE("pipe");
	pid_t me = getpid();
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0, "PR_SET_CHILD_SUBREAPER 1");
	CHECK(subreaper() == 1, "PR_GET_CHILD_SUBREAPER is 1");
	if (off) {
		CHECK(prctl(PR_SET_CHILD_SUBREAPER, 0) == 0, "PR_SET_CHILD_SUBREAPER 0");
		CHECK(subreaper() == 0, "PR_GET_CHILD_SUBREAPER is 0 again");
	}
	pid_t mid = fork();
	if (mid == 0) {
		pid_t midpid = getpid();
		tu_put_int(rep[1], subreaper());
		pid_t leaf = fork();
		if (leaf == 0) {
			close(gone[1]);
			close(look[1]);
			close(rep[0]);
			wait_eof(gone[0]);
			pid_t np = new_parent(midpid);
			tu_put_int(rep[1], np == (off ? 1 : me));
			tu_put_int(rep[1], stat_ppid(0) == np);
			tu_put_int(rep[1], getpid());
			/* until the subreaper has looked at our record */
			wait_eof(look[0]);
			_exit(7);
		}
		_exit(3);
	}
	close(gone[0]);
	close(gone[1]);
	close(look[0]);
	close(rep[1]);
	CHECK(tu_get_int(rep[0]) == 0, "a fork child is no subreaper");
	int st = -1;
	CHECK(waitpid(mid, &st, 0) == mid && WIFEXITED(st) && WEXITSTATUS(st) == 3,
	      "the middle process exits");
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	CHECK(sigwaitinfo(&chld, &si) == SIGCHLD && si.si_pid == mid && si.si_code == CLD_EXITED &&
	      si.si_status == 3, "its SIGCHLD: its pid, CLD_EXITED, status 3");
	CHECK(tu_get_int(rep[0]) == 1, "the orphan's getppid() is %s", off ? "1" : "the subreaper");
	CHECK(tu_get_int(rep[0]) == 1, "its /proc/self/stat ppid is the same");
	pid_t leaf = tu_get_int(rep[0]);
	if (!off)
		CHECK(stat_ppid_becomes(leaf, me) == me, "/proc/<orphan>/stat ppid is the subreaper");
	close(look[1]);
	close(rep[0]);
	if (off) {
		errno = 0;
		CHECK(waitpid(leaf, &st, 0) == -1 && errno == ECHILD, "the orphan is not ours: ECHILD");
		return;
	}
	memset(&si, 0, sizeof(si));
	CHECK(sigwaitinfo(&chld, &si) == SIGCHLD && si.si_pid == leaf && si.si_code == CLD_EXITED &&
	      si.si_status == 7 && si.si_uid == getuid(),
	      "the orphan's SIGCHLD comes to the subreaper: its pid and uid, CLD_EXITED, status 7");
	memset(&si, 0, sizeof(si));
	CHECK(waitid(P_PID, leaf, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == leaf &&
	      si.si_code == CLD_EXITED && si.si_status == 7,
	      "waitid(P_PID, orphan, WNOWAIT): its pid, CLD_EXITED, status 7");
	CHECK(waitpid(-1, &st, 0) == leaf && WIFEXITED(st) && WEXITSTATUS(st) == 7,
	      "the subreaper reaps the orphan");
	errno = 0;
	CHECK(waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD, "then it has no child");
}

/* top (subreaper) -> a (subreaper) -> b -> c: b exits, c goes to a; a
 * exits, c goes to top. */
static void nested(void)
{
	int rep[2], gone_b[2], gone_a[2];
	if (pipe(rep) || pipe(gone_b) || pipe(gone_a))
		DIE("pipe");
	pid_t top = getpid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	pid_t a = fork();
	if (a == 0) {
		pid_t apid = getpid();
		close(gone_a[0]);
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		pid_t b = fork();
		if (b == 0) {
			pid_t bpid = getpid();
			close(gone_b[0]);
			if (fork() == 0) {
				close(gone_a[1]);
				close(gone_b[1]);
				wait_eof(gone_b[0]);
				tu_put_int(rep[1], new_parent(bpid) == apid);
				wait_eof(gone_a[0]);
				tu_put_int(rep[1], new_parent(apid) == top);
				_exit(0);
			}
			_exit(0);
		}
		close(gone_b[1]);
		int st;
		waitpid(b, &st, 0);
		/* Wait for c to be ours before leaving. */
		if (tu_get_int(rep[0]) != 1)
			_exit(1);
		_exit(0);
	}
	close(gone_a[1]);
	close(gone_b[1]);
	close(gone_b[0]);
	int st = -1;
	CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "nested: the orphan goes first to the nearest subreaper");
	close(gone_a[0]);
	CHECK(tu_get_int(rep[0]) == 1, "nested: then, that one gone, to the next one up");
	CHECK(waitpid(-1, &st, 0) > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "nested: which reaps it");
	close(rep[0]);
	close(rep[1]);
}

/* Each part in its own child of pid 1, so its subreaper flag is its own. */
static void in_child(void (*fn)(int), int arg, const char *what)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		fn(arg);
		_exit(tu_failures ? 1 : 0);
	}
	int st = -1;
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s", what);
}

static void nested_arg(int unused)
{
	(void)unused;
	nested();
}

/* For tests/libos/sandbox.t: a subreaper holding an adopted orphan and an
 * unreaped zombie; "SUBREAPER ORPHAN ZOMBIE" is written to ids, then all
 * wait until go is written. */
static int hold(const char *ids, const char *go)
{
	int rep[2], zrep[2];
	if (pipe(rep) || pipe(zrep))
		DIE("pipe");
	pid_t x = fork();
	if (x == 0) {
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		pid_t me = getpid();
		pid_t mid = fork();
		if (mid == 0) {
			if (fork() == 0) {
				while (getppid() != me)
					sched_yield();
				tu_put_int(rep[1], getpid());
				FILE *g = fopen(go, "r");
				if (g)
					fgetc(g);
				_exit(0);
			}
			_exit(0);
		}
		int st;
		waitpid(mid, &st, 0);
		pid_t z = fork();
		if (z == 0)
			_exit(4);
		siginfo_t si;
		waitid(P_PID, z, &si, WEXITED | WNOWAIT);
		tu_put_int(zrep[1], z);
		FILE *g = fopen(go, "r");
		if (g)
			fgetc(g);
		while (wait(&st) > 0)
			;
		_exit(0);
	}
	int orphan = tu_get_int(rep[0]), zombie = tu_get_int(zrep[0]);
	FILE *f = fopen(ids, "w");
	if (!f)
		DIE("fopen %s", ids);
	fprintf(f, "%d %d %d\n", x, orphan, zombie);
	fclose(f);
	int st;
	while (wait(&st) > 0)
		;
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3]);
	CHECK(getpid() == 1, "runs as pid 1");
	CHECK(subreaper() == 0, "pid 1 is not a subreaper by PR_GET_CHILD_SUBREAPER");
	in_child(one_level, 0, "a subreaper adopts its orphaned grandchild");
	in_child(one_level, 1, "a subreaper turned off again does not");
	/* pid 1 reaps what was turned away */
	int st;
	while (waitpid(-1, &st, 0) > 0)
		;
	in_child(nested_arg, 0, "nested subreapers");
	return tu_done();
}
