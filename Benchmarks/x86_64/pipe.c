/*
 * pipe: pipe throughput between two processes.
 *   pipe [mib]   (default 256)
 * A forked child writes <mib> MiB into a pipe in 64 KiB write()s; the parent
 * read()s (64 KiB buffer) until EOF. One "iteration" is one 64 KiB chunk.
 * Timed in the parent from just after fork() until EOF.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

#define CHUNK (64 * 1024)

static char buf[CHUNK];

int main(int argc, char **argv)
{
    long mib = parse_count(argc, argv, 1, 256);
    long chunks = mib * (1024 * 1024 / CHUNK);
    long long total = (long long)mib * 1024 * 1024;

    int fds[2];
    if (pipe(fds) != 0)
        die("pipe");

    memset(buf, 'x', sizeof buf);

    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(fds[0]);
        for (long i = 0; i < chunks; i++) {
            size_t off = 0;
            while (off < CHUNK) {
                ssize_t n = write(fds[1], buf + off, CHUNK - off);
                if (n < 0) {
                    if (errno == EINTR)
                        continue;
                    perror("pipe: write");
                    _exit(1);
                }
                off += (size_t)n;
            }
        }
        _exit(0);
    }
    close(fds[1]);

    long long got = 0;
    long long t0 = now_ns();
    for (;;) {
        ssize_t n = read(fds[0], buf, CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("pipe: read");
        }
        if (n == 0)
            break;
        got += n;
    }
    long long t1 = now_ns();
    close(fds[0]);

    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pipe: writer status 0x%x\n", status);
        return 1;
    }
    if (got != total) {
        fprintf(stderr, "pipe: read %lld bytes, expected %lld\n", got, total);
        return 1;
    }

    double ns = (double)(t1 - t0);
    printf("RESULT name=pipe iters=%ld ns_per_iter=%.2f mib_per_s=%.2f\n",
           chunks, ns / (double)chunks, (double)mib / (ns / 1e9));
    return 0;
}
