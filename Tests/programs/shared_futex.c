/*
 * shared_futex.c - futexes on memory shared between processes, as Python's
 * multiprocessing (sem_open, pthread process-shared objects) uses them.
 *
 *  1. MAP_SHARED|MAP_ANONYMOUS: four children FUTEX_WAIT on one word; the parent
 *     sets it and FUTEX_WAKEs them all (non-private futex).
 *  2. A /dev/shm file mapped at two different addresses in two processes: the
 *     child waits through one mapping, the parent wakes through the other (the
 *     key is the file and offset, not the address).
 *  3. A process-shared pthread mutex + condition variable between processes.
 *
 * Every wait has a timeout: a lost wake shows as "timed out", not a hang.
 */
#include "testutil.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, 0);
}

/* Waits until *word != 0 (5 s at most); returns 0, or 1 on a timeout. */
static int wait_nonzero(uint32_t *word)
{
    struct timespec ts = {5, 0};
    while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == 0) {
        long r = futex(word, FUTEX_WAIT, 0, &ts);
        if (r < 0 && errno == ETIMEDOUT) return 1;
    }
    return 0;
}

/* Wakes waiters until `n` have been woken or 5 s pass. */
static int wake_all(uint32_t *word, uint32_t *ready, int n)
{
    while (__atomic_load_n(ready, __ATOMIC_SEQ_CST) < (uint32_t)n) usleep(1000);
    __atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
    int woken = 0;
    for (int i = 0; i < 5000 && woken < n; i++) {
        long r = futex(word, FUTEX_WAKE, INT32_MAX, NULL);
        if (r > 0) woken += (int)r;
        if (woken < n) usleep(1000);
    }
    return woken;
}

int main(void)
{
    t_name = "shared_futex";
    setvbuf(stdout, NULL, _IONBF, 0);

    /* 1. anonymous shared memory */
    uint32_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shm != MAP_FAILED, "mmap shared anonymous");
    shm[0] = 0; shm[1] = 0;
    for (int i = 0; i < 4; i++) {
        pid_t p = fork();
        CHECK(p >= 0, "fork");
        if (p == 0) {
            __atomic_add_fetch(&shm[1], 1, __ATOMIC_SEQ_CST);
            _exit(wait_nonzero(&shm[0]));
        }
    }
    wake_all(&shm[0], &shm[1], 4);
    int timeouts = 0;
    for (int i = 0; i < 4; i++) {
        int st;
        CHECK(wait(&st) > 0, "wait");
        timeouts += WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    }
    printf("anonymous shared: 4 waiters, %d timed out\n", timeouts);

    /* 2. a /dev/shm file at two addresses */
    int fd = open("/dev/shm/umlab-futex-test", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0, "open /dev/shm file");
    CHECK(ftruncate(fd, 8192) == 0, "ftruncate");
    unlink("/dev/shm/umlab-futex-test");
    pid_t p = fork();
    CHECK(p >= 0, "fork");
    if (p == 0) {
        /* Map it twice: the second mapping's address differs from the parent's. */
        void *pad = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        (void)pad;
        uint32_t *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (w == MAP_FAILED) _exit(2);
        __atomic_add_fetch(&w[1025], 1, __ATOMIC_SEQ_CST);
        _exit(wait_nonzero(&w[1024]));
    }
    uint32_t *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(w != MAP_FAILED, "mmap file");
    wake_all(&w[1024], &w[1025], 1);
    int st;
    CHECK(waitpid(p, &st, 0) == p, "waitpid");
    printf("shm file at two addresses: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "woken" : "timed out");

    /* 3. process-shared mutex and condition variable */
    struct shared { pthread_mutex_t m; pthread_cond_t c; int turn; int done; } *s;
    s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(s != MAP_FAILED, "mmap");
    pthread_mutexattr_t ma; pthread_condattr_t ca;
    pthread_mutexattr_init(&ma); pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_condattr_init(&ca); pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->m, &ma); pthread_cond_init(&s->c, &ca);
    s->turn = 0; s->done = 0;
    p = fork();
    CHECK(p >= 0, "fork");
    if (p == 0) {
        for (int i = 0; i < 50; i++) {
            pthread_mutex_lock(&s->m);
            while (s->turn != 1) pthread_cond_wait(&s->c, &s->m);
            s->turn = 0; s->done++;
            pthread_cond_broadcast(&s->c);
            pthread_mutex_unlock(&s->m);
        }
        _exit(0);
    }
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&s->m);
        while (s->turn != 0) pthread_cond_wait(&s->c, &s->m);
        s->turn = 1;
        pthread_cond_broadcast(&s->c);
        pthread_mutex_unlock(&s->m);
    }
    pthread_mutex_lock(&s->m);
    while (s->turn != 0) pthread_cond_wait(&s->c, &s->m);
    pthread_mutex_unlock(&s->m);
    CHECK(waitpid(p, &st, 0) == p, "waitpid");
    printf("process-shared condvar ping-pong: %d rounds\n", s->done);
    printf("shared_futex: done\n");
    return 0;
}
