/* execve details: the path a #! script's interpreter gets (the one given
 * to execve, so $0 is what the caller wrote), an empty or NULL argv (Linux
 * 5.18+ runs the program with argc 1 and argv[0] ""), ETXTBSY for a
 * program open for writing, none of the old program's mappings left in the
 * new one (low, high and kernel-chosen addresses). */
#include "testutil.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Where the old program maps (MAP_FIXED_NOREPLACE, or the kernel's choice
 * for 0): away from where a program, ld.so or the libos usually is. */
static const unsigned long map_at[] = { 0x200000, 0x500000000000, 0x700000000000, 0 };
#define NMAPS (sizeof(map_at) / sizeof(map_at[0]))

/* Runs path with argv in a child and waits: the child's output is ours. */
static void run(const char *what, const char *path, char *const argv[], char *const envp[])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, envp);
        printf("%s: execve %s\n", what, errname(errno));
        _exit(127);
    }
    int st;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: exit 0", what);
}

static void script(const char *name, const char *text)
{
    int fd = open(name, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && close(fd) == 0, "write %s", name);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 0 || (argc == 1 && argv[0][0] == 0)) { /* the re-executed child */
        printf("child: argc %d, argv[0] \"%s\"\n", argc, argc ? argv[0] : "(none)");
        return 0;
    }
    if (argc == 1 && !strcmp(argv[0], "maps-check")) { /* after the exec below */
        const char *list = getenv("T_EXEC_MAPS");
        for (size_t i = 0; list && i < NMAPS; i++) {
            unsigned long a = strtoul(list, (char **)&list, 16);
            list += *list == ',';
            printf("old mapping %zu after execve: %s\n", i,
                   a == 0 ? "not made" : msync((void *)a, 4096, MS_ASYNC) ? errname(errno) : "still mapped");
        }
        return 0;
    }
    char env[256] = "T_EXEC_MAPS=";
    for (size_t i = 0; i < NMAPS; i++) {
        void *p = mmap((void *)map_at[i], 65536, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | (map_at[i] ? MAP_FIXED_NOREPLACE : 0), -1, 0);
        if (p != MAP_FAILED)
            memset(p, 1, 65536);
        snprintf(env + strlen(env), sizeof(env) - strlen(env), "%lx,", p == MAP_FAILED ? 0UL : (unsigned long)p);
    }
    char *mc_argv[] = { "maps-check", NULL }, *mc_env[] = { env, NULL };
    run("old mappings", "/proc/self/exe", mc_argv, mc_env);
    script("s.sh", "#!/bin/sh\necho \"script \\$0=$0 \\$1=$1\"\n");
    script("s-arg.sh", "#!/bin/sh -e\necho \"script with interpreter arg \\$0=$0\"\n");
    mkdir("sub", 0755);
    script("sub/nested.sh", "#!/bin/sh\necho \"nested \\$0=$0\"\n");
    char *a1[] = { "s.sh", "one", NULL };
    run("relative ./ path", "./s.sh", a1, environ);
    run("bare name", "s.sh", a1, environ);
    char *a2[] = { "whatever", NULL };
    run("interpreter argument", "./s-arg.sh", a2, environ);
    run("subdirectory with ..", "sub/../sub/nested.sh", a2, environ);
    char *empty[] = { NULL };
    run("empty argv", "/proc/self/exe", empty, environ);
    run("NULL argv and envp", "/proc/self/exe", NULL, NULL);
    /* a copy of this program, still open for writing */
    int src = open("/proc/self/exe", O_RDONLY), dst = open("copy", O_CREAT | O_WRONLY, 0755);
    char buf[65536];
    ssize_t n;
    while (src >= 0 && dst >= 0 && (n = read(src, buf, sizeof(buf))) > 0)
        CHECK(write(dst, buf, n) == n, "copy");
    close(src);
    char *a3[] = { "", NULL };
    errno = 0;
    execve("copy", a3, environ);
    printf("execve of a file open for writing: %s\n", errname(errno));
    script("busy.sh", "#!/bin/sh\necho ran\n");
    int bfd = open("busy.sh", O_WRONLY | O_APPEND);
    execve("./busy.sh", a2, environ);
    printf("execve of a script open for writing: %s\n", errname(errno));
    close(bfd);
    close(dst);
    run("the copy, closed", "copy", a3, environ);
    /* fexecve: the open file itself (glibc tries execveat, then the
     * /proc/self/fd path) */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("copy", O_RDONLY);
        unlink("copy"); /* what runs is the open file, not a name */
        fexecve(fd, a3, environ);
        printf("fexecve: %s\n", errname(errno));
        _exit(127);
    }
    int st;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "fexecve of an unlinked file: exit 0");
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        syscall(SYS_execveat, open("/proc/self/exe", O_RDONLY), "", a3, environ, AT_EMPTY_PATH);
        printf("execveat AT_EMPTY_PATH: %s\n", errname(errno));
        _exit(127);
    }
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0, "execveat(fd, \"\", AT_EMPTY_PATH): exit 0");
    unlink("copy");
    unlink("busy.sh");
    unlink("s.sh");
    unlink("s-arg.sh");
    unlink("sub/nested.sh");
    rmdir("sub");
    return tu_done();
}
