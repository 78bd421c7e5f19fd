/* forkmem.c: fork + _exit + waitpid, N times, from a process with 16 MiB of written heap:
 * the cost of an address-space copy (SoftMMU: copy-on-write since issue #14). Prints the
 * per-iteration wall time in microseconds on stderr and a check line on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 200;
    size_t size = 16u << 20;
    char *heap = malloc(size);
    memset(heap, 1, size);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long sum = 0;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(heap[i * 4096 % size] + (i & 1));
        int status;
        waitpid(pid, &status, 0);
        sum += WEXITSTATUS(status);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
    fprintf(stderr, "%.1f\n", us);
    printf("forkmem: %d forks, sum %ld\n", n, sum);
    return 0;
}
