/* Test stand-in for the libos image (run through GRAPHENE_LIBOS): checks
 * what the launcher promises about the exec (argv shape, empty environment,
 * a sealed config memfd at fd >= 3, a readable fd of the exec'd image) and
 * prints each blob record on its own
 * line, with bytes outside printable ASCII as \xHH. Blob record
 * env=DUMP_EXIT=N makes it exit with status N, env=DUMP_SIGNAL=N kills it
 * with signal N, so tests can check that status passes through, and
 * env=DUMP_HOLD=1 makes it stay (as a running picoprocess would) until its
 * stdin reaches EOF. */
#include "../../libos/config_blob.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[0], "graphene-libos") ||
        strncmp(argv[1], CONFIG_FD_ARG, strlen(CONFIG_FD_ARG)) ||
        strncmp(argv[2], IMAGE_FD_ARG, strlen(IMAGE_FD_ARG))) {
        fprintf(stderr, "dump_blob: bad argv\n");
        return 100;
    }
    /* the image fd is this very program, open for reading */
    struct stat img, self;
    char c;
    int ifd = atoi(argv[2] + strlen(IMAGE_FD_ARG));
    if (fstat(ifd, &img) || stat("/proc/self/exe", &self) || img.st_ino != self.st_ino ||
        img.st_dev != self.st_dev || pread(ifd, &c, 1, 0) != 1) {
        fprintf(stderr, "dump_blob: fd %d is not the image, readable\n", ifd);
        return 105;
    }
    close(ifd);
    if (environ[0]) {
        fprintf(stderr, "dump_blob: environment not empty: %s\n", environ[0]);
        return 101;
    }
    int fd = atoi(argv[1] + strlen(CONFIG_FD_ARG));
    int seals = fcntl(fd, F_GET_SEALS);
    int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
    if (fd < 3 || seals < 0 || (seals & want) != want) {
        fprintf(stderr, "dump_blob: fd %d not a sealed memfd (seals %d)\n", fd, seals);
        return 102;
    }
    static char blob[1 << 20];
    ssize_t len = read(fd, blob, sizeof(blob));
    if (len <= 0 || blob[len - 1] != '\0') {
        fprintf(stderr, "dump_blob: blob empty or not NUL-terminated\n");
        return 103;
    }
    int exit_status = 0, kill_signal = 0, hold = 0;
    for (char *r = blob; r < blob + len; r += strlen(r) + 1) {
        if (!strchr(r, '=')) {
            fprintf(stderr, "dump_blob: record without '=': %s\n", r);
            return 104;
        }
        for (const unsigned char *c = (const unsigned char *)r; *c; c++)
            printf(*c >= 0x20 && *c < 0x7f && *c != '\\' ? "%c" : "\\x%02x", *c);
        putchar('\n');
        if (!strncmp(r, "env=DUMP_EXIT=", 14))
            exit_status = atoi(r + 14);
        if (!strncmp(r, "env=DUMP_SIGNAL=", 16))
            kill_signal = atoi(r + 16);
        hold |= !strcmp(r, "env=DUMP_HOLD=1");
    }
    fflush(stdout);
    while (hold && read(0, blob, sizeof(blob)) > 0)
        ;
    if (kill_signal) {
        signal(kill_signal, SIG_DFL);
        raise(kill_signal);
    }
    return exit_status;
}
