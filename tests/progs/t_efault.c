/* Bad pointers given to system calls fail with EFAULT and the program goes
 * on, as on Linux (under graphene the libos itself reads and writes app
 * memory for many calls; a fault there must not end the picoprocess). */
#include "testutil.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Unmapped in every process, also under graphene's syscall fast path, whose
 * trampoline is page 0 (there a low pointer such as 16 reads the
 * trampoline: see ARCHITECTURE.md). */
#define BAD ((void *)0x10000)

static void expect_efault(long r, const char *what)
{
    CHECK(r == -1 && errno == EFAULT, "%s: EFAULT", what);
}

int main(void)
{
    expect_efault(syscall(SYS_open, BAD, O_RDONLY), "open of a bad path");
    expect_efault(syscall(SYS_stat, "/", BAD), "stat into a bad buffer");
    expect_efault(syscall(SYS_rt_sigaction, SIGUSR1, BAD, NULL, 8), "rt_sigaction from a bad pointer");
    expect_efault(syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8), "rt_sigprocmask from a bad pointer");
    expect_efault(syscall(SYS_uname, BAD), "uname into a bad buffer");
    expect_efault(syscall(SYS_getcwd, BAD, 4096), "getcwd into a bad buffer");
    expect_efault(syscall(SYS_sigaltstack, BAD, NULL), "sigaltstack from a bad pointer");
    /* The libos's locks are still usable afterwards. */
    struct sigaction sa = { .sa_handler = SIG_IGN };
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction works after the faults");
    char cwd[256];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL, "getcwd works after the faults");
    return tu_done();
}
