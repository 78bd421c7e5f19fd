// Three threads for the gdb-multiarch `info threads` test (Tests/UmlabTests/X86GDBSessions.swift):
// main stops in all_started() while both workers wait on a barrier, alive.
#include <pthread.h>
#include <stdio.h>

static pthread_barrier_t started, release;

void all_started(void) {
}

static void *worker(void *arg) {
    pthread_barrier_wait(&started);
    pthread_barrier_wait(&release);
    return arg;
}

int main(void) {
    pthread_t t[2];
    pthread_barrier_init(&started, NULL, 3);
    pthread_barrier_init(&release, NULL, 3);
    for (int i = 0; i < 2; i++) pthread_create(&t[i], NULL, worker, NULL);
    pthread_barrier_wait(&started);
    all_started();
    pthread_barrier_wait(&release);
    for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
    printf("threads done\n");
    return 0;
}
