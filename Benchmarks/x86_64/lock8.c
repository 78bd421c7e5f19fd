/*
 * lock8: 8 threads contending one lock.
 *   lock8 [iters]   (default 20000 per thread)
 * Each of 8 threads takes and releases one pthread mutex iters times, with a little work
 * inside (a shared counter) and outside; contention makes the mutex sleep and wake through
 * futex(2). One iteration is one lock/unlock by one thread (8 x iters in all). The Python
 * twin of this (threading.Lock, where the GIL adds timed waits that read the clock) is what
 * issue #14 measured at 21x native.
 */
#include <pthread.h>

#include "bench_common.h"

#define THREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long iters;

static void *worker(void *arg)
{
    volatile long local = 0;
    (void)arg;
    for (long i = 0; i < iters; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        for (int k = 0; k < 20; k++)
            local += k;
        pthread_mutex_unlock(&lock);
        for (int k = 0; k < 50; k++)
            local += k;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    iters = parse_count(argc, argv, 1, 20000);
    pthread_t t[THREADS];

    long long t0 = now_ns();
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, worker, NULL) != 0)
            die("pthread_create");
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    long long t1 = now_ns();

    if (counter != THREADS * iters) {
        fprintf(stderr, "lock8: counter %ld, expected %ld\n", counter, THREADS * iters);
        return 1;
    }
    print_result("lock8", THREADS * iters, t1 - t0);
    return 0;
}
