/* The controlling terminal and job control, run under tests/progs/ptyrun
 * (so this process leads a session whose controlling terminal is a pty):
 * the terminal's foreground group and session, tcsetpgrp, SIGTTIN and
 * SIGTTOU for background jobs (stopped by that very signal, or EIO / the
 * change let through when the signal is ignored or blocked), SIGHUP and
 * SIGCONT to an orphaned stopped group, SIGWINCH for a new window size,
 * TIOCNOTTY, and SIGHUP to the foreground group
 * when the session leader exits. Prints only deterministic facts. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "testutil.h"

/* A child in a group of its own (set on both sides, as a shell does), that
 * runs fn once the parent has put it there. */
static pid_t spawn_job(void (*fn)(void))
{
    int go[2];
    if (pipe(go))
        DIE("pipe");
    pid_t pid = fork();
    if (pid < 0)
        DIE("fork");
    if (pid == 0) {
        char c;
        setpgid(0, 0);
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(99);
        fn();
        _exit(0);
    }
    setpgid(pid, pid);
    close(go[0]);
    if (write(go[1], "x", 1) != 1)
        DIE("write");
    close(go[1]);
    return pid;
}

static int wait_stop_or_exit(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, WUNTRACED) < 0)
        if (errno != EINTR)
            return -1;
    return st;
}

static void reap_killed(pid_t pid)
{
    kill(-pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
}

static void bg_read(void)
{
    char c;
    ssize_t n = read(0, &c, 1);
    _exit(n < 0 ? errno : 0);
}

static void bg_read_ignoring(void)
{
    signal(SIGTTIN, SIG_IGN);
    bg_read();
}

static void bg_write(void)
{
    ssize_t n = write(1, "bg write\n", 9);
    _exit(n == 9 ? 0 : errno);
}

static void bg_write_blocking(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTTOU);
    sigprocmask(SIG_BLOCK, &s, NULL);
    bg_write();
}

static void bg_take_terminal(void)
{
    _exit(tcsetpgrp(0, getpgrp()) ? errno : 0);
}

static void bg_take_terminal_blocking(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTTOU);
    sigprocmask(SIG_BLOCK, &s, NULL);
    if (tcsetpgrp(0, getpgrp()))
        _exit(errno);
    _exit(tcgetpgrp(0) == getpgrp() ? 0 : 98);
}

/* A member that is not the session leader gives up its controlling
 * terminal for itself alone. */
static void drop_terminal(void)
{
    if (ioctl(0, TIOCNOTTY) || open("/dev/tty", O_RDWR) >= 0 || errno != ENXIO)
        _exit(1);
    _exit(0);
}

static volatile sig_atomic_t winched;

static void on_winch(int sig)
{
    (void)sig;
    winched++;
}

static int report_fd = -1;

static void on_hup(int sig)
{
    (void)sig;
    ssize_t r = write(report_fd, "SIGHUP\n", 7);
    (void)r;
    _exit(0);
}

/* A stopped process whose group becomes orphaned when its parent exits:
 * the kernel sends it SIGHUP and SIGCONT. */
static void orphan_maker(void)
{
    pid_t g = fork();
    if (g == 0) {
        signal(SIGHUP, on_hup);
        raise(SIGSTOP);
        _exit(97); /* continued without SIGHUP */
    }
    int st;
    waitpid(g, &st, WUNTRACED); /* stopped: now orphan its group */
    _exit(WIFSTOPPED(st) ? 0 : 96);
}

static void check_stopped_by(pid_t pid, int sig, const char *what)
{
    int st = wait_stop_or_exit(pid);
    CHECK(st >= 0 && WIFSTOPPED(st) && WSTOPSIG(st) == sig, "%s: stopped by %s", what, strsignal(sig));
    reap_killed(pid);
}

static void check_exit(pid_t pid, int code, const char *what)
{
    int st = wait_stop_or_exit(pid);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == code, "%s: exit %d (status %#x)", what, code, st);
}

static void take_terminal_back(void)
{
    signal(SIGTTOU, SIG_IGN);
    CHECK(tcsetpgrp(0, getpgrp()) == 0, "the session leader takes the terminal back (SIGTTOU ignored)");
    signal(SIGTTOU, SIG_DFL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    CHECK(getsid(0) == getpid(), "a session leader");
    CHECK(tcgetpgrp(0) == getpgrp(), "tcgetpgrp is our group");
    CHECK(tcgetsid(0) == getsid(0), "tcgetsid is our session");
    const char *name = ttyname(0);
    struct stat st;
    CHECK(name && !strncmp(name, "/dev/pts/", 9) && stat(name, &st) == 0 && S_ISCHR(st.st_mode) &&
          st.st_uid == getuid(), "ttyname is a pty of ours");
    int fd = open("/dev/tty", O_RDWR);
    CHECK(fd >= 0, "/dev/tty opens the controlling terminal");
    if (fd >= 0)
        close(fd);

    signal(SIGWINCH, on_winch);
    struct winsize ws = { .ws_row = 30, .ws_col = 100 }, got;
    CHECK(ioctl(0, TIOCSWINSZ, &ws) == 0 && winched == 1, "a new window size: SIGWINCH to the foreground group");
    CHECK(ioctl(0, TIOCGWINSZ, &got) == 0 && got.ws_row == 30 && got.ws_col == 100, "TIOCGWINSZ reads it");
    signal(SIGWINCH, SIG_DFL);

    check_stopped_by(spawn_job(bg_read), SIGTTIN, "background read");
    check_exit(spawn_job(bg_read_ignoring), EIO, "background read, SIGTTIN ignored: EIO");
    check_exit(spawn_job(bg_write), 0, "background write without TOSTOP");
    struct termios t;
    tcgetattr(0, &t);
    t.c_lflag |= TOSTOP;
    CHECK(tcsetattr(0, TCSANOW, &t) == 0, "TOSTOP set");
    check_stopped_by(spawn_job(bg_write), SIGTTOU, "background write with TOSTOP");
    check_exit(spawn_job(bg_write_blocking), 0, "background write with TOSTOP, SIGTTOU blocked");
    t.c_lflag &= ~(tcflag_t)TOSTOP;
    tcsetattr(0, TCSANOW, &t);
    check_stopped_by(spawn_job(bg_take_terminal), SIGTTOU, "tcsetpgrp from the background");

    pid_t job = spawn_job(bg_take_terminal_blocking);
    siginfo_t si;
    CHECK(waitid(P_PID, (id_t)job, &si, WEXITED | WNOWAIT) == 0 && si.si_status == 0,
          "tcsetpgrp from the background, SIGTTOU blocked");
    CHECK(tcgetpgrp(0) == job, "the terminal's foreground group is the job's (a zombie)");
    check_exit(job, 0, "the job is reaped");
    take_terminal_back();
    CHECK(tcgetpgrp(0) == getpgrp(), "tcgetpgrp is ours again");
    CHECK(tcsetpgrp(0, 99999) < 0 && errno == ESRCH, "tcsetpgrp to no group: ESRCH");

    check_exit(spawn_job(drop_terminal), 0, "TIOCNOTTY in a member: /dev/tty is ENXIO for it");
    CHECK(tcgetpgrp(0) == getpgrp(), "and the terminal is still ours");

    int rep[2];
    if (pipe(rep))
        DIE("pipe");
    report_fd = rep[1];
    pid_t om = spawn_job(orphan_maker);
    check_exit(om, 0, "the orphaned group's parent exits");
    close(rep[1]);
    char buf[64] = { 0 };
    ssize_t n = read(rep[0], buf, sizeof(buf) - 1);
    CHECK(n > 0 && !strcmp(buf, "SIGHUP\n"), "the stopped orphan got SIGHUP and ran (SIGCONT)");
    close(rep[0]);

    /* Last: a member of our (foreground) group is told SIGHUP on the
     * terminal when we, the session leader, exit. */
    int ready[2];
    if (pipe(ready))
        DIE("pipe");
    if (fork() == 0) {
        report_fd = 1;
        signal(SIGHUP, on_hup);
        close(ready[0]);
        close(ready[1]);
        for (;;)
            pause();
    }
    close(ready[1]);
    char c;
    CHECK(read(ready[0], &c, 1) == 0, "the foreground member is ready");
    printf("leader exits\n");
    return tu_failures ? 1 : 0;
}
