/* Sandbox pids, exit and wait, signals between processes, groups and
 * sessions. Run as pid 1: natively inside `unshare --pid --fork
 * --mount-proc` (tests/diff/pids.t), under graphene as the sandbox's first
 * process. Pids are printed raw only where Linux's allocation (the next
 * free pid) and the sandbox's (the parent's lease) agree: pid 1, its
 * threads and its children, created in order. Grandchildren take their
 * pids from their parent's own lease, so they are checked by relation. */
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static volatile sig_atomic_t got_sig, got_pid, got_code, got_status, got_value, got_mask;

static void on_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_mask |= 1 << sig;
	got_pid = si->si_pid;
	got_code = si->si_code;
	got_status = si->si_status;
	got_value = si->si_value.sival_int;
}

static void catch(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_info, .sa_flags = SA_SIGINFO };
	sigaction(sig, &sa, NULL);
}

static void wait_for_signal(int sig)
{
	sigset_t none;
	sigemptyset(&none);
	while (got_sig != sig)
		sigsuspend(&none);
}

static void *thread_fn(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	return NULL;
}

static int reap(pid_t pid)
{
	int st = -1;
	pid_t r = waitpid(pid, &st, 0);
	return r == pid ? st : -1;
}

/* Reads one int from a pipe (the handshake between the processes). */
static int get_int(int fd)
{
	int v = -1;
	return read(fd, &v, sizeof(v)) == sizeof(v) ? v : -1;
}

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static void put_int(int fd, int v)
{
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(99);
}

static void ids_and_threads(void)
{
	CHECK(getpid() == 1, "getpid() = %d", getpid());
	CHECK(getppid() == 0, "getppid() = %d", getppid());
	CHECK(syscall(SYS_gettid) == 1, "gettid() = %ld", syscall(SYS_gettid));
	pid_t tid = 0;
	pthread_t th;
	pthread_create(&th, NULL, thread_fn, &tid);
	pthread_join(th, NULL);
	CHECK(tid == 2, "a thread's tid = %d", tid);
}

static void fork_and_wait(void)
{
	int p[2];
	if (pipe(p))
		DIE("pipe");
	pid_t c = fork();
	if (c == 0) {
		put_int(p[1], getpid());
		put_int(p[1], getppid());
		_exit(7);
	}
	CHECK(c == 3, "fork() = %d", c);
	int cpid = get_int(p[0]), cppid = get_int(p[0]);
	CHECK(cpid == c && cppid == 1, "child sees getpid() = %d, getppid() = %d", cpid, cppid);
	int st = reap(c);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "waitpid: exited with 7");
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD, "no more children: ECHILD");
	close2(p);
}

static void sigchld_info(void)
{
	catch(SIGCHLD);
	got_sig = 0;
	pid_t c = fork();
	if (c == 0)
		_exit(3);
	wait_for_signal(SIGCHLD);
	CHECK(got_pid == c && got_code == CLD_EXITED && got_status == 3,
	      "SIGCHLD: si_pid is the child, CLD_EXITED, si_status %d", (int)got_status);
	siginfo_t si = { 0 };
	CHECK(waitid(P_PID, c, &si, WEXITED | WNOWAIT) == 0 && si.si_pid == c && si.si_status == 3,
	      "waitid WNOWAIT: si_pid is the child, status 3");
	CHECK(reap(c) == 3 << 8, "the zombie stays for waitpid after WNOWAIT");

	got_sig = 0;
	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	kill(c, SIGTERM);
	wait_for_signal(SIGCHLD);
	CHECK(got_pid == c && got_code == CLD_KILLED && got_status == SIGTERM,
	      "SIGCHLD of a killed child: CLD_KILLED, SIGTERM");
	int st = reap(c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "waitpid: killed by SIGTERM");

	c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	kill(c, SIGKILL);
	st = reap(c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "waitpid: killed by SIGKILL");
	signal(SIGCHLD, SIG_DFL);
}

/* The child reports what its handler saw: si_pid, si_code, si_value. */
static void signal_child(void)
{
	int p[2];
	if (pipe(p))
		DIE("pipe");
	sigset_t usr;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr, NULL);
	pid_t c = fork();
	if (c == 0) {
		catch(SIGUSR1);
		got_sig = 0;
		put_int(p[1], 0); /* ready */
		sigset_t none;
		sigemptyset(&none);
		for (int n = 0; n < 2; n++) {
			got_sig = 0;
			while (!got_sig)
				sigsuspend(&none);
			put_int(p[1], got_pid);
			put_int(p[1], got_code);
			put_int(p[1], got_value);
		}
		_exit(0);
	}
	sigprocmask(SIG_UNBLOCK, &usr, NULL);
	get_int(p[0]);
	kill(c, SIGUSR1);
	int spid = get_int(p[0]), code = get_int(p[0]);
	get_int(p[0]);
	CHECK(spid == 1 && code == SI_USER, "kill: the child sees si_pid %d, SI_USER", spid);
	sigqueue(c, SIGUSR1, (union sigval){ .sival_int = 42 });
	spid = get_int(p[0]);
	code = get_int(p[0]);
	int value = get_int(p[0]);
	CHECK(spid == 1 && code == SI_QUEUE && value == 42, "sigqueue: si_pid %d, SI_QUEUE, value %d",
	      spid, value);
	CHECK(reap(c) == 0, "signalled child exits 0");
	close2(p);
}

/* Three processes in one new group; kill(-pgid) from pid 1, then kill(0)
 * from the group's leader: every member reports each signal once. */
static void group_kill(void)
{
	int ready[2], report[2];
	if (pipe(ready) || pipe(report))
		DIE("pipe");
	sigset_t usr;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr, NULL);
	pid_t kids[3], leader = 0;
	for (int i = 0; i < 3; i++) {
		pid_t c = fork();
		if (c == 0) {
			if (setpgid(0, leader) && errno != EACCES)
				_exit(90);
			catch(SIGUSR1);
			catch(SIGUSR2);
			put_int(ready[1], getpgrp());
			sigset_t none;
			sigemptyset(&none);
			/* Both may be delivered in one sigsuspend: a mask, not a count. */
			while (!(got_mask & (1 << SIGUSR1)))
				sigsuspend(&none);
			put_int(report[1], SIGUSR1);
			if (i == 0)
				kill(0, SIGUSR2); /* the leader signals its own group */
			while (!(got_mask & (1 << SIGUSR2)))
				sigsuspend(&none);
			put_int(report[1], SIGUSR2);
			_exit(0);
		}
		/* The parent sets it too, so there is no race with the child. */
		setpgid(c, leader ? leader : c);
		if (!leader)
			leader = c;
		kids[i] = c;
	}
	sigprocmask(SIG_UNBLOCK, &usr, NULL);
	int same = 0;
	for (int i = 0; i < 3; i++)
		same += get_int(ready[0]) == leader;
	CHECK(same == 3, "three processes in group %d", leader);
	pid_t pg = getpgid(kids[2]);
	CHECK(pg == leader, "getpgid(member) = %d", pg);
	CHECK(kill(-leader, SIGUSR1) == 0, "kill(-pgid)");
	int usr1 = 0, usr2 = 0;
	for (int i = 0; i < 6; i++) {
		int s = get_int(report[0]);
		usr1 += s == SIGUSR1;
		usr2 += s == SIGUSR2;
	}
	CHECK(usr1 == 3 && usr2 == 3, "every member got kill(-pgid) and the leader's kill(0): %d, %d",
	      usr1, usr2);
	int ok = 0;
	for (int i = 0; i < 3; i++)
		ok += reap(kids[i]) == 0;
	CHECK(ok == 3, "group members exit 0");
	CHECK(kill(-leader, SIGUSR1) == -1 && errno == ESRCH, "kill(-pgid) of an empty group: ESRCH");
	close2(ready);
	close2(report);
}

static void groups_and_sessions(void)
{
	int p[2], go[2];
	if (pipe(p) || pipe(go))
		DIE("pipe");
	pid_t c = fork();
	if (c == 0) {
		pid_t s = setsid();
		put_int(p[1], s == getpid());
		put_int(p[1], getsid(0) == getpid() && getpgrp() == getpid());
		errno = 0;
		put_int(p[1], setsid() == -1 ? errno : 0);
		errno = 0;
		put_int(p[1], setpgid(0, 0) == -1 ? errno : 0);
		char b;
		if (read(go[0], &b, 1) != 1)
			_exit(91);
		_exit(0);
	}
	CHECK(get_int(p[0]) == 1, "setsid() in a child returns its pid");
	CHECK(get_int(p[0]) == 1, "it leads its session and group");
	int e = get_int(p[0]);
	CHECK(e == EPERM, "setsid() again: %s", errname(e));
	e = get_int(p[0]);
	CHECK(e == EPERM, "setpgid() of a session leader: %s", errname(e));
	CHECK(getsid(c) == c, "getsid(child) = the child");
	errno = 0;
	CHECK(setpgid(c, 0) == -1 && errno == EPERM, "setpgid(child in another session): %s",
	      errname(errno));
	errno = 0;
	CHECK(setpgid(12345, 0) == -1 && errno == ESRCH, "setpgid(not a child): %s", errname(errno));
	errno = 0;
	CHECK(getpgid(12345) == -1 && errno == ESRCH, "getpgid(no such process): %s", errname(errno));
	if (write(go[1], "x", 1) != 1)
		DIE("write");
	CHECK(reap(c) == 0, "session child exits 0");
	close2(p);
	close2(go);
}

/* A grandchild whose parent exits belongs to pid 1, which reaps it. */
static void orphan(void)
{
	int p[2], gone[2], ack[2];
	if (pipe(p) || pipe(gone) || pipe(ack))
		DIE("pipe");
	pid_t c = fork();
	if (c == 0) {
		close(gone[0]);
		pid_t parent = getpid();
		pid_t g = fork();
		if (g == 0) {
			close(gone[1]);
			put_int(p[1], getppid() == parent);
			put_int(ack[1], 0);
			char b;
			/* EOF: the parent is gone (it held the only other end). */
			while (read(gone[0], &b, 1) > 0)
				;
			while (getppid() != 1)
				sched_yield();
			put_int(p[1], getpid());
			_exit(5);
		}
		get_int(ack[0]); /* the grandchild has looked at its parent */
		_exit(0);
	}
	close2(ack);
	close(gone[1]);
	close(gone[0]);
	CHECK(get_int(p[0]) == 1, "grandchild's getppid() is its parent");
	CHECK(reap(c) == 0, "its parent exits");
	int gpid = get_int(p[0]);
	CHECK(gpid > 1, "the orphan's getppid() becomes 1");
	int st = -1;
	pid_t r = waitpid(-1, &st, 0);
	CHECK(r == gpid && WIFEXITED(st) && WEXITSTATUS(st) == 5,
	      "pid 1 reaps the orphan (its own pid, status 5)");
	close2(p);
}

/* pid 1 is init: a signal from inside the namespace that it has no handler
 * for does nothing, SIGKILL included. The real-time signal after it (for
 * which it has a handler) arrives last: standard signals go first. */
static void init_survives(void)
{
	sigset_t rt;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &rt, NULL);
	catch(SIGRTMIN);
	got_sig = 0;
	pid_t c = fork();
	if (c == 0) {
		int a = kill(1, SIGTERM), b = kill(1, SIGKILL), d = kill(1, SIGUSR1);
		kill(1, SIGRTMIN);
		_exit(a || b || d ? 1 : 0);
	}
	sigprocmask(SIG_UNBLOCK, &rt, NULL);
	wait_for_signal(SIGRTMIN);
	CHECK(reap(c) == 0, "kill(1, SIGTERM / SIGKILL / SIGUSR1) from a child succeeds");
	CHECK(1, "and pid 1, without handlers for them, lives on");
	signal(SIGRTMIN, SIG_DFL);
}

/* kill(-1): every process but init and the caller. */
static void kill_all(void)
{
	int p[2];
	if (pipe(p))
		DIE("pipe");
	errno = 0;
	CHECK(kill(-1, 0) == -1 && errno == ESRCH, "kill(-1, 0) with no other process: ESRCH");
	sigset_t usr;
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr, NULL);
	pid_t c = fork();
	if (c == 0) {
		catch(SIGUSR1);
		got_mask = 0;
		put_int(p[1], 0);
		sigset_t none;
		sigemptyset(&none);
		while (!(got_mask & (1 << SIGUSR1)))
			sigsuspend(&none);
		put_int(p[1], got_pid);
		_exit(0);
	}
	catch(SIGUSR1);
	got_mask = 0;
	sigprocmask(SIG_UNBLOCK, &usr, NULL);
	get_int(p[0]);
	CHECK(kill(-1, SIGUSR1) == 0, "kill(-1, SIGUSR1)");
	CHECK(get_int(p[0]) == 1, "the child got it from pid 1");
	CHECK(!(got_mask & (1 << SIGUSR1)), "the caller did not");
	CHECK(reap(c) == 0, "the child exits 0");
	signal(SIGUSR1, SIG_DFL);
	close2(p);
}

/* A parent that ignores SIGCHLD has no zombies: not in wait, not in /proc. */
static void ignored_sigchld(void)
{
	signal(SIGCHLD, SIG_IGN);
	pid_t c = fork();
	if (c == 0)
		_exit(0);
	errno = 0;
	CHECK(wait(NULL) == -1 && errno == ECHILD, "SIGCHLD ignored: wait finds no zombie (%s)",
	      errname(errno));
	/* Linux's wait says ECHILD once the self-reaping child is EXIT_DEAD,
	 * a moment before release_task unhashes it: /proc may show it until
	 * then (and kill_all's kill(-1, 0) find it), so this waits for that. */
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d", c);
	int tries = 0;
	while (access(path, F_OK) == 0 && tries++ < 10000)
		usleep(1000);
	CHECK(access(path, F_OK) == -1 && errno == ENOENT, "and /proc has none");
	signal(SIGCHLD, SIG_DFL);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	ids_and_threads();
	fork_and_wait();
	sigchld_info();
	signal_child();
	group_kill();
	groups_and_sessions();
	orphan();
	init_survives();
	ignored_sigchld();
	kill_all();
	return tu_done();
}
