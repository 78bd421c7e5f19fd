/*
 * clockgettime: the cost of reading the clock.
 *   clockgettime [iters]   (default 1000000)
 * iters x clock_gettime(CLOCK_MONOTONIC) through the C library, which uses the vDSO: natively
 * the host's, under umlab umlab's guest vDSO (arch/x86_64/vdso), which must answer without a
 * trap. The loop is timed with the same clock (so also through the vDSO), as every workload
 * here is: the timing stays honest because the guest's vDSO reads the host's clock.
 */
#include "bench_common.h"

int main(int argc, char **argv)
{
    long iters = parse_count(argc, argv, 1, 1000000);
    struct timespec ts;
    long long sum = 0;

    long long t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
            die("clock_gettime");
        sum += ts.tv_nsec;
    }
    long long t1 = now_ns();

    if (sum == 0)
        fprintf(stderr, "clockgettime: the clock did not move\n");
    print_result("clockgettime", iters, t1 - t0);
    return 0;
}
