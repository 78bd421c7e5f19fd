/* rotate.c -- native twin of rotate.s (software-pipelined loops in IA-64 assembly). */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define N 1000
#define NW 500
typedef unsigned long long u64;

static uint64_t src[N + 8], dst[N + 8], src2[N + 8], wlist[NW + 8];

static void pipe_gr(const uint64_t *s, uint64_t *d, int n) { for (int i = 0; i < n; i++) d[i] = 3 * s[i] + 1; }
static uint64_t sum64(const uint64_t *p, int n) { uint64_t s = 0; while (n--) s += *p++; return s; }

int main(void) {
    for (int i = 0; i < N + 8; i++) {
        src[i] = 7 * (uint64_t)i + 3;
        dst[i] = 0x5a5a5a5a5a5a5a5aull;
        src2[i] = (uint64_t)i * 0x9E3779B97F4A7C15ull;
    }
    for (int n = 1; n <= 3; n++) {
        pipe_gr(src, dst, n);
        printf("gr n=%d: %llu\n", n, (u64)(sum64(dst, n + 1) - 0x5a5a5a5a5a5a5a5aull));
    }
    pipe_gr(src, dst, N);
    printf("gr n=1000: %llu\n", (u64)sum64(dst, N));
    printf("sentinel: %d\n", dst[N] == 0x5a5a5a5a5a5a5a5aull);
    uint64_t dot = 0;
    for (int i = 0; i < N; i++) dot += src[i] * src2[i];
    printf("dot: %llu\n", (u64)dot);
    for (int i = 0; i < N; i++) {
        double y = (double)i * 1.5 + 0.25;
        memcpy(&dst[i], &y, 8);
    }
    printf("dbl bits: %llu\n", (u64)sum64(dst, N));
    uint64_t m = 0;
    for (int i = 0; i < NW; i++) { wlist[i] = m + 1; m = (m + 13) % 97; }
    wlist[NW] = wlist[NW + 1] = 0;
    int cnt = 0;
    for (int i = 0; wlist[i]; i++) { dst[i] = 5 * wlist[i]; cnt++; }
    printf("wtop count: %d\n", cnt);
    printf("wtop sum: %llu\n", (u64)sum64(dst, cnt));
    uint64_t s = 0;
    for (int i = 1; i <= 1000; i++) s += i;
    printf("cloop: %llu\n", (u64)s);
    printf("preds kept: 1\n");
    return 0;
}
