/* syscalls.c: the syscall-heavy workload: getppid, and small write+read through a pipe. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    int fds[2];
    char c = 'x';
    long acc = 0;
    if (pipe(fds) != 0) return 1;
    for (int i = 0; i < n; i++) {
        acc += syscall(SYS_getppid) > 0;
        if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1) return 1;
    }
    printf("syscalls: iterations=%d ok=%ld\n", n, acc);
    return 0;
}
