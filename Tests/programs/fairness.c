/*
 * fairness.c - a thread that makes system calls in a loop must not starve its
 * sibling: the sibling's 1 ms sleep ends within 50 ms (natively it takes about
 * 1 ms). Also a pure CPU loop beside a sleeper, and sched_yield ping-pong.
 */
#include "testutil.h"
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>

static volatile int stop;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *spin_syscalls(void *arg)
{
    (void)arg;
    uint64_t end = now_ns() + 10000000000ull;
    while (!stop && now_ns() < end) syscall(SYS_getppid);
    return NULL;
}

static void *spin_cpu(void *arg)
{
    (void)arg;
    volatile uint64_t x = 0;
    uint64_t end = now_ns() + 10000000000ull;
    while (!stop) { x++; if ((x & 0xfffff) == 0 && now_ns() > end) break; }
    return NULL;
}

/* The worst of five 1 ms sleeps, in ms, while `spinner` runs beside. */
static uint64_t worst_sleep(void *(*spinner)(void *))
{
    pthread_t t;
    stop = 0;
    CHECK(pthread_create(&t, NULL, spinner, NULL) == 0, "pthread_create");
    usleep(20000);  /* let the spinner get going */
    uint64_t worst = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t t0 = now_ns();
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        uint64_t d = now_ns() - t0;
        if (d > worst) worst = d;
    }
    stop = 1;
    pthread_join(t, NULL);
    return worst / 1000000;
}

static volatile int turn;
static void *yielder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        while (turn != 1) sched_yield();
        turn = 0;
    }
    return NULL;
}

int main(void)
{
    t_name = "fairness";
    setvbuf(stdout, NULL, _IONBF, 0);
    uint64_t a = worst_sleep(spin_syscalls);
    printf("sleeper beside a syscall loop: %s\n", a < 50 ? "woke within 50 ms" : "late");
    if (a >= 50) fprintf(stderr, "worst sleep %llu ms\n", (unsigned long long)a);
    uint64_t b = worst_sleep(spin_cpu);
    printf("sleeper beside a CPU loop: %s\n", b < 50 ? "woke within 50 ms" : "late");
    if (b >= 50) fprintf(stderr, "worst sleep %llu ms\n", (unsigned long long)b);
    pthread_t t;
    turn = 0;
    CHECK(pthread_create(&t, NULL, yielder, NULL) == 0, "pthread_create");
    for (int i = 0; i < 100; i++) {
        while (turn != 0) sched_yield();
        turn = 1;
    }
    pthread_join(t, NULL);
    printf("sched_yield ping-pong: 100 rounds\n");
    printf("fairness: done\n");
    return 0;
}
