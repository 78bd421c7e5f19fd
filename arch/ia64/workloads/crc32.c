/* crc32.c -- native twin of crc32.s: table CRC-32 over a 64 KiB pattern buffer, 16 passes. */
#include <stdio.h>
#include <stdint.h>

#define BUFLEN 65536
#define R 16

static uint32_t table[256];
static unsigned char buf[BUFLEN];

static uint32_t crc_update(uint32_t c, const unsigned char *p, size_t n) {
    while (n--) c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c;
}

int main(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        table[n] = c;
    }
    for (uint64_t i = 0; i < BUFLEN; i++) buf[i] = (unsigned char)((i * 2654435761ull) >> 24);
    printf("check 123456789: %lu\n", (unsigned long)(crc_update(0xFFFFFFFFu, (const unsigned char *)"123456789", 9) ^ 0xFFFFFFFFu));
    uint32_t c = 0xFFFFFFFFu;
    for (int pass = 1; pass <= R; pass++) {
        c = crc_update(c, buf, BUFLEN);
        if (pass == 1) printf("crc32 x1: %lu\n", (unsigned long)(c ^ 0xFFFFFFFFu));
    }
    printf("crc32 x16: %lu\n", (unsigned long)(c ^ 0xFFFFFFFFu));
    return 0;
}
