/* compute.c: the compute workload of the interpreter benchmarks: crc32 over a buffer and a
 * sieve of Eratosthenes, repeated. Prints a checksum so every backend's run can be checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

static int sieve(uint8_t *composite, int n) {
    memset(composite, 0, (size_t)n + 1);
    int count = 0;
    for (int i = 2; i <= n; i++) {
        if (composite[i]) continue;
        count++;
        if (i > n / i) continue;
        for (int j = i * i; j <= n; j += i) composite[j] = 1;
    }
    return count;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 20;
    size_t size = 1 << 16;
    uint8_t *buf = malloc(size), *marks = malloc((1 << 20) + 1);
    for (size_t i = 0; i < size; i++) buf[i] = (uint8_t)(i * 2654435761u >> 24);
    uint32_t sum = 0;
    for (int r = 0; r < rounds; r++) {
        buf[r % size] ^= (uint8_t)r;
        sum = sum * 31 + crc32(buf, size);
        sum = sum * 31 + (uint32_t)sieve(marks, 1 << 20);
    }
    printf("compute: rounds=%d checksum=%08x\n", rounds, sum);
    return 0;
}
