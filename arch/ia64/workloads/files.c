/* files.c -- native twin of files.s: write/lseek/read/fstat/unlink a 4096-byte file. */
#include <stdio.h>
#include <stdint.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#define LEN 4096
static const char *path = "/tmp/ia64-workload.txt";

int main(void) {
    static unsigned char wbuf[LEN], rbuf[LEN];
    for (uint64_t i = 0; i < LEN; i++) wbuf[i] = (unsigned char)((i * 31 + 7) ^ (i >> 8));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { fprintf(stderr, "FAIL: open\n"); return 1; }
    if (write(fd, wbuf, LEN) != LEN) { fprintf(stderr, "FAIL: write\n"); return 1; }
    if (lseek(fd, 0, SEEK_SET) != 0) { fprintf(stderr, "FAIL: lseek\n"); return 1; }
    if (read(fd, rbuf, LEN) != LEN) { fprintf(stderr, "FAIL: read\n"); return 1; }
    struct stat st;
    fstat(fd, &st);
    close(fd);
    uint64_t match = 0, sum = 0;
    for (int i = 0; i < LEN; i++) {
        if (wbuf[i] == rbuf[i]) match++;
        sum = sum * 31 + rbuf[i];
    }
    if (unlink(path) != 0) { fprintf(stderr, "FAIL: unlink\n"); return 1; }
    printf("size: %llu\nmatch: %llu\nchecksum: %llu\n", (unsigned long long)st.st_size,
           (unsigned long long)match, (unsigned long long)sum);
    return 0;
}
