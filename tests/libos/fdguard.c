/* Run under graphene only: with its soft RLIMIT_NOFILE raised to the hard
 * limit, the app tries to take, overwrite or close every fd number it does
 * not hold (the libos's own fds are among them); the libos must keep its
 * fds and keep working. Prints one line per kind of attempt. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    printf("raise soft limit: %s\n", setrlimit(RLIMIT_NOFILE, &rl) ? strerror(errno) : "ok");
    int taken = 0;
    for (long fd = 3; fd < (long)rl.rlim_max; fd++) {
        if (fcntl((int)fd, F_GETFD) != -1)
            continue; /* one the app holds (none but stdio, normally) */
        taken += dup2(1, (int)fd) == fd;
        close((int)fd);
        taken += fcntl(1, F_DUPFD, fd) == fd;
        close((int)fd);
    }
    /* the app's own range is taken, the libos's is not: the count is for
     * the log, the proof is that the libos still works below */
    fprintf(stderr, "dup2/F_DUPFD: %d fds taken\n", taken);
    printf("dup2/F_DUPFD onto the rest: done\n");
    close_range(3, ~0U, 0);
    /* the mounts and the log are the libos's fds: both must still work */
    int fd = open(argc > 0 ? argv[0] : "/t/fdguard", O_RDONLY);
    char elf[4] = "";
    printf("open through the mount: %s\n", fd >= 0 && read(fd, elf, 4) == 4 && !memcmp(elf, "\177ELF", 4) ? "ok" : strerror(errno));
    printf("still running\n");
    return 0;
}
