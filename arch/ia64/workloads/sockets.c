/* sockets.c -- native twin of sockets.s: a socketpair round trip (stream and datagram), a TCP
 * listener on the loopback with a forked client (bind 127.0.0.1:0, getsockname, listen,
 * connect, accept, read to EOF, reply, shutdown), ECONNREFUSED from a port bound but not
 * listening, EAGAIN from accept4 on a non-blocking listener, ENETUNREACH for 8.8.8.8 (see
 * tcp()), a UDP datagram and recvfrom's address, SO_TYPE, and SCM_RIGHTS of a pipe's read end
 * over a unix socketpair.  Results print as "what: =value" or "what: ERRNO" (hostile.c's
 * format); descriptors, ports and pids never appear in the output, only relations between
 * them.  glibc's send() and recv() become sendto/recvfrom on x86-64; sockets.s calls IA-64's
 * own send(2) and recv(2). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "twin.h"

/* A call that returns a descriptor: "what: fd" (its number is not deterministic natively). */
static int fd_or_fail(const char *what, int fd)
{
    if (fd < 0) {
        fprintf(stderr, "FAIL: %s\n", what);
        _exit(1);
    }
    printf("%s: fd\n", what);
    return fd;
}

static void yesno(const char *what, int flag) { printf("%s: %s\n", what, flag ? "yes" : "no"); }
static void data(const char *what, const char *p, long n) { printf("%s: \"%.*s\"\n", what, (int)(n > 0 ? n : 0), p); }

static struct sockaddr_in loopback(void)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* The same family, port and address. */
static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_family == b->sin_family && a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

static void pairs(void)
{
    int sv[2];
    char buf[64];
    long n;
    SHOW("socketpair stream", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    SHOW("stream write", write(sv[0], "hello", 5));
    SHOW("stream read", n = read(sv[1], buf, sizeof buf));
    data("stream data", buf, n);
    SHOW("stream reply send", send(sv[1], "world!", 6, 0));
    SHOW("stream reply recv", n = recv(sv[0], buf, sizeof buf, 0));
    data("stream reply data", buf, n);
    close(sv[1]);
    SHOW("stream read after the peer closed", read(sv[0], buf, sizeof buf));
    SHOW("stream send after the peer closed", send(sv[0], "x", 1, MSG_NOSIGNAL));
    close(sv[0]);

    SHOW("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    SHOW("dgram send 1 byte", send(sv[0], "a", 1, 0));
    SHOW("dgram send 3 bytes", send(sv[0], "bcd", 3, 0));
    SHOW("dgram recv", recv(sv[1], buf, sizeof buf, 0));
    SHOW("dgram recv", n = recv(sv[1], buf, sizeof buf, 0));
    data("dgram data", buf, n);
    SHOW("dgram recv when empty", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    close(sv[1]);
}

/* The client: connects, sends "ping" and its own port (as getsockname gives it), shuts its
 * writing side, reads the reply to EOF; exit status 0 when the reply was exactly "pong". */
static void client(const struct sockaddr_in *server)
{
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    char msg[6], buf[16];
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (const struct sockaddr *)server, sizeof *server) != 0) _exit(10);
    if (getsockname(c, (struct sockaddr *)&me, &len) != 0) _exit(11);
    memcpy(msg, "ping", 4);
    memcpy(msg + 4, &me.sin_port, 2);
    if (write(c, msg, 6) != 6 || shutdown(c, SHUT_WR) != 0) _exit(12);
    long total = 0, n;
    while ((n = read(c, buf + total, sizeof buf - total)) > 0) total += n;
    _exit(n == 0 && total == 4 && memcmp(buf, "pong", 4) == 0 ? 0 : 13);
}

static void tcp(void)
{
    struct sockaddr_in a = loopback(), peer, named;
    socklen_t len = sizeof a;
    char buf[64];
    int l = fd_or_fail("tcp socket", socket(AF_INET, SOCK_STREAM, 0));
    SHOW("bind 127.0.0.1:0", bind(l, (struct sockaddr *)&a, sizeof a));
    SHOW("getsockname", getsockname(l, (struct sockaddr *)&a, &len));
    printf("getsockname length: %u\n", len);
    yesno("bound to 127.0.0.1 and a port", a.sin_family == AF_INET && a.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && a.sin_port != 0);
    SHOW("listen", listen(l, 4));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) client(&a);
    len = sizeof peer;
    int s = fd_or_fail("accept", accept(l, (struct sockaddr *)&peer, &len));
    printf("accept address length: %u\n", len);
    yesno("peer is 127.0.0.1", peer.sin_family == AF_INET && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    long total = 0, n;
    while ((n = read(s, buf + total, sizeof buf - total)) > 0) total += n;
    SHOW("server read at EOF", n);
    printf("server read in all: %ld\n", total);
    data("server data", buf, total >= 4 ? 4 : total);
    yesno("peer port is the client's own", total == 6 && memcmp(buf + 4, &peer.sin_port, 2) == 0);
    len = sizeof named;
    SHOW("getpeername", getpeername(s, (struct sockaddr *)&named, &len));
    yesno("getpeername is accept's address", len == sizeof named && same(&named, &peer));
    SHOW("server write", write(s, "pong", 4));
    SHOW("server shutdown", shutdown(s, SHUT_WR));
    int status = -1;
    waitpid(pid, &status, 0);
    printf("client exit status: %d\n", status);
    close(s);
    close(l);

    /* A port bound by a socket that does not listen: the connect is refused. */
    struct sockaddr_in quiet = loopback();
    int q = fd_or_fail("quiet socket", socket(AF_INET, SOCK_STREAM, 0));
    len = sizeof quiet;
    if (bind(q, (struct sockaddr *)&quiet, sizeof quiet) != 0 || getsockname(q, (struct sockaddr *)&quiet, &len) != 0) _exit(1);
    int c = fd_or_fail("client socket", socket(AF_INET, SOCK_STREAM, 0));
    SHOW("connect to a port nobody listens on", connect(c, (struct sockaddr *)&quiet, sizeof quiet));
    close(c);
    close(q);

    /* accept4 on a listener made non-blocking by socket's SOCK_NONBLOCK, nothing pending. */
    struct sockaddr_in any = loopback();
    int nb = fd_or_fail("non-blocking listener", socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    if (bind(nb, (struct sockaddr *)&any, sizeof any) != 0 || listen(nb, 1) != 0) _exit(1);
    SHOW("accept4 with nothing pending", accept4(nb, NULL, NULL, SOCK_CLOEXEC));
    close(nb);

    /* umlab sequesters its guests: with no network options a connect to anything but the
     * machine itself fails as an unreachable network (docs/networking.md, "Sequestering"). A
     * native run would reach (or time out on) the real 8.8.8.8, so this twin prints what umlab
     * must answer instead of making the call; sockets.s makes it. */
    printf("connect to 8.8.8.8:53: ENETUNREACH\n");
}

static void udp(void)
{
    struct sockaddr_in a1 = loopback(), a2 = loopback(), from;
    struct sockaddr_in6 room;  /* a larger buffer than the address needs: the length shrinks */
    socklen_t len = sizeof a1;
    char buf[64];
    long n;
    int u1 = fd_or_fail("udp socket 1", socket(AF_INET, SOCK_DGRAM, 0));
    int u2 = fd_or_fail("udp socket 2", socket(AF_INET, SOCK_DGRAM, 0));
    SHOW("udp bind 1", bind(u1, (struct sockaddr *)&a1, sizeof a1));
    SHOW("udp bind 2", bind(u2, (struct sockaddr *)&a2, sizeof a2));
    int type = -1;
    len = sizeof type;
    SHOW("getsockopt SO_TYPE", getsockopt(u1, SOL_SOCKET, SO_TYPE, &type, &len));
    printf("SO_TYPE, length: %d %u\n", type, len);
    len = sizeof a1;
    getsockname(u1, (struct sockaddr *)&a1, &len);
    len = sizeof a2;
    getsockname(u2, (struct sockaddr *)&a2, &len);
    SHOW("udp sendto", sendto(u2, "datagram", 8, 0, (struct sockaddr *)&a1, sizeof a1));
    len = sizeof room;
    SHOW("udp recvfrom", n = recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&room, &len));
    data("udp data", buf, n);
    printf("recvfrom address length: %u\n", len);
    memcpy(&from, &room, sizeof from);
    yesno("recvfrom address is the sender's", same(&from, &a2));
    close(u1);
    close(u2);
}

/* SCM_RIGHTS: the read end of a pipe crosses a unix socketpair; the sender closes its copy,
 * writes into the pipe, and the receiver reads through the descriptor it got. */
static void rights(void)
{
    int p[2], sv[2];
    char buf[64];
    union { struct cmsghdr h; char space[CMSG_SPACE(sizeof(int))]; } out;
    union { struct cmsghdr h; char space[64]; } in;
    if (pipe(p) != 0) _exit(1);
    SHOW("socketpair for SCM_RIGHTS", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct iovec iov = { "F", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &out, .msg_controllen = sizeof out };
    out.h.cmsg_len = CMSG_LEN(sizeof(int));
    out.h.cmsg_level = SOL_SOCKET;
    out.h.cmsg_type = SCM_RIGHTS;
    memcpy(CMSG_DATA(&out.h), &p[0], sizeof(int));
    SHOW("sendmsg SCM_RIGHTS", sendmsg(sv[0], &m, 0));
    close(p[0]);
    SHOW("write into the pipe", write(p[1], "through the pipe", 16));
    struct iovec riov = { buf, sizeof buf };
    struct msghdr r = { .msg_iov = &riov, .msg_iovlen = 1, .msg_control = &in, .msg_controllen = sizeof in };
    SHOW("recvmsg", recvmsg(sv[1], &r, 0));
    /* Relations, not numbers: the C twin also runs as 32-bit PowerPC (run.sh's PPC=1). */
    yesno("msg_controllen is CMSG_SPACE(sizeof(int))", r.msg_controllen == CMSG_SPACE(sizeof(int)));
    yesno("cmsg_len is CMSG_LEN(sizeof(int))", in.h.cmsg_len == CMSG_LEN(sizeof(int)));
    printf("cmsg level, type: %d %d\n", in.h.cmsg_level, in.h.cmsg_type);
    int fd;
    memcpy(&fd, CMSG_DATA(&in.h), sizeof fd);
    long n;
    SHOW("read through the passed descriptor", n = read(fd, buf, sizeof buf));
    data("pipe data", buf, n);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pairs();
    tcp();
    udp();
    rights();
    printf("sockets: done\n");
    return 0;
}
