/* Dies in the way named by argv[1], so the harness can check that graphene
 * reports death-by-signal as 128+N exactly like a shell does natively:
 *   abort -> SIGABRT (134), segv -> unhandled SIGSEGV (139),
 *   kill -> SIGKILL sent to itself (137), exit42 -> plain exit(42),
 *   thread-exit -> exit_group(3) from a non-main thread while main blocks. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *exiter(void *arg)
{
    (void)arg;
    exit(3);
}

/* volatile: the compiler must not see (and warn about) the bad address. */
static volatile int *volatile bad_ptr = (volatile int *)8;

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "abort";
    printf("dying by %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "segv"))
        *bad_ptr = 1;
    if (!strcmp(how, "kill"))
        kill(getpid(), SIGKILL);
    if (!strcmp(how, "exit42"))
        exit(42);
    if (!strcmp(how, "thread-exit")) {
        pthread_t t;
        pthread_create(&t, NULL, exiter, NULL);
        for (;;)
            pause();
    }
    printf("unknown mode or survived\n");
    return 1;
}
