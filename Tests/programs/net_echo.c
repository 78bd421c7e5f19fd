/*
 * net_echo.c - a TCP and UDP client/server pair over the loopback: the main process is an echo
 * server, forked children are its clients. Covers bind to port 0 and getsockname, listen,
 * connect, accept and getpeername, a stream echo with shutdown(SHUT_WR) and EOF, poll on a
 * listener, a UDP echo with sendto/recvfrom, and ECONNREFUSED once the listener is gone.
 * Prints what it sees; the output must match native Linux (and qemu-ppc for PowerPC).
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* Bytes each client sends: below any stream buffer, so a client may write everything before
 * it reads (natively and in umlab) without the two sides blocking each other. */
#define PAYLOAD 48000
#define CLIENTS 3

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static void fill(unsigned char *buf, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) buf[i] = (unsigned char)(t_lcg(&seed) >> 16);
}

/* A client: connects, sends its payload in uneven pieces, half-closes, reads the echo back
 * until EOF. Exit status 0 when the echo is the payload. */
static int client(uint16_t port, int id)
{
    static unsigned char out[PAYLOAD], in[PAYLOAD + 16];
    struct sockaddr_in a = loopback(port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) return 10;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) return 11;
    fill(out, sizeof out, (uint32_t)id + 1);
    size_t sent = 0, piece = 1;
    while (sent < sizeof out) {
        size_t n = piece < sizeof out - sent ? piece : sizeof out - sent;
        if (t_write_full(fd, out + sent, n) != (ssize_t)n) return 12;
        sent += n;
        piece = piece * 3 + 7;
    }
    if (shutdown(fd, SHUT_WR) != 0) return 13;
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, in + got, sizeof in - got);
        if (n < 0) return 14;
        if (n == 0) break;
        got += (size_t)n;
    }
    close(fd);
    return got == sizeof out && memcmp(in, out, sizeof out) == 0 ? 0 : 15;
}

static void tcp_echo(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_SYS(ls);
    int one = 1;
    CHECK_SYS(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    struct sockaddr_in a = loopback(0);
    CHECK_SYS(bind(ls, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    CHECK_SYS(getsockname(ls, (struct sockaddr *)&a, &len));
    uint16_t port = ntohs(a.sin_port);
    printf("listener bound to 127.0.0.1, port chosen: %s\n", yesno(port != 0 && a.sin_addr.s_addr == htonl(INADDR_LOOPBACK)));
    CHECK_SYS(listen(ls, CLIENTS));

    pid_t kids[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        kids[i] = t_fork();
        if (kids[i] == 0) _exit(client(port, i));
    }
    static unsigned char buf[PAYLOAD + 16];
    size_t total = 0;
    for (int i = 0; i < CLIENTS; i++) {
        struct pollfd p = { .fd = ls, .events = POLLIN };
        CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLIN), "listener readable");
        struct sockaddr_in peer;
        socklen_t plen = sizeof peer;
        int c = accept(ls, (struct sockaddr *)&peer, &plen);
        CHECK_SYS(c);
        struct sockaddr_in mine, other;
        socklen_t mlen = sizeof mine, olen = sizeof other;
        CHECK_SYS(getsockname(c, (struct sockaddr *)&mine, &mlen));
        CHECK_SYS(getpeername(c, (struct sockaddr *)&other, &olen));
        CHECK(ntohs(mine.sin_port) == port, "accepted socket's port");
        CHECK(other.sin_port == peer.sin_port && other.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "peer address");
        size_t echoed = 0;
        for (;;) {
            ssize_t n = read(c, buf, sizeof buf);
            CHECK_SYS(n);
            if (n == 0) break;
            CHECK(t_write_full(c, buf, (size_t)n) == n, "echo write");
            echoed += (size_t)n;
        }
        close(c);
        total += echoed;
    }
    printf("accepted %d clients, echoed %zu bytes\n", CLIENTS, total);
    for (int i = 0; i < CLIENTS; i++) printf("client %d status %d\n", i, t_wait(kids[i]));
    close(ls);

    /* Nobody listens on the port any more. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    a = loopback(port);
    errno = 0;
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    printf("connect after close: %d %s\n", r, r == 0 ? "ok" : strerror(errno));
    close(fd);
}

static void udp_echo(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_SYS(s);
    struct sockaddr_in a = loopback(0);
    CHECK_SYS(bind(s, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    CHECK_SYS(getsockname(s, (struct sockaddr *)&a, &len));
    uint16_t port = ntohs(a.sin_port);
    pid_t kid = t_fork();
    if (kid == 0) {
        int c = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in to = loopback(port);
        char msg[64], back[64];
        for (int i = 0; i < 5; i++) {
            int n = snprintf(msg, sizeof msg, "datagram %d", i);
            if (sendto(c, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof to) != n) _exit(20);
            ssize_t m = recv(c, back, sizeof back, 0);
            if (m != n || memcmp(msg, back, (size_t)n) != 0) _exit(21);
        }
        _exit(0);
    }
    char buf[64];
    for (int i = 0; i < 5; i++) {
        struct sockaddr_in from;
        socklen_t flen = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
        CHECK_SYS(n);
        printf("udp got \"%.*s\" from 127.0.0.1: %s\n", (int)n, buf, yesno(from.sin_addr.s_addr == htonl(INADDR_LOOPBACK)));
        CHECK(sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, flen) == n, "udp echo");
    }
    printf("udp client status %d\n", t_wait(kid));
    close(s);
}

int main(void)
{
    t_init("net_echo");
    tcp_echo();
    udp_echo();
    t_done();
    return 0;
}
