/* pipe.c -- native twin of pipe.s: 10000 one-byte round trips parent <-> forked child. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#define ROUNDS 10000

int main(void) {
    int p2c[2], c2p[2];
    if (pipe(p2c) || pipe(c2p)) { perror("pipe"); return 1; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        close(p2c[1]); close(c2p[0]);
        unsigned char b;
        while (read(p2c[0], &b, 1) == 1) { b++; write(c2p[1], &b, 1); }
        _exit(0);
    }
    close(p2c[0]); close(c2p[1]);
    long ok = 0;
    for (long i = 0; i < ROUNDS; i++) {
        unsigned char b = i & 0xff;
        write(p2c[1], &b, 1);
        if (read(c2p[0], &b, 1) == 1 && b == ((i + 1) & 0xff)) ok++;
    }
    close(p2c[1]);
    int status;
    waitpid(pid, &status, 0);
    if (status != 0) { fprintf(stderr, "FAIL: child exit status\n"); return 1; }
    printf("pingpong: %ld\n", ok);
    return 0;
}
