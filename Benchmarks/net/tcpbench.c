/* tcpbench: TCP figures inside one machine (native, or one umlab guest), or as a client/server
 * against another machine (a published port).
 *
 *   tcpbench stream MB [WRITE]      a forked server reads MB MiB that the client writes in
 *                                   WRITE-byte writes (64 KiB) over TCP loopback; prints Gbit/s
 *   tcpbench connect N              N connect/accept/close round trips on loopback; prints
 *                                   connections per second
 *   tcpbench sink PORT              reads connections on PORT until EOF; after the first that
 *                                   carried data, prints its bytes and exits (a readiness
 *                                   probe's empty connection does not count)
 *   tcpbench send HOST PORT MB      connects to HOST:PORT and writes MB MiB; prints Gbit/s
 *
 * Times are the program's own (CLOCK_MONOTONIC), so they are the same clock natively and in a
 * guest. One line of output: "NAME value unit". */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what)
{
    perror(what);
    exit(1);
}

static int listener(int port, int *bound)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (s < 0) die("socket");
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
    if (listen(s, 1024) != 0) die("listen");
    socklen_t l = sizeof a;
    getsockname(s, (struct sockaddr *)&a, &l);
    *bound = ntohs(a.sin_port);
    return s;
}

static int dial(const char *host, int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, host, &a.sin_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    return s;
}

static long long drain(int c)
{
    static char buf[1 << 16];
    long long total = 0;
    ssize_t n;
    while ((n = read(c, buf, sizeof buf)) > 0) total += n;
    return total;
}

static void pour(int s, long long bytes, size_t chunk)
{
    char *buf = calloc(1, chunk);
    while (bytes > 0) {
        ssize_t n = write(s, buf, bytes < (long long)chunk ? (size_t)bytes : chunk);
        if (n <= 0) die("write");
        bytes -= n;
    }
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: tcpbench stream MB [WRITE] | connect N | sink PORT | send HOST PORT MB\n");
        return 2;
    }
    if (!strcmp(argv[1], "stream")) {
        long long bytes = atoll(argv[2]) << 20;
        size_t chunk = argc > 3 ? (size_t)atol(argv[3]) : 65536;
        int port, l = listener(0, &port);
        pid_t p = fork();
        if (p == 0) {
            int c = accept(l, NULL, NULL);
            long long got = drain(c);
            _exit(got == bytes ? 0 : 1);
        }
        int s = dial("127.0.0.1", port);
        double t0 = now();
        pour(s, bytes, chunk);
        close(s);
        int st;
        waitpid(p, &st, 0);
        double t = now() - t0;
        if (!WIFEXITED(st) || WEXITSTATUS(st)) { fprintf(stderr, "short transfer\n"); return 1; }
        printf("stream %.2f Gbit/s\n", bytes * 8 / t / 1e9);
        return 0;
    }
    if (!strcmp(argv[1], "connect")) {
        int n = atoi(argv[2]), port, l = listener(0, &port);
        pid_t p = fork();
        if (p == 0) {
            for (int i = 0; i < n; i++) {
                int c = accept(l, NULL, NULL);
                if (c < 0) _exit(1);
                close(c);
            }
            _exit(0);
        }
        double t0 = now();
        for (int i = 0; i < n; i++) {
            int s = dial("127.0.0.1", port);
            close(s);
        }
        int st;
        waitpid(p, &st, 0);
        double t = now() - t0;
        printf("connect %.0f conn/s\n", n / t);
        return 0;
    }
    if (!strcmp(argv[1], "sink")) {
        int port, l = listener(atoi(argv[2]), &port);
        for (;;) {
            int c = accept(l, NULL, NULL);
            long long got = drain(c);
            close(c);
            if (got > 0) { printf("sink %lld bytes\n", got); return 0; }
        }
    }
    if (!strcmp(argv[1], "send") && argc > 4) {
        long long bytes = atoll(argv[4]) << 20;
        int s = dial(argv[2], atoi(argv[3]));
        double t0 = now();
        pour(s, bytes, 65536);
        shutdown(s, SHUT_WR);
        char c;
        while (read(s, &c, 1) > 0) {}  /* the sink closes once it has read everything */
        double t = now() - t0;
        printf("send %.2f Gbit/s\n", bytes * 8 / t / 1e9);
        return 0;
    }
    return 2;
}
