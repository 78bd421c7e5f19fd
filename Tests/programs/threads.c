/*
 * threads.c - pthreads: mutex/condvar producer-consumer, join values, TLS,
 * pthread_once, detached threads + semaphores, atomics, mutex types,
 * rwlocks, barriers, thread-directed signals, cancellation, TSD destructors.
 */
#include "testutil.h"

#include <pthread.h>
#include <semaphore.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

static pid_t my_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/* ---------------- producer / consumer ---------------- */

enum { ITEMS = 10000, QCAP = 16, PRODUCERS = 2, CONSUMERS = 2 };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    int buf[QCAP];
    int head, count, produced_done;
    unsigned long long sum;
    int consumed;
} q = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
        { 0 }, 0, 0, 0, 0, 0 };

static void *producer(void *arg)
{
    int id = (int)(intptr_t)arg, v;
    /* producer 0 makes 1,3,5,...; producer 1 makes 2,4,6,... */
    for (v = 1 + id; v <= ITEMS; v += PRODUCERS) {
        pthread_mutex_lock(&q.mu);
        while (q.count == QCAP)
            pthread_cond_wait(&q.not_full, &q.mu);
        q.buf[(q.head + q.count) % QCAP] = v;
        q.count++;
        pthread_cond_signal(&q.not_empty);
        pthread_mutex_unlock(&q.mu);
    }
    pthread_mutex_lock(&q.mu);
    q.produced_done++;
    pthread_cond_broadcast(&q.not_empty);
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static void *consumer(void *arg)
{
    unsigned long long local = 0;
    (void)arg;
    for (;;) {
        int v;
        pthread_mutex_lock(&q.mu);
        while (q.count == 0 && q.produced_done < PRODUCERS)
            pthread_cond_wait(&q.not_empty, &q.mu);
        if (q.count == 0) {
            pthread_mutex_unlock(&q.mu);
            break;
        }
        v = q.buf[q.head];
        q.head = (q.head + 1) % QCAP;
        q.count--;
        q.consumed++;
        pthread_cond_signal(&q.not_full);
        pthread_mutex_unlock(&q.mu);
        local += (unsigned long long)v;
    }
    pthread_mutex_lock(&q.mu);
    q.sum += local;
    pthread_mutex_unlock(&q.mu);
    return NULL;
}

static void test_prodcons(void)
{
    pthread_t t[PRODUCERS + CONSUMERS];
    int i;
    for (i = 0; i < CONSUMERS; i++)
        CHECK(pthread_create(&t[i], NULL, consumer, NULL) == 0, "create consumer");
    for (i = 0; i < PRODUCERS; i++)
        CHECK(pthread_create(&t[CONSUMERS + i], NULL, producer, (void *)(intptr_t)i) == 0,
              "create producer");
    for (i = 0; i < PRODUCERS + CONSUMERS; i++)
        CHECK(pthread_join(t[i], NULL) == 0, "join");
    printf("producer/consumer: %d producers, %d consumers, %d items consumed, sum %llu\n",
           PRODUCERS, CONSUMERS, q.consumed, q.sum);
    CHECK(q.sum == (unsigned long long)ITEMS * (ITEMS + 1) / 2, "wrong sum");
}

/* ---------------- join values, TLS, ids ---------------- */

static __thread int tls_value = 42;
static __thread char tls_name[16];

struct tinfo {
    int idx;
    int saw_initial;
    int tid_differs;
    int pid_same;
    pid_t main_pid;
    pid_t main_tid;
};

static void *tls_thread(void *arg)
{
    struct tinfo *ti = arg;
    int k;
    ti->saw_initial = tls_value == 42 && tls_name[0] == 0;
    tls_value = ti->idx * 100;
    snprintf(tls_name, sizeof tls_name, "thread-%d", ti->idx);
    for (k = 0; k < 1000; k++) {
        tls_value++;
        sched_yield();
        if (k % 100 == 0)
            sched_yield();
    }
    ti->tid_differs = my_gettid() != ti->main_tid;
    ti->pid_same = getpid() == ti->main_pid;
    if (strncmp(tls_name, "thread-", 7) != 0 || tls_name[7] - '0' != ti->idx)
        return (void *)(intptr_t)-1;
    return (void *)(intptr_t)(tls_value + 7);
}

static void test_join_tls(void)
{
    enum { N = 4 };
    pthread_t t[N];
    struct tinfo ti[N];
    int i;

    tls_value = 5;
    for (i = 0; i < N; i++) {
        ti[i].idx = i + 1;
        ti[i].main_pid = getpid();
        ti[i].main_tid = my_gettid();
        CHECK(pthread_create(&t[i], NULL, tls_thread, &ti[i]) == 0, "create tls thread");
    }
    for (i = 0; i < N; i++) {
        void *ret;
        CHECK(pthread_join(t[i], &ret) == 0, "join tls thread");
        printf("thread %d: joined, return value %ld, saw initial TLS value 42: %s, "
               "own tid: %s, same pid: %s\n",
               i + 1, (long)(intptr_t)ret, yesno(ti[i].saw_initial),
               yesno(ti[i].tid_differs), yesno(ti[i].pid_same));
    }
    printf("main thread's TLS value untouched: %s\n", yesno(tls_value == 5));
    printf("main thread tid == pid: %s\n", yesno(my_gettid() == getpid()));
    printf("pthread_equal(self, self): %s\n", yesno(pthread_equal(pthread_self(), pthread_self())));
}

/* ---------------- pthread_once ---------------- */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static pthread_barrier_t once_bar;

static void once_init(void)
{
    once_runs++;
}

static void *once_thread(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&once_bar);
    pthread_once(&once, once_init);
    return NULL;
}

static void test_once(void)
{
    enum { N = 4 };
    pthread_t t[N];
    int i;
    CHECK(pthread_barrier_init(&once_bar, NULL, N) == 0, "barrier init");
    for (i = 0; i < N; i++)
        CHECK(pthread_create(&t[i], NULL, once_thread, NULL) == 0, "create once");
    for (i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    pthread_once(&once, once_init);
    printf("pthread_once from %d threads + main: init ran %d time(s)\n", N, once_runs);
    pthread_barrier_destroy(&once_bar);
}

/* ---------------- detached thread + semaphore ---------------- */

static sem_t det_sem;
static volatile long det_result;

static void *detached_thread(void *arg)
{
    long n = (long)(intptr_t)arg, s = 0, i;
    for (i = 1; i <= n; i++)
        s += i * i;
    det_result = s;
    sem_post(&det_sem);
    return NULL;
}

static void test_detached(void)
{
    pthread_t t;
    pthread_attr_t a;
    int ds = -1, v = -1, r;

    CHECK(sem_init(&det_sem, 0, 0) == 0, "sem_init");
    CHECK(pthread_attr_init(&a) == 0, "attr init");
    CHECK(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED) == 0, "setdetachstate");
    pthread_attr_getdetachstate(&a, &ds);
    CHECK(pthread_create(&t, &a, detached_thread, (void *)(intptr_t)1000) == 0, "create det");
    pthread_attr_destroy(&a);
    while ((r = sem_wait(&det_sem)) != 0 && errno == EINTR)
        ;
    CHECK(r == 0, "sem_wait: %s", errname(errno));
    printf("detached thread (state detached: %s) signalled semaphore, result %ld\n",
           yesno(ds == PTHREAD_CREATE_DETACHED), det_result);
    sem_getvalue(&det_sem, &v);
    printf("semaphore value after wait: %d\n", v);
    CHECK(sem_trywait(&det_sem) == -1 && errno == EAGAIN, "sem_trywait on 0");
    printf("sem_trywait on zero semaphore: EAGAIN\n");
    {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        while ((r = sem_timedwait(&det_sem, &ts)) != 0 && errno == EINTR)
            ;
        printf("sem_timedwait 10ms on zero semaphore: %s\n", r == 0 ? "0" : errname(errno));
    }
    sem_destroy(&det_sem);
}

/* ---------------- atomics ---------------- */

enum { AT_THREADS = 4, AT_ITERS = 100000 };
static int atomic_counter;
static unsigned cas_counter;
static int plain_counter;
static pthread_mutex_t plain_mu = PTHREAD_MUTEX_INITIALIZER;

static void *atomic_thread(void *arg)
{
    int i;
    (void)arg;
    for (i = 0; i < AT_ITERS; i++) {
        unsigned old;
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
        old = __atomic_load_n(&cas_counter, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&cas_counter, &old, old + 3, 1,
                                            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            ;
        if (i % 16 == 0) {
            pthread_mutex_lock(&plain_mu);
            plain_counter++;
            pthread_mutex_unlock(&plain_mu);
        }
    }
    return NULL;
}

static void test_atomics(void)
{
    pthread_t t[AT_THREADS];
    int i, x = 5, old;
    for (i = 0; i < AT_THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, atomic_thread, NULL) == 0, "create atomic");
    for (i = 0; i < AT_THREADS; i++)
        pthread_join(t[i], NULL);
    printf("atomic fetch_add: %d threads x %d = %d\n", AT_THREADS, AT_ITERS, atomic_counter);
    printf("atomic compare_exchange (+3): %u\n", cas_counter);
    printf("mutex-protected counter: %d\n", plain_counter);
    CHECK(atomic_counter == AT_THREADS * AT_ITERS, "atomic counter lost updates");
    old = __atomic_exchange_n(&x, 9, __ATOMIC_SEQ_CST);
    printf("atomic exchange: old %d new %d\n", old, x);
    old = __atomic_fetch_and(&x, 12, __ATOMIC_SEQ_CST);
    printf("atomic fetch_and: old %d new %d\n", old, x);
    old = __atomic_fetch_or(&x, 3, __ATOMIC_SEQ_CST);
    printf("atomic fetch_or: old %d new %d\n", old, x);
    old = __atomic_fetch_sub(&x, 20, __ATOMIC_SEQ_CST);
    printf("atomic fetch_sub: old %d new %d\n", old, x);
}

/* ---------------- mutex types, trylock, rwlock ---------------- */

static pthread_mutex_t shared_mu;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *try_other(void *arg)
{
    int what = (int)(intptr_t)arg;
    switch (what) {
    case 0: return (void *)(intptr_t)pthread_mutex_trylock(&shared_mu);
    case 1: return (void *)(intptr_t)pthread_mutex_unlock(&shared_mu);
    case 2: return (void *)(intptr_t)pthread_rwlock_trywrlock(&rw);
    case 3: {
        int r = pthread_rwlock_tryrdlock(&rw);
        if (r == 0)
            pthread_rwlock_unlock(&rw);
        return (void *)(intptr_t)r;
    }
    }
    return (void *)(intptr_t)-1;
}

static int in_other(int what)
{
    pthread_t t;
    void *r;
    CHECK(pthread_create(&t, NULL, try_other, (void *)(intptr_t)what) == 0, "create other");
    pthread_join(t, &r);
    return (int)(intptr_t)r;
}

static void test_mutex_types(void)
{
    pthread_mutexattr_t ma;
    int i, r;

    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    CHECK(pthread_mutex_init(&shared_mu, &ma) == 0, "init errorcheck");
    CHECK(pthread_mutex_lock(&shared_mu) == 0, "lock");
    r = pthread_mutex_lock(&shared_mu);
    printf("errorcheck mutex relock by owner: %s\n", errname(r));
    printf("errorcheck mutex trylock from other thread: %s\n", errname(in_other(0)));
    printf("errorcheck mutex unlock from non-owner: %s\n", errname(in_other(1)));
    CHECK(pthread_mutex_unlock(&shared_mu) == 0, "unlock");
    r = pthread_mutex_unlock(&shared_mu);
    printf("errorcheck mutex unlock when unlocked: %s\n", errname(r));
    pthread_mutex_destroy(&shared_mu);

    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    CHECK(pthread_mutex_init(&shared_mu, &ma) == 0, "init recursive");
    for (i = 0; i < 3; i++)
        CHECK(pthread_mutex_lock(&shared_mu) == 0, "recursive lock %d", i);
    printf("recursive mutex locked 3 times; trylock from other thread: %s\n",
           errname(in_other(0)));
    for (i = 0; i < 3; i++)
        CHECK(pthread_mutex_unlock(&shared_mu) == 0, "recursive unlock %d", i);
    r = in_other(0);
    printf("after 3 unlocks, trylock from other thread: %s\n", r == 0 ? "0 (acquired)" : errname(r));
    /* the other thread exited holding it; just re-init */
    pthread_mutex_destroy(&shared_mu);
    pthread_mutexattr_destroy(&ma);

    CHECK(pthread_rwlock_rdlock(&rw) == 0, "rdlock");
    CHECK(pthread_rwlock_rdlock(&rw) == 0, "rdlock 2");
    printf("rwlock read-held: other trywrlock %s, other tryrdlock %s\n",
           errname(in_other(2)), in_other(3) == 0 ? "0" : "fail");
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    CHECK(pthread_rwlock_wrlock(&rw) == 0, "wrlock");
    printf("rwlock write-held: other tryrdlock %s, other trywrlock %s\n",
           errname(in_other(3)), errname(in_other(2)));
    pthread_rwlock_unlock(&rw);
}

/* ---------------- condvar timeout, barrier ---------------- */

static pthread_barrier_t bar;
static int serial_count;
static pthread_mutex_t serial_mu = PTHREAD_MUTEX_INITIALIZER;

static void *bar_thread(void *arg)
{
    int r;
    (void)arg;
    r = pthread_barrier_wait(&bar);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD) {
        pthread_mutex_lock(&serial_mu);
        serial_count++;
        pthread_mutex_unlock(&serial_mu);
    } else if (r != 0) {
        return (void *)(intptr_t)1;
    }
    return NULL;
}

static void test_cond_barrier(void)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec ts;
    pthread_t t[4];
    int r, i, bad = 0;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000 * 1000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&m);
    do
        r = pthread_cond_timedwait(&c, &m, &ts);
    while (r == 0);
    pthread_mutex_unlock(&m);
    printf("pthread_cond_timedwait 10ms with no signal: %s\n", errname(r));

    CHECK(pthread_barrier_init(&bar, NULL, 4) == 0, "barrier init");
    for (i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, bar_thread, NULL) == 0, "create bar");
    for (i = 0; i < 4; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        if (rv)
            bad++;
    }
    printf("barrier of 4: exactly one PTHREAD_BARRIER_SERIAL_THREAD: %s, others got 0: %s\n",
           yesno(serial_count == 1), yesno(bad == 0));
    pthread_barrier_destroy(&bar);
}

/* ---------------- signals and threads ---------------- */

static sem_t sig_sem;
static volatile pid_t handler_tid;

static void h_tid(int sig)
{
    (void)sig;
    handler_tid = my_gettid();
    sem_post(&sig_sem);
}

struct sigthr {
    pid_t tid;
    sem_t ready;
};

static void *sig_waiter(void *arg)
{
    struct sigthr *st = arg;
    st->tid = my_gettid();
    sem_post(&st->ready);
    while (sem_wait(&sig_sem) != 0)
        ;
    return NULL;
}

static void test_thread_signals(void)
{
    struct sigaction sa;
    struct sigthr st;
    pthread_t t;
    sigset_t s;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_tid;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    /* pthread_kill targets one specific thread */
    sem_init(&sig_sem, 0, 0);
    sem_init(&st.ready, 0, 0);
    handler_tid = 0;
    CHECK(pthread_create(&t, NULL, sig_waiter, &st) == 0, "create waiter");
    while (sem_wait(&st.ready) != 0)
        ;
    CHECK(pthread_kill(t, SIGUSR1) == 0, "pthread_kill");
    pthread_join(t, NULL);
    printf("pthread_kill: handler ran in the target thread: %s\n",
           yesno(handler_tid == st.tid && st.tid != my_gettid()));

    /* process-directed signal goes to the only thread not blocking it */
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    handler_tid = 0;
    CHECK(pthread_create(&t, NULL, sig_waiter, &st) == 0, "create waiter 2");
    while (sem_wait(&st.ready) != 0)
        ;
    pthread_sigmask(SIG_BLOCK, &s, NULL);     /* main blocks; the thread does not */
    CHECK_SYS(kill(getpid(), SIGUSR2));
    pthread_join(t, NULL);
    printf("kill(getpid()) with main blocking SIGUSR2: handled by the other thread: %s\n",
           yesno(handler_tid == st.tid && st.tid != my_gettid()));
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    sem_destroy(&st.ready);
    sem_destroy(&sig_sem);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ---------------- cancellation, TSD destructors ---------------- */

static int cleanup_ran;
static int cancel_pipe[2];

static void cleanup_fn(void *arg)
{
    (void)arg;
    cleanup_ran++;
}

static void *cancel_thread(void *arg)
{
    char c;
    sem_t *ready = arg;
    pthread_cleanup_push(cleanup_fn, NULL);
    sem_post(ready);
    for (;;)
        (void)!read(cancel_pipe[0], &c, 1);   /* cancellation point */
    pthread_cleanup_pop(0);
    return NULL;
}

static pthread_key_t key;
static int dtor_calls;
static pthread_mutex_t dtor_mu = PTHREAD_MUTEX_INITIALIZER;

static void dtor(void *p)
{
    pthread_mutex_lock(&dtor_mu);
    dtor_calls += (int)(intptr_t)p;
    pthread_mutex_unlock(&dtor_mu);
}

static void *tsd_thread(void *arg)
{
    pthread_setspecific(key, arg);
    if (pthread_getspecific(key) != arg)
        return (void *)(intptr_t)1;
    return NULL;
}

static void test_tsd(void)
{
    pthread_t t[4];
    void *rv;
    int i;

    CHECK(pthread_key_create(&key, dtor) == 0, "key create");
    for (i = 0; i < 4; i++)
        CHECK(pthread_create(&t[i], NULL, tsd_thread, (void *)(intptr_t)(i + 1)) == 0,
              "create tsd");
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], &rv);
        CHECK(rv == NULL, "tsd getspecific mismatch");
    }
    printf("thread-specific data destructors: sum of values destroyed %d (expect 10)\n",
           dtor_calls);
    printf("main thread's key value is NULL: %s\n", yesno(pthread_getspecific(key) == NULL));
    pthread_key_delete(key);
}

/* Kept last: cancelling a thread blocked in a syscall unwinds through the
 * SIGCANCEL signal frame, which is the most fragile thing in this file. */
static void test_cancel(void)
{
    pthread_t t;
    sem_t ready;
    void *rv;

    CHECK_SYS(pipe(cancel_pipe));
    sem_init(&ready, 0, 0);
    CHECK(pthread_create(&t, NULL, cancel_thread, &ready) == 0, "create cancel");
    while (sem_wait(&ready) != 0)
        ;
    CHECK(pthread_cancel(t) == 0, "pthread_cancel");
    pthread_join(t, &rv);
    printf("thread blocked in read() cancelled: PTHREAD_CANCELED: %s, cleanup handler ran: %s\n",
           yesno(rv == PTHREAD_CANCELED), yesno(cleanup_ran == 1));
    sem_destroy(&ready);
    close(cancel_pipe[0]);
    close(cancel_pipe[1]);
}

/* ---------------- stack size attribute, many threads ---------------- */

static void *stack_thread(void *arg)
{
    volatile char big[128 * 1024];
    size_t i;
    unsigned sum = 0;
    (void)arg;
    for (i = 0; i < sizeof big; i += 512)
        big[i] = (char)(i >> 9);
    for (i = 0; i < sizeof big; i += 512)
        sum += (unsigned char)big[i];
    return (void *)(uintptr_t)sum;
}

static void *tiny_thread(void *arg)
{
    return (void *)((intptr_t)arg * 2);
}

static void test_stack_many(void)
{
    pthread_attr_t a;
    pthread_t t[16];
    size_t sz = 0;
    void *rv;
    long total = 0;
    int i;

    pthread_attr_init(&a);
    CHECK(pthread_attr_setstacksize(&a, 512 * 1024) == 0, "setstacksize");
    pthread_attr_getstacksize(&a, &sz);
    CHECK(pthread_create(&t[0], &a, stack_thread, NULL) == 0, "create stack thread");
    pthread_join(t[0], &rv);
    pthread_attr_destroy(&a);
    printf("thread with 512 KiB stack used 128 KiB of locals: checksum %lu, attr size ok: %s\n",
           (unsigned long)(uintptr_t)rv, yesno(sz == 512 * 1024));

    for (i = 0; i < 16; i++)
        CHECK(pthread_create(&t[i], NULL, tiny_thread, (void *)(intptr_t)i) == 0, "create tiny");
    for (i = 0; i < 16; i++) {
        pthread_join(t[i], &rv);
        total += (long)(intptr_t)rv;
    }
    printf("16 concurrent threads joined, sum of returns %ld\n", total);
}

int main(void)
{
    t_init("threads");
    test_prodcons();
    test_join_tls();
    test_once();
    test_detached();
    test_atomics();
    test_mutex_types();
    test_cond_barrier();
    test_thread_signals();
    test_tsd();
    test_stack_many();
    test_cancel();
    t_done();
    return 0;
}
