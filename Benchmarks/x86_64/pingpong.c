/*
 * pingpong: one-byte round trips between two processes over two pipes.
 *   pingpong [iters]   (default 20000)
 * The parent writes a byte down one pipe, a forked child reads it, adds one and writes it back
 * up the other; one iteration is one round trip (four system calls, two context switches).
 * The same loop as Benchmarks/study/study.c's "pipe" workload (lmbench's lat_pipe).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"

int main(int argc, char **argv)
{
    long iters = parse_count(argc, argv, 1, 20000);
    int down[2], up[2];
    if (pipe(down) != 0 || pipe(up) != 0)
        die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    unsigned char b;
    if (pid == 0) {
        close(down[1]);
        close(up[0]);
        while (read(down[0], &b, 1) == 1) {
            b++;
            if (write(up[1], &b, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    long ok = 0;
    long long t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        b = (unsigned char)i;
        if (write(down[1], &b, 1) != 1 || read(up[0], &b, 1) != 1)
            die("pingpong");
        ok += b == (unsigned char)(i + 1);
    }
    long long t1 = now_ns();
    close(down[1]);
    int status;
    if (waitpid(pid, &status, 0) != pid || status != 0 || ok != iters) {
        fprintf(stderr, "pingpong: %ld of %ld round trips right, child status 0x%x\n", ok, iters, status);
        return 1;
    }
    print_result("pingpong", iters, t1 - t0);
    return 0;
}
