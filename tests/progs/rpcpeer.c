/* Two picoprocesses of one sandbox in two launches (tests/libos/rpc.t):
 *   rpcpeer wait FIFO   writes "PID UID" to FIFO, then prints each of the
 *                       signals it gets (SIGUSR1, SIGUSR2 and SIGRTMIN+1 to
 *                       its second thread, SIGRTMIN with a value, SIGWINCH)
 *                       as "SIG code=C pid=P uid=U value=V [thread]" and
 *                       exits 0 after the five and a line on stdin (the test
 *                       sends it once the sender is done: pid 1's exit
 *                       would kill the sender's launch before it prints);
 *   rpcpeer send PID FIFO  writes "PID UID" to FIFO, reads a tid on stdin,
 *                       then kill(PID, 0), kill(PID, SIGUSR1), tgkill(PID,
 *                       TID, SIGUSR2), tkill(TID, SIGRTMIN+1), sigqueue(PID,
 *                       SIGRTMIN, 42), pidfd_send_signal(pidfd_open(PID),
 *                       SIGWINCH) and a poll of that pidfd, a pidfd of
 *                       TID (PIDFD_THREAD): signal 0 and a poll; tgkill
 *                       and tkill of a tid of no one;
 *                       prints the result of each;
 *   rpcpeer send PID FIFO group  the same with kill(-pgid of PID, SIGWINCH)
 *                       for the last (PID on another host: tests/pal/).
 *   rpcpeer connect PATH   connect() to and unlink() of a unix socket PATH;
 *                          of @NAME, connect() to and bind() of that abstract name.
 * The waiter's second thread only waits for SIGUSR2 and SIGRTMIN+1; the
 * main thread blocks them, so the thread that prints them shows tgkill and
 * tkill reached the right one. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static sem_t got;
static pid_t second_tid;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char line[160];
	const char *who = syscall(SYS_gettid) == second_tid ? " thread" : "";
	int n = snprintf(line, sizeof(line), "%s code=%d pid=%d uid=%d value=%d%s\n",
	                 sig == SIGUSR1 ? "SIGUSR1" : sig == SIGUSR2 ? "SIGUSR2" : sig == SIGWINCH ? "SIGWINCH"
	                 : sig == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+1", si->si_code,
	                 (int)si->si_pid, (int)si->si_uid, sig == SIGRTMIN ? si->si_value.sival_int : 0, who);
	if (write(1, line, (size_t)n) < 0)
		_exit(2);
	sem_post(&got); /* whichever thread took it */
}

static void *second(void *fifo)
{
	/* Only SIGUSR2 and SIGRTMIN+1 (tgkill'd, tkill'd to it) are this
	 * thread's to take. */
	sigset_t others;
	sigemptyset(&others);
	sigaddset(&others, SIGUSR1);
	sigaddset(&others, SIGRTMIN);
	sigaddset(&others, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &others, NULL);
	second_tid = (pid_t)syscall(SYS_gettid);
	FILE *f = fopen(fifo, "w");
	if (!f)
		exit(3);
	fprintf(f, "%d %d %d\n", (int)getpid(), (int)getuid(), (int)second_tid);
	fclose(f);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "wait")) {
		sem_init(&got, 0, 0);
		struct sigaction sa = { .sa_sigaction = on_sig, .sa_flags = SA_SIGINFO };
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGUSR2, &sa, NULL);
		sigaction(SIGRTMIN, &sa, NULL);
		sigaction(SIGWINCH, &sa, NULL);
		sigaction(SIGRTMIN + 1, &sa, NULL);
		sigset_t usr2;
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		sigaddset(&usr2, SIGRTMIN + 1);
		pthread_t t;
		pthread_create(&t, NULL, second, argv[2]);
		pthread_sigmask(SIG_BLOCK, &usr2, NULL);
		for (int i = 0; i < 5; i++)
			while (sem_wait(&got) < 0)
				;
		char go[8];
		return fgets(go, sizeof(go), stdin) ? 0 : 4;
	}
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "group"))) && !strcmp(argv[1], "send")) {
		pid_t pid = atoi(argv[2]);
		int tid = 0;
		FILE *f = fopen(argv[3], "w");
		if (!f)
			return 3;
		fprintf(f, "%d %d\n", (int)getpid(), (int)getuid());
		fclose(f);
		if (scanf("%d", &tid) != 1)
			return 2;
		printf("kill 0: %d\n", kill(pid, 0));
		printf("kill SIGUSR1: %d\n", kill(pid, SIGUSR1));
		printf("tgkill SIGUSR2: %d\n", (int)syscall(SYS_tgkill, pid, tid, SIGUSR2));
		printf("tkill SIGRTMIN+1: %d\n", (int)syscall(SYS_tkill, tid, SIGRTMIN + 1));
		printf("sigqueue SIGRTMIN 42: %d\n", sigqueue(pid, SIGRTMIN, (union sigval){ .sival_int = 42 }) ? -errno : 0);
		if (argc == 5) {
			pid_t pgid = getpgid(pid);
			printf("kill -%d SIGWINCH: %d\n", (int)pgid, kill(-pgid, SIGWINCH));
		} else {
			int fd = (int)syscall(SYS_pidfd_open, pid, 0);
			printf("pidfd_send_signal SIGWINCH: %d\n", (int)syscall(SYS_pidfd_send_signal, fd, SIGWINCH, NULL, 0));
			struct pollfd pfd = { fd, POLLIN, 0 };
			printf("its pidfd readable while it runs: %d\n", poll(&pfd, 1, 0));
			int tfd = (int)syscall(SYS_pidfd_open, tid, O_EXCL /* PIDFD_THREAD */);
			printf("pidfd_open of its second thread: %s\n", tfd >= 0 ? "ok" : strerrorname_np(errno));
			printf("its thread pidfd, signal 0: %d\n", (int)syscall(SYS_pidfd_send_signal, tfd, 0, NULL, 0));
			pfd.fd = tfd;
			printf("its thread pidfd readable while the thread runs: %d\n", poll(&pfd, 1, 0));
		}
		int r = kill(4000000, SIGUSR1);
		printf("kill of no one: %d %s\n", r, strerrorname_np(errno));
		r = (int)syscall(SYS_tgkill, pid, 4000000, SIGUSR1);
		printf("tgkill of a tid of no one: %d %s\n", r, strerrorname_np(errno));
		r = (int)syscall(SYS_tkill, 4000000, SIGUSR1);
		printf("tkill of a tid of no one: %d %s\n", r, strerrorname_np(errno));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "connect")) {
		/* An app that tries to reach a stream socket by its host path,
		 * or (@NAME) to reach and to take its abstract name. */
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[2]);
		socklen_t len = sizeof(sa);
		bool abstract = argv[2][0] == '@';
		if (abstract) {
			sa.sun_path[0] = 0;
			len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(argv[2]));
		}
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		int r = connect(fd, (struct sockaddr *)&sa, len);
		printf("connect: %d %s\n", r, r ? strerrorname_np(errno) : "");
		if (abstract) {
			r = bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa, len);
			printf("bind: %d %s\n", r, r ? strerrorname_np(errno) : "");
		} else {
			printf("unlink: %d %s\n", unlink(argv[2]), strerrorname_np(errno));
		}
		return 0;
	}
	fprintf(stderr, "usage: rpcpeer wait FIFO | send PID FIFO | connect PATH\n");
	return 2;
}
