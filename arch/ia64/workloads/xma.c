/* xma.c -- native twin of xma.s: 64x64 -> 128-bit products (low, signed high, unsigned high,
 * with and without a zero-extended addend) and 64-bit division with remainder.
 * Portable C (no __int128) so that it also builds for 32-bit PowerPC. */
#include <stdio.h>
#include <stdint.h>

typedef unsigned long long u64;
typedef long long s64;

/* (hi, lo) = a * b + c, unsigned 128-bit */
static void mul128(uint64_t a, uint64_t b, uint64_t c, uint64_t *hi, uint64_t *lo) {
    uint64_t al = a & 0xffffffffu, ah = a >> 32, bl = b & 0xffffffffu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);
    uint64_t l = (ll & 0xffffffffu) | (mid << 32);
    uint64_t h = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    uint64_t l2 = l + c;
    if (l2 < l) h++;
    *hi = h; *lo = l2;
}

/* signed a * b + c (c zero-extended): high 64 bits */
static uint64_t mulh_signed(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t hi, lo;
    mul128(a, b, c, &hi, &lo);
    if ((int64_t)a < 0) hi -= b;
    if ((int64_t)b < 0) hi -= a;
    return hi;
}

static const uint64_t multab[][3] = {
    {0, 0, 0},
    {3, 5, 7},
    {0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull},
    {0xFFFFFFFFFFFFFFFFull, 2, 1},
    {0x8000000000000000ull, 0x8000000000000000ull, 0},
    {0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull},
    {0x7FFFFFFFFFFFFFFFull, 0x7FFFFFFFFFFFFFFFull, 1},
    {0x9E3779B97F4A7C15ull, 0xBF58476D1CE4E5B9ull, 0x94D049BB133111EBull},
    {0x123456789ABCDEF0ull, 0x0FEDCBA987654321ull, 0xFFFFFFFFFFFFFFFFull},
    {0xFFFFFFFFull, 0xFFFFFFFFull, 0xFFFFFFFFull},
    {0xFFFFFFFFFFFFFFFEull, 0x100000001ull, 0x5555555555555555ull},
    {1, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull},
};

static const uint64_t udivtab[][2] = {
    {0, 1}, {1, 1}, {7, 3}, {5, 7}, {100, 10}, {1000000007, 13}, {123456789012345ull, 1000},
    {0xFFFFFFFFull, 0x10000}, {0xFFFFFFFFull, 0xFFFFFFFFull},
    {9007199254740992ull, 3}, {9007199254740993ull, 3},
    {0xFFFFFFFFFFFFFFFFull, 1}, {0xFFFFFFFFFFFFFFFFull, 3}, {0xFFFFFFFFFFFFFFFFull, 10},
    {0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFFFFFFFFFull}, {0xFFFFFFFFFFFFFFFEull, 0xFFFFFFFFFFFFFFFFull},
    {0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull}, {0x8000000000000000ull, 2},
    {0x8000000000000001ull, 0x100000000ull}, {12345678901234567890ull, 987654321},
    {18446744073709551557ull, 4294967291ull},
};

static const int64_t sdivtab[][2] = {
    {0, -5}, {-7, 2}, {7, -2}, {-7, -2}, {-1, 2}, {100, 7}, {-1000000000000ll, 7},
    {INT64_MIN, 1}, {INT64_MIN, 2}, {INT64_MIN, INT64_MAX}, {INT64_MAX, -1}, {INT64_MAX, 10},
    {-9007199254740993ll, 3}, {4611686018427387904ll, -3},
};

int main(void) {
    for (unsigned i = 0; i < sizeof multab / sizeof multab[0]; i++) {
        uint64_t a = multab[i][0], b = multab[i][1], c = multab[i][2], hu, lo, hu_c, lo_c;
        mul128(a, b, 0, &hu, &lo);
        mul128(a, b, c, &hu_c, &lo_c);
        printf("mul %llu %llu: %llu %llu %llu %llu %llu %llu\n", (u64)a, (u64)b,
               (u64)lo, (u64)mulh_signed(a, b, 0), (u64)hu,
               (u64)lo_c, (u64)mulh_signed(a, b, c), (u64)hu_c);
    }
    for (unsigned i = 0; i < sizeof udivtab / sizeof udivtab[0]; i++) {
        uint64_t a = udivtab[i][0], b = udivtab[i][1];
        printf("udiv %llu %llu: %llu %llu\n", (u64)a, (u64)b, (u64)(a / b), (u64)(a % b));
    }
    for (unsigned i = 0; i < sizeof sdivtab / sizeof sdivtab[0]; i++) {
        int64_t a = sdivtab[i][0], b = sdivtab[i][1];
        printf("sdiv %lld %lld: %lld %lld\n", (s64)a, (s64)b, (s64)(a / b), (s64)(a % b));
    }
    return 0;
}
