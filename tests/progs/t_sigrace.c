/* Signals landing at every point around a blocking call: a thread sends
 * SIGUSR1 to the main thread each time the previous one was handled, after
 * a varying delay, while the main thread loops on read() from an empty pipe.
 * A signal recorded just before the read starts must still interrupt it;
 * one that is lost leaves both threads waiting (the run then times out). */
#include "testutil.h"
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#define ROUNDS 3000

static volatile int hits;
static pthread_t main_thread;

static void on_usr1(int sig)
{
    (void)sig;
    hits++;
}

static void *sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (hits < i)
            ;
        for (volatile int k = 0; k < (i * 7919) % 3000; k++)
            ;
        pthread_kill(main_thread, SIGUSR1);
    }
    return NULL;
}

int main(void)
{
    int p[2];
    struct sigaction sa = { .sa_handler = on_usr1 };
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "handler without SA_RESTART");
    CHECK(pipe(p) == 0, "pipe");
    main_thread = pthread_self();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, sender, NULL) == 0, "sender thread");
    int interrupted = 0, other = 0;
    char c;
    while (hits < ROUNDS) {
        if (read(p[0], &c, 1) < 0 && errno == EINTR)
            interrupted++;
        else
            other++;
    }
    pthread_join(t, NULL);
    CHECK(other == 0, "every read ended by a signal (EINTR)");
    CHECK(interrupted > 0 && hits == ROUNDS, "%d signals handled", ROUNDS);
    return tu_done();
}
