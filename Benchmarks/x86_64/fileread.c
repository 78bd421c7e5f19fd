/*
 * fileread: reading a whole file through the (guest's) filesystem.
 *   fileread [iters] [path]   (defaults: 50, /bin/busybox)
 * Each iteration: open(path, O_RDONLY); read() 64 KiB at a time until EOF;
 * close(). Every pass must return the same number of bytes.
 */
#include <fcntl.h>
#include <unistd.h>

#include "bench_common.h"

#define CHUNK (64 * 1024)

static char buf[CHUNK];

static long long read_whole(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "fileread: open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    long long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("fileread: read");
        }
        if (n == 0)
            break;
        total += n;
    }
    if (close(fd) != 0)
        die("fileread: close");
    return total;
}

int main(int argc, char **argv)
{
    long iters = parse_count(argc, argv, 1, 50);
    const char *path = argc > 2 ? argv[2] : "/bin/busybox";

    long long size = read_whole(path); /* warm-up, also warms the page cache */
    if (size <= 0) {
        fprintf(stderr, "fileread: %s is empty\n", path);
        return 1;
    }

    long long t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        if (read_whole(path) != size) {
            fprintf(stderr, "fileread: size of %s changed\n", path);
            return 1;
        }
    }
    long long t1 = now_ns();

    print_result("fileread", iters, t1 - t0);
    return 0;
}
