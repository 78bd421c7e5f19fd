/* robust.c: a thread dies holding a robust mutex; the next locker gets EOWNERDEAD. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t m;

static void *holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    syscall(SYS_exit, 0); /* the thread ends without unlocking */
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t a;
    pthread_t t;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&m, &a);
    pthread_create(&t, NULL, holder, NULL);
    usleep(50000);
    int r = pthread_mutex_lock(&m);
    printf("lock after owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
    if (r == EOWNERDEAD) {
        pthread_mutex_consistent(&m);
        printf("made consistent, unlock: %d\n", pthread_mutex_unlock(&m));
        printf("relock: %d\n", pthread_mutex_lock(&m));
    }
    printf("robust: done\n");
    return r == EOWNERDEAD ? 0 : 1;
}
