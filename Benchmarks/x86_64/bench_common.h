/* Shared helpers for the x86-64 guest workloads (header-only, static). */
#ifndef UMLAB_BENCH_COMMON_H
#define UMLAB_BENCH_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline long long now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Parse a positive count from argv[idx], or return dflt if absent. */
static inline long parse_count(int argc, char **argv, int idx, long dflt)
{
    if (argc <= idx)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(argv[idx], &end, 10);
    if (errno != 0 || *end != '\0' || v <= 0) {
        fprintf(stderr, "%s: invalid count '%s'\n", argv[0], argv[idx]);
        exit(2);
    }
    return v;
}

static inline void die(const char *what)
{
    perror(what);
    exit(1);
}

/* The one line the runner parses. */
static inline void print_result(const char *name, long iters, long long elapsed_ns)
{
    printf("RESULT name=%s iters=%ld ns_per_iter=%.2f\n",
           name, iters, (double)elapsed_ns / (double)iters);
}

#endif
