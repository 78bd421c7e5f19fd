/*
 * idle_waiters: a getppid loop beside N processes blocked reading pipes.
 *   idle_waiters N [iters]   (default iters 100000)
 * The children block in read(2) on one pipe each for the whole measurement (the loop starts
 * once all of them have said they are about to block); then the write ends close and they exit. A kernel that polls its blocked tasks pays for them on every call
 * of the loop; one with wait queues pays nothing.
 */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

int main(int argc, char **argv)
{
    long waiters = argc > 1 ? atol(argv[1]) : 1000;  /* 0 is allowed: the loop alone */
    if (waiters < 0 || waiters > 100000) { fprintf(stderr, "idle_waiters: bad waiter count\n"); return 2; }
    long iters = parse_count(argc, argv, 2, 100000);
    int *ends = calloc((size_t)waiters + 1, sizeof *ends);
    int ready[2];
    if (pipe(ready) < 0) { perror("pipe"); return 1; }
    for (long i = 0; i < waiters; i++) {
        int p[2];
        if (pipe(p) < 0) { perror("pipe"); return 1; }
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            char c;
            close(p[1]);
            close(ready[0]);
            for (long j = 0; j < i; j++) close(ends[j]);
            if (write(ready[1], "r", 1) != 1) _exit(2);
            close(ready[1]);
            _exit(read(p[0], &c, 1) == 0 ? 0 : 1);
        }
        close(p[0]);
        ends[i] = p[1];
    }
    /* Measure only once every child is blocked in its read. */
    close(ready[1]);
    for (long got = 0; got < waiters;) {
        char buf[256];
        ssize_t n = read(ready[0], buf, sizeof buf);
        if (n <= 0) { fprintf(stderr, "idle_waiters: a child did not get ready\n"); return 1; }
        got += n;
    }
    volatile long sink = 0;
    for (int i = 0; i < 100; i++) sink += syscall(SYS_getppid);
    long long t0 = now_ns();
    for (long i = 0; i < iters; i++) sink += syscall(SYS_getppid);
    long long t1 = now_ns();
    for (long i = 0; i < waiters; i++) close(ends[i]);
    int failed = 0, st;
    while (wait(&st) > 0) failed += !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (failed) { fprintf(stderr, "%d children failed\n", failed); return 1; }
    (void)sink;
    print_result("idle_waiters", iters, t1 - t0);
    return 0;
}
