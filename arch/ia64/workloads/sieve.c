/* sieve.c -- native twin of sieve.s: primes below 1<<20. */
#include <stdio.h>

#define N (1 << 20)
static unsigned char flags[N];

int main(void) {
    flags[0] = flags[1] = 1;
    for (long i = 2; i * i < N; i++)
        if (!flags[i])
            for (long j = i * i; j < N; j += i) flags[j] = 1;
    long primes = 0;
    for (long i = 0; i < N; i++) primes += !flags[i];
    printf("primes: %ld\n", primes);
    return 0;
}
