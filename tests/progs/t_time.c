/* Clocks and sleeping: monotonic never goes backwards, sleeps last at least
 * as long as asked, realtime agrees with time() and gettimeofday(), the CPU
 * clock advances with work, timerfd expires.  Only pass/fail is printed;
 * durations themselves are not deterministic. */
#include "testutil.h"
#include <stdint.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(void)
{
    int mono_ok = 1;
    int64_t prev = ns(CLOCK_MONOTONIC);
    for (int i = 0; i < 100000; i++) {
        int64_t now = ns(CLOCK_MONOTONIC);
        mono_ok &= now >= prev;
        prev = now;
    }
    CHECK(mono_ok, "CLOCK_MONOTONIC non-decreasing over 100000 reads");

    int64_t t0 = ns(CLOCK_MONOTONIC);
    struct timespec req = { 0, 20 * 1000 * 1000 }, rem;
    CHECK(nanosleep(&req, &rem) == 0, "nanosleep 20 ms");
    int64_t slept = ns(CLOCK_MONOTONIC) - t0;
    CHECK(slept >= 20 * 1000 * 1000, "slept at least 20 ms");
    /* Generous upper bound: a loaded machine may be slow, never 10 s slow. */
    CHECK(slept < 10LL * 1000 * 1000 * 1000, "slept less than 10 s");

    t0 = ns(CLOCK_MONOTONIC);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 15 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0 &&
          ns(CLOCK_MONOTONIC) - t0 >= 15 * 1000 * 1000, "clock_nanosleep TIMER_ABSTIME");

    struct timespec rt;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &rt);
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    CHECK(rt.tv_sec > 1600000000 && llabs((long long)t - rt.tv_sec) <= 2 && llabs((long long)tv.tv_sec - rt.tv_sec) <= 2,
          "realtime, gettimeofday and time() agree and are after 2020");

    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000,
          "clock_getres MONOTONIC <= 1 ms");

    int64_t c0 = ns(CLOCK_PROCESS_CPUTIME_ID), th0 = ns(CLOCK_THREAD_CPUTIME_ID);
    volatile uint64_t x = 0; /* volatile: the loop must really burn CPU */
    for (uint64_t i = 0; i < 50000000; i++)
        x += i;
    CHECK(x == 50000000ULL * 49999999 / 2, "busy loop computed its sum");
    CHECK(ns(CLOCK_PROCESS_CPUTIME_ID) > c0 && ns(CLOCK_THREAD_CPUTIME_ID) > th0, "CPU-time clocks advance with work");
    int64_t b0 = ns(CLOCK_BOOTTIME), m1 = ns(CLOCK_MONOTONIC);
    CHECK(b0 >= m1 - 1000000000LL, "CLOCK_BOOTTIME >= CLOCK_MONOTONIC (roughly)");

    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = { .it_value = { 0, 10 * 1000 * 1000 } };
    uint64_t exp = 0;
    t0 = ns(CLOCK_MONOTONIC);
    CHECK(tfd >= 0 && timerfd_settime(tfd, 0, &its, NULL) == 0, "timerfd armed for 10 ms");
    CHECK(read(tfd, &exp, 8) == 8 && exp == 1 && ns(CLOCK_MONOTONIC) - t0 >= 10 * 1000 * 1000, "timerfd expired once");
    close(tfd);
    return tu_done();
}
