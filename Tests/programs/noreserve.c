/*
 * noreserve.c - MAP_NORESERVE reservations larger than memory, as AddressSanitizer makes for
 * its shadow: 14 TiB MAP_FIXED|MAP_NORESERVE, read-write and PROT_NONE, touched only in a few
 * pages (memory is counted when touched); the same without MAP_NORESERVE is ENOMEM.
 * With "touch N" it touches N MiB of such a reservation (the memory limit still holds).
 */
#include "testutil.h"
#include <sys/mman.h>

#define SIZE (14ULL << 40)
#define BASE ((void *)0x100000000000ULL)

int main(int argc, char **argv)
{
    t_init("noreserve");
    if (sizeof(void *) < 8) {   /* a 32-bit guest has no room for it */
        printf("14 TiB reservation: skipped on a 32-bit ABI\n");
        t_done();
    }
    char *p = mmap(BASE, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    CHECK(p != MAP_FAILED, "14 TiB MAP_NORESERVE: %s", errname(errno));
    if (argc == 3 && strcmp(argv[1], "touch") == 0) {
        long mib = atol(argv[2]);
        for (long i = 0; i < mib * 256; i++)
            p[i * 4096 + (SIZE / 2)] = 1;
        printf("touched %ld MiB\n", mib);
        return 0;
    }
    printf("14 TiB read-write MAP_NORESERVE: mapped at the address asked: %s\n", p == BASE ? "yes" : "no");
    p[0] = 1;
    p[SIZE - 1] = 2;
    p[SIZE / 2] = 3;
    printf("first, middle and last bytes: %d %d %d, untouched byte: %d\n", p[0], p[SIZE / 2], p[SIZE - 1], p[4096 * 7]);
    CHECK_SYS(munmap(p, SIZE));
    p = mmap(BASE, SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
    printf("14 TiB PROT_NONE MAP_NORESERVE: %s\n", p == MAP_FAILED ? errname(errno) : "mapped");
    CHECK_SYS(mprotect(p + (1ULL << 40), 4096, PROT_READ | PROT_WRITE));
    p[1ULL << 40] = 5;
    printf("a page made writable inside it: %d\n", p[1ULL << 40]);
    CHECK_SYS(munmap(p, SIZE));
    void *q = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("14 TiB without MAP_NORESERVE: %s\n", q == MAP_FAILED ? errname(errno) : "mapped");
    t_done();
}
