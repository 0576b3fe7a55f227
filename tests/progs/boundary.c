/* Attacks on the sandbox boundary, run inside a picoprocess by
 * tests/boundary/priv.t. Each prints what the (emulated) call answered.
 *
 *   boundary fd N                  "open" or "closed": was fd N inherited?
 *   boundary setcap FILE           fsetxattr security.capability (cap_setuid)
 *   boundary create FILE MODE      open(O_CREAT, MODE) (octal)
 *   boundary mkdir DIR MODE        mkdir(DIR, MODE)
 *   boundary fchmod FILE MODE      fchmod of FILE opened read-only
 *   boundary forkbomb READY GO     forks until fork fails; writes "N ERRNO"
 *                                  to fifo READY, waits for fifo GO, then
 *                                  lets the children exit and reaps them */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int answer(int r)
{
    puts(r < 0 ? strerror(errno) : "ok");
    return 0;
}

static int forkbomb(const char *ready, const char *go)
{
    int p[2];
    if (pipe(p))
        return answer(-1);
    int n = 0, err = 0;
    for (;;) {
        pid_t c = fork();
        if (c < 0) {
            err = errno;
            break;
        }
        if (c == 0) {
            char b;
            close(p[1]);
            _exit(read(p[0], &b, 1) == 0 ? 0 : 1); /* until the parent closes the pipe */
        }
        n++;
    }
    FILE *f = fopen(ready, "w");
    if (!f)
        return answer(-1);
    fprintf(f, "%d %s\n", n, strerrorname_np(err));
    fclose(f);
    char b;
    int g = open(go, O_RDONLY);
    if (g < 0 || read(g, &b, 1) < 0)
        return answer(-1);
    close(p[1]);
    while (wait(NULL) > 0)
        ;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "fd"))
        return puts(fcntl(atoi(argv[2]), F_GETFD) < 0 ? "closed" : "open") < 0;
    if (argc == 3 && !strcmp(argv[1], "setcap")) {
        struct vfs_cap_data cap = { .magic_etc = VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE };
        cap.data[0].permitted = 1u << CAP_SETUID;
        int fd = open(argv[2], O_RDWR);
        return answer(fd < 0 ? fd : fsetxattr(fd, "security.capability", &cap, sizeof(cap), 0));
    }
    if (argc == 4) {
        mode_t mode = (mode_t)strtoul(argv[3], NULL, 8);
        if (!strcmp(argv[1], "create"))
            return answer(open(argv[2], O_CREAT | O_WRONLY | O_EXCL, mode));
        if (!strcmp(argv[1], "mkdir"))
            return answer(mkdir(argv[2], mode));
        if (!strcmp(argv[1], "fchmod")) {
            int fd = open(argv[2], O_RDONLY);
            return answer(fd < 0 ? fd : fchmod(fd, mode));
        }
        if (!strcmp(argv[1], "forkbomb"))
            return forkbomb(argv[2], argv[3]);
    }
    fprintf(stderr, "usage: boundary fd N | setcap FILE | create|mkdir|fchmod PATH MODE | forkbomb READY GO\n");
    return 2;
}
