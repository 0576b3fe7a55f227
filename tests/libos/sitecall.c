/* Calls host system calls from the libos's own syscall instruction inside a
 * running picoprocess, the way an app that jumped there would, and prints
 * what the host answered. Used by hardening.t.
 *
 * usage: sitecall PID SITE_ADDRESS CALL [CALL...]
 * CALL is a syscall number (all arguments 0), NR:PATH, called as
 * NR(AT_FDCWD, PATH, O_RDONLY) (openat's shape), or NR,ARG,... with up to
 * six arguments: a number (strtol, base 0), @TEXT (a string) or %HEX (bytes),
 * the last two placed in the picoprocess's memory. The picoprocess is stopped
 * with ptrace, its registers pointed at the site, the instruction
 * single-stepped, and its registers restored. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>

/* Copies len bytes into the picoprocess at `at`, well below its stack
 * pointer, clear of live data; returns the address after them. */
static unsigned long poke(pid_t pid, unsigned long at, const void *data, size_t len)
{
    for (size_t off = 0; off < len; off += sizeof(long)) {
        long word = 0;
        memcpy(&word, (const char *)data + off, len - off < sizeof(long) ? len - off : sizeof(long));
        ptrace(PTRACE_POKEDATA, pid, at + off, word);
    }
    return (at + len + 15) & ~15UL;
}

/* NR,ARG,... into r's syscall registers. */
static void set_args(pid_t pid, unsigned long at, char *spec, struct user_regs_struct *r)
{
    unsigned long long *regs[] = { &r->rdi, &r->rsi, &r->rdx, &r->r10, &r->r8, &r->r9 };
    char *arg = strtok(spec, ",");
    for (int i = 0; i < 6 && (arg = strtok(NULL, ",")); i++) {
        if (arg[0] == '@') {
            *regs[i] = at;
            at = poke(pid, at, arg + 1, strlen(arg + 1) + 1);
        } else if (arg[0] == '%') {
            unsigned char bytes[256];
            size_t n = 0;
            for (const char *h = arg + 1; h[0] && h[1] && n < sizeof(bytes); h += 2) {
                char two[3] = { h[0], h[1], 0 };
                bytes[n++] = (unsigned char)strtoul(two, NULL, 16);
            }
            *regs[i] = at;
            at = poke(pid, at, bytes, n);
        } else {
            *regs[i] = (unsigned long long)strtol(arg, NULL, 0);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: sitecall PID SITE NR...\n");
        return 2;
    }
    pid_t pid = atoi(argv[1]);
    unsigned long site = strtoul(argv[2], NULL, 0);
    if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 || ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0) {
        perror("ptrace attach");
        return 1;
    }
    int st;
    if (waitpid(pid, &st, __WALL) < 0) {
        perror("waitpid");
        return 1;
    }
    struct user_regs_struct saved, r;
    ptrace(PTRACE_GETREGS, pid, 0, &saved);
    for (int i = 3; i < argc; i++) {
        char *end;
        r = saved;
        r.rip = site;
        r.rax = strtoul(argv[i], &end, 0);
        r.orig_rax = -1; /* not inside a syscall: no restart on resume */
        r.rdi = r.rsi = r.rdx = r.r10 = r.r8 = r.r9 = 0;
        unsigned long at = (saved.rsp - 8192) & ~15UL;
        if (*end == ':') {
            r.rdi = (unsigned long)AT_FDCWD;
            r.rsi = at;
            r.rdx = O_RDONLY;
            poke(pid, at, end + 1, strlen(end + 1) + 1);
        } else if (*end == ',') {
            char *spec = strdup(argv[i]);
            set_args(pid, at, spec, &r);
            free(spec);
        }
        ptrace(PTRACE_SETREGS, pid, 0, &r);
        ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        waitpid(pid, &st, __WALL);
        ptrace(PTRACE_GETREGS, pid, 0, &r);
        long ret = (long)r.rax;
        if (ret < 0 && ret > -4096)
            printf("%s %s\n", argv[i], strerror((int)-ret));
        else
            printf("%s ok\n", argv[i]);
    }
    ptrace(PTRACE_SETREGS, pid, 0, &saved);
    ptrace(PTRACE_DETACH, pid, 0, 0);
    return 0;
}
