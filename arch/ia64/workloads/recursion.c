/* recursion.c -- native twin of recursion.s. */
#include <stdio.h>
#include <stdint.h>

static uint64_t fib(uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static uint64_t sum(uint64_t n) { return n == 0 ? 0 : n + sum(n - 1); }
static uint64_t ack(uint64_t m, uint64_t n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}
/* The locals deep(n) keeps in its register-stack frame, summed. */
static uint64_t frame_sum(uint64_t n) {
    uint64_t l[26];
    l[2] = n; l[3] = 3 * n; l[4] = n + 7; l[5] = ~n; l[6] = n << 5; l[7] = n >> 1;
    l[8] = l[2] + l[3]; l[9] = l[4] - l[5]; l[10] = l[6] + l[7];
    l[11] = 11 + l[2]; l[12] = 12 + l[3]; l[13] = 13 + l[4];
    l[14] = 14 + l[8]; l[15] = 15 + l[9]; l[16] = 16 + l[10];
    l[17] = 17 + l[11]; l[18] = 18 + l[12]; l[19] = 19 + l[13];
    l[20] = l[14] ^ l[15]; l[21] = l[16] ^ l[17]; l[22] = l[18] ^ l[19];
    l[23] = l[2] + l[14]; l[24] = l[3] + l[15]; l[25] = l[4] + l[16];
    uint64_t s = 0;
    for (int i = 2; i <= 25; i++) s += l[i];
    return s;
}

int main(void) {
    printf("fib: %llu\n", (unsigned long long)fib(25));
    printf("sum: %llu\n", (unsigned long long)sum(100000));
    printf("rse regs: %d\n", 4 + 3 * 100000);
    uint64_t d = 0;
    for (uint64_t n = 0; n <= 10000; n++) d += frame_sum(n);
    printf("deep: %llu\n", (unsigned long long)d);
    printf("deep-corrupt: 0\n");
    printf("ack: %llu\n", (unsigned long long)ack(3, 6));
    return 0;
}
