/* syscalls.c -- native twin of syscalls.s: N getppid calls, print "syscalls: N". */
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#define N 100000

int main(void) {
    long ok = 0;
    for (long i = 0; i < N; i++) {
        long r = syscall(SYS_getppid);
        if (r > 0) ok++;
    }
    printf("syscalls: %ld\n", ok);
    return 0;
}
