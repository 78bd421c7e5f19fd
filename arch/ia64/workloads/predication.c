/* predication.c -- native twin of predication.s: a C model of what the IA-64 compares,
 * parallel compares, tbit/tnat and predicated code compute (SDM semantics). */
#include <stdio.h>
#include <stdint.h>

typedef unsigned long long u64;
typedef long long s64;

static const uint64_t pairs[][2] = {
    {0, 0}, {1, 0}, {0, 1}, {(uint64_t)-1, 1}, {1, (uint64_t)-1}, {5, 5},
    {0x80000000u, 0x7fffffffu}, {0xffffffffu, 1}, {0x100000000ull, 1},
    {0x8000000000000000ull, 0x7fffffffffffffffull}, {(uint64_t)-5, (uint64_t)-3},
    {300, (uint64_t)-200}, {3, 10},
};

#define BIT(x, n) (((x) >> (n)) & 1)

int main(void) {
    uint64_t sabs = 0, smax = 0, sminu = 0, sclamp = 0, ssign = 0, stores = 0, calls = 0;
    for (unsigned i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        uint64_t a = pairs[i][0], b = pairs[i][1];
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
        int32_t sa32 = (int32_t)a32, sb32 = (int32_t)b32;
        int rel[26] = {
            a == b, a != b, sa < sb, sa <= sb, sa > sb, sa >= sb, a < b, a <= b, a > b, a >= b,
            a32 == b32, sa32 < sb32, sa32 <= sb32, sa32 > sb32, sa32 >= sb32,
            a32 < b32, a32 <= b32, a32 > b32, a32 >= b32,
            b == 5, -1 < sb, 10 < b, 0 > sb, 0 < sb32, 3 >= sb, 3 >= b,
        };
        uint64_t bits = 0;
        for (int k = 0; k < 26; k++) bits = bits * 2 + rel[k];
        printf("rel %lld %lld: %llu 26\n", (s64)sa, (s64)sb, (u64)bits);

        /* parallel compares: p[6..15] */
        int p[16] = {0};
        p[6] = p[7] = (0 < sa) && (a != b) && !(b & 1);
        p[8] = (a == 5) || (a == b) || BIT(b, 63);
        p[9] = p[8] || (a32 == b32);
        p[10] = (a == 0) || (b == 0); p[11] = !p[10];
        p[12] = (a != b) && (0 <= sa); p[13] = !p[12];
        p[14] = p[15] = (a != b);
        bits = 0;
        for (int k = 15; k >= 6; k--) bits = bits * 2 + p[k];
        printf("par %lld %lld: %llu\n", (s64)sa, (s64)sb, (u64)bits);

        /* unc */
        int q14 = a == b, q15 = !q14;
        p[6] = q14 ? sa < sb : 0;   p[7] = q14 ? !(sa < sb) : 0;
        p[8] = q14 ? sa < sb : 1;   p[9] = q14 ? !(sa < sb) : 1;
        p[10] = q15 ? a < b : 0;    p[11] = q15 ? !(a < b) : 0;
        p[12] = q15 ? (int)(a & 1) : 0; p[13] = q15 ? !(a & 1) : 0;
        p[14] = q14; p[15] = q15;
        bits = 0;
        for (int k = 15; k >= 6; k--) bits = bits * 2 + p[k];
        printf("unc %lld %lld: %llu\n", (s64)sa, (s64)sb, (u64)bits);

        /* tbit */
        p[6] = BIT(a, 0); p[7] = !p[6]; p[8] = BIT(a, 1); p[9] = !p[8];
        p[10] = BIT(a, 31); p[11] = !p[10]; p[12] = BIT(a, 32); p[13] = !p[12];
        p[14] = !BIT(a, 63); p[15] = !p[14];
        bits = 0;
        for (int k = 15; k >= 6; k--) bits = bits * 2 + p[k];
        int p1 = sa < 0;
        int t6 = p1 && !BIT(a, 62), t7 = p1 && BIT(a, 62);
        printf("tbit %lld %lld: %llu\n", (s64)sa, (s64)sb, (u64)(bits << 2 | t6 | t7 << 1));

        /* predicated arithmetic */
        sabs += sa < 0 ? -a : a;
        smax += sa < sb ? b : a;
        sminu += a < b ? a : b;
        sclamp += sa > 100 ? 100 : sa < -100 ? (uint64_t)-100 : a;
        ssign += sa > 0 ? 1 : sa < 0 ? (uint64_t)-1 : 0;
        stores += sa > sb && a != 0;
        calls += a == b;
    }
    printf("sum abs: %llu\nsum max: %llu\nsum minu: %llu\nsum clamp: %llu\nsum sign: %llu\n",
           (u64)sabs, (u64)smax, (u64)sminu, (u64)sclamp, (u64)ssign);
    printf("stores a>b: %llu\n", (u64)stores);
    printf("pred calls: %llu\n", (u64)calls);
    /* p6 = tnat(NaT) = 1, p7 = 0, p8 = tnat(NaT + 1) = 1, p9 = 0, p10 = tnat(0) = 0, p11 = 1 */
    printf("tnat: %d\n", 1 | 0 << 1 | 1 << 2 | 0 << 3 | 0 << 4 | 1 << 5);
    printf("mov pr mask: %llu\n", (u64)(0xA5A5 & 0x1fe));
    /* mov pr.rot = imm: p16..p63 = sign-extended imm28 << 16 (bit 43 is the sign) */
    printf("mov pr.rot: %llu\n", (u64)(0xfffffa5a5a5a0000ull >> 16));
    printf("mov pr.rot: %llu\n", (u64)(0xffffffffffff0000ull >> 16));
    return 0;
}
