/*
 * getppid: cost of one trivial syscall round trip.
 *   getppid [iters]   (default 100000)
 *   getppid check     print the results of two getppid calls (used to verify
 *                     that a tracer really emulates the call)
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_common.h"

#define WARMUP 100

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "check") == 0) {
        long first = syscall(SYS_getppid);
        long second = syscall(SYS_getppid);
        printf("CHECK name=getppid first=%ld second=%ld\n", first, second);
        return 0;
    }

    long iters = parse_count(argc, argv, 1, 100000);
    volatile long sink = 0;

    /* Warm-up (also lets a tracer switch into its steady-state mode). */
    for (int i = 0; i < WARMUP; i++)
        sink += syscall(SYS_getppid);

    long long t0 = now_ns();
    for (long i = 0; i < iters; i++)
        sink += syscall(SYS_getppid);
    long long t1 = now_ns();

    (void)sink;
    print_result("getppid", iters, t1 - t0);
    return 0;
}
