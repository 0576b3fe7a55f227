/* ptyrun [-e MARK TEXT]... [-h MARK] -- CMD [ARGS...]: runs CMD as the session
 * leader of a new pseudo-terminal (its controlling terminal, stdin, stdout
 * and stderr) and copies what it writes there to stdout, without the \r
 * the terminal adds. Each -e waits, in order, until MARK has been written
 * to the terminal since the previous match, then types TEXT (C escapes in
 * both: \n, \r, \\ and octal, e.g. \032 for ^Z). That is the handshake: TEXT
 * is typed only once CMD has said it is ready for it, never after a sleep.
 * A mark that ends a line should say so (READY\n): the terminal may pass
 * on a line's text before its end, and what is typed then is echoed
 * before that end.
 * -h hangs up after MARK (after every -e): the master is closed, as when a
 * terminal window goes away, and ptyrun only waits for CMD.
 * Exits with CMD's status (128+N when killed by signal N).
 *
 * The pty is made the portable way (posix_openpt, grantpt, unlockpt, then
 * the slave opened by its ptsname path), so it exercises /dev/ptmx,
 * /dev/pts/N and TIOCSCTTY. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MAX_EXPECT 32

static void unescape(char *s)
{
    char *o = s;
    while (*s) {
        if (*s != '\\' || !s[1]) {
            *o++ = *s++;
            continue;
        }
        s++;
        if (*s >= '0' && *s <= '7') {
            int v = 0;
            for (int i = 0; i < 3 && *s >= '0' && *s <= '7'; i++)
                v = v * 8 + (*s++ - '0');
            *o++ = (char)v;
            continue;
        }
        *o++ = *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
        s++;
    }
    *o = 0;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            perror("ptyrun: write");
            exit(125);
        }
        p += w;
        n -= (size_t)w;
    }
}

int main(int argc, char **argv)
{
    char *mark[MAX_EXPECT];
    char *text[MAX_EXPECT];
    const char *hangup = NULL;
    int nexp = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--"); i += 3) {
        if (!strcmp(argv[i], "-h") && i + 1 < argc && !hangup) {
            hangup = mark[nexp] = argv[i + 1];
            text[nexp++] = NULL;
            i--;
            continue;
        }
        if (strcmp(argv[i], "-e") || i + 2 >= argc || nexp == MAX_EXPECT || hangup) {
            fprintf(stderr, "usage: ptyrun [-e MARK TEXT]... [-h MARK] -- CMD [ARGS...]\n");
            return 125;
        }
        mark[nexp] = argv[i + 1];
        text[nexp] = argv[i + 2];
        unescape(mark[nexp]);
        unescape(text[nexp++]);
    }
    if (i + 1 >= argc) {
        fprintf(stderr, "ptyrun: no command\n");
        return 125;
    }
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) || unlockpt(master)) {
        perror("ptyrun: pty");
        return 125;
    }
    char *slave_name = ptsname(master);
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };
    if (!slave_name || ioctl(master, TIOCSWINSZ, &ws)) {
        perror("ptyrun: ptsname/TIOCSWINSZ");
        return 125;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("ptyrun: fork");
        return 125;
    }
    if (child == 0) {
        close(master);
        int s;
        if (setsid() < 0 || (s = open(slave_name, O_RDWR)) < 0 || ioctl(s, TIOCSCTTY, 0) ||
            dup2(s, 0) < 0 || dup2(s, 1) < 0 || dup2(s, 2) < 0) {
            perror("ptyrun: slave");
            _exit(125);
        }
        if (s > 2)
            close(s);
        execvp(argv[i + 1], argv + i + 1);
        perror("ptyrun: exec");
        _exit(127);
    }
    /* What the terminal said since the last match, to find the next mark. */
    static char seen[1 << 16];
    size_t nseen = 0;
    int next = 0;
    for (;;) {
        char buf[4096];
        ssize_t n = read(master, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EIO: every slave fd is closed */
        size_t k = 0;
        for (ssize_t j = 0; j < n; j++)
            if (buf[j] != '\r')
                buf[k++] = buf[j];
        write_all(1, buf, k);
        if (nseen + k > sizeof(seen) - 1)
            nseen = 0;
        memcpy(seen + nseen, buf, k);
        nseen += k;
        seen[nseen] = 0;
        while (next < nexp) {
            char *at = strstr(seen, mark[next]);
            if (!at)
                break;
            size_t rest = nseen - (size_t)(at + strlen(mark[next]) - seen);
            memmove(seen, seen + nseen - rest, rest + 1);
            nseen = rest;
            if (!text[next]) {
                close(master);
                next++;
                goto wait_child;
            }
            write_all(master, text[next], strlen(text[next]));
            next++;
        }
    }
wait_child:;
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) {
            perror("ptyrun: waitpid");
            return 125;
        }
    if (next < nexp)
        fprintf(stderr, "ptyrun: never saw \"%s\"\n", mark[next]);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
