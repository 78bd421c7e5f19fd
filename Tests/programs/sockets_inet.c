/*
 * sockets_inet.c - AF_INET and AF_INET6 sockets on the loopback as Linux gives them: TCP
 * listen/accept/connect (blocking, non-blocking with EINPROGRESS and SO_ERROR, refused),
 * names (IPv4, IPv6, IPv4-mapped on a dual-stack socket, IPV6_V6ONLY), bind conflicts
 * (SO_REUSEADDR, SO_REUSEPORT, :: against 0.0.0.0), shutdown and a closed peer (EOF, RST,
 * EPIPE + SIGPIPE), MSG_PEEK/TRUNC/WAITALL, FIONREAD, UDP (datagrams to nobody, a connected
 * socket then refused, MSG_TRUNC, sendmmsg/recvmmsg), options read back and inherited by
 * accepted sockets, SO_RCVTIMEO, sendfile to a socket, poll and epoll readiness, a forked
 * client. Ports are ephemeral, so they are printed as relations. The output must match
 * native Linux.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

static int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

static const char *res(long r)
{
    static char buf[8][48];
    static int next;
    char *b = buf[next++ % 8];
    if (r < 0) snprintf(b, 48, "%s", errname(errno));
    else snprintf(b, 48, "%ld", r);
    return b;
}
#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); printf("%s: %s\n", label, res(r_)); } while (0)
#define ALL (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

static short revents(int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    CHECK_SYS(poll(&p, 1, 0));
    return p.revents;
}

static int getint(int fd, int level, int name)
{
    int v = -1;
    socklen_t l = sizeof v;
    if (getsockopt(fd, level, name, &v, &l) < 0) return -errno;
    return v;
}

static int setint(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v); }

static struct sockaddr_in v4(const char *ip, int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return a;
}

static struct sockaddr_in6 v6(const char *ip, int port)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_port = htons((uint16_t)port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return a;
}

/* A name as text: "family address" (the port is left out: it is ephemeral) and its length. */
static const char *name_of(int fd, int peer)
{
    static char out[4][96];
    static int next;
    char *b = out[next++ % 4];
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &l) : getsockname(fd, (struct sockaddr *)&ss, &l)) < 0) {
        snprintf(b, 96, "%s", errname(errno));
        return b;
    }
    char ip[64] = "?";
    if (ss.ss_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, ip, sizeof ip);
    if (ss.ss_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, ip, sizeof ip);
    snprintf(b, 96, "%s %s len %d", ss.ss_family == AF_INET ? "inet" : ss.ss_family == AF_INET6 ? "inet6" : "?", ip, (int)l);
    return b;
}

static int port_of(int fd, int peer)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &l) : getsockname(fd, (struct sockaddr *)&ss, &l)) < 0) return -1;
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);  /* same offset in sockaddr_in6 */
}

/* A TCP listener on `ip` (v4 or v6) with an ephemeral port. */
static int listener(int family, const char *ip, int backlog)
{
    int s = socket(family, SOCK_STREAM, 0);
    CHECK_SYS(s);
    if (family == AF_INET) {
        struct sockaddr_in a = v4(ip, 0);
        CHECK_SYS(bind(s, (struct sockaddr *)&a, sizeof a));
    } else {
        struct sockaddr_in6 a = v6(ip, 0);
        CHECK_SYS(bind(s, (struct sockaddr *)&a, sizeof a));
    }
    CHECK_SYS(listen(s, backlog));
    return s;
}

static int connect_v4(int s, const char *ip, int port)
{
    struct sockaddr_in a = v4(ip, port);
    return connect(s, (struct sockaddr *)&a, sizeof a);
}

static int connect_v6(int s, const char *ip, int port)
{
    struct sockaddr_in6 a = v6(ip, port);
    return connect(s, (struct sockaddr *)&a, sizeof a);
}

/* A port nobody listens on: held by a bound, non-listening socket. */
static int closed_port(int *holder)
{
    *holder = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = v4("127.0.0.1", 0);
    CHECK_SYS(bind(*holder, (struct sockaddr *)&a, sizeof a));
    return port_of(*holder, 0);
}

static void test_creation(void)
{
    SHOW("inet stream proto 0", close(socket(AF_INET, SOCK_STREAM, 0)));
    SHOW("inet stream proto 17", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    SHOW("inet dgram proto 6", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    SHOW("inet type 0", socket(AF_INET, 0, 0));
    SHOW("inet seqpacket", socket(AF_INET, SOCK_SEQPACKET, 0));
    SHOW("inet6 SOCK_RDM", socket(AF_INET6, SOCK_RDM, 0));
    SHOW("inet type 12", socket(AF_INET, 12, 0));
    int fds[4] = { socket(AF_INET, SOCK_STREAM, 0), socket(AF_INET, SOCK_DGRAM, 0),
                   socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP), socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP) };
    for (int i = 0; i < 4; i++) {
        int fd = fds[i];
        printf("socket %d: type %d domain %d protocol %d acceptconn %d error %d\n", i, getint(fd, SOL_SOCKET, SO_TYPE),
               getint(fd, SOL_SOCKET, SO_DOMAIN), getint(fd, SOL_SOCKET, SO_PROTOCOL), getint(fd, SOL_SOCKET, SO_ACCEPTCONN),
               getint(fd, SOL_SOCKET, SO_ERROR));
        printf("  rcvbuf %d sndbuf %d rcvlowat %d v6only %s\n", getint(fd, SOL_SOCKET, SO_RCVBUF), getint(fd, SOL_SOCKET, SO_SNDBUF),
               getint(fd, SOL_SOCKET, SO_RCVLOWAT), res(getint(fd, IPPROTO_IPV6, IPV6_V6ONLY)));
        printf("  name %s, peer %s, revents %#x\n", name_of(fd, 0), name_of(fd, 1), revents(fd, ALL));
    }
    char b;
    SHOW("recv on an unconnected TCP socket", recv(fds[0], &b, 1, MSG_DONTWAIT));
    SHOW("send on an unconnected TCP socket", send(fds[0], "x", 1, MSG_NOSIGNAL));
    SHOW("send on an unconnected UDP socket", send(fds[1], "x", 1, 0));
    SHOW("recv on an unconnected UDP socket", recv(fds[1], &b, 1, MSG_DONTWAIT));
    SHOW("shutdown an unconnected TCP socket", shutdown(fds[0], SHUT_RD));
    printf("  then revents %#x, recv %s\n", revents(fds[0], ALL), res(recv(fds[0], &b, 1, MSG_DONTWAIT)));
    SHOW("shutdown an unconnected UDP socket", shutdown(fds[1], SHUT_RD));
    printf("  then revents %#x, recv %s\n", revents(fds[1], ALL), res(recv(fds[1], &b, 1, MSG_DONTWAIT)));
    SHOW("listen on UDP", listen(fds[1], 1));
    SHOW("accept on an unlistening TCP socket", accept(fds[2], NULL, NULL));
    for (int i = 0; i < 4; i++) close(fds[i]);
}

static void test_tcp(void)
{
    char buf[64];
    int srv = listener(AF_INET, "127.0.0.1", 8);
    int port = port_of(srv, 0);
    printf("listener: %s, port ephemeral %s, acceptconn %d, revents %#x\n", name_of(srv, 0),
           yesno(port >= 32768 && port <= 60999), getint(srv, SOL_SOCKET, SO_ACCEPTCONN), revents(srv, ALL));
    int n = -1;
    SHOW("FIONREAD on a listener", ioctl(srv, FIONREAD, &n));
    SHOW("recv on a listener", recv(srv, buf, 1, MSG_DONTWAIT));
    SHOW("connect on a listener", connect_v4(srv, "127.0.0.1", port));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect", connect_v4(c, "127.0.0.1", port));
    SHOW("connect again", connect_v4(c, "127.0.0.1", port));
    printf("listener revents %#x\n", revents(srv, ALL));
    struct sockaddr_in from;
    socklen_t l = sizeof from;
    int s = accept(srv, (struct sockaddr *)&from, &l);
    CHECK_SYS(s);
    printf("accepted: from port is the client's %s, len %d\n", yesno(ntohs(from.sin_port) == port_of(c, 0)), (int)l);
    printf("client: name %s, peer %s, peer port ok %s\n", name_of(c, 0), name_of(c, 1), yesno(port_of(c, 1) == port));
    printf("server end: name %s, peer %s, local port ok %s, acceptconn %d\n", name_of(s, 0), name_of(s, 1),
           yesno(port_of(s, 0) == port), getint(s, SOL_SOCKET, SO_ACCEPTCONN));
    printf("revents: client %#x server end %#x\n", revents(c, ALL), revents(s, ALL));

    CHECK(send(c, "hello", 5, 0) == 5, "send");
    CHECK(send(c, "world", 5, 0) == 5, "send");
    usleep(1000);
    CHECK_SYS(ioctl(s, FIONREAD, &n));
    printf("FIONREAD %d\n", n);
    memset(buf, 0, sizeof buf);
    SHOW("peek 4", recv(s, buf, 4, MSG_PEEK));
    SHOW("MSG_TRUNC 3", recv(s, buf + 10, 3, MSG_TRUNC));
    printf("buffer untouched by MSG_TRUNC: %s\n", yesno(buf[10] == 0));
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    printf("data '%.7s'\n", buf);
    SHOW("send 0", send(c, "", 0, 0));
    SHOW("MSG_DONTWAIT", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("MSG_OOB with none", recv(s, buf, sizeof buf, MSG_OOB | MSG_DONTWAIT));
    struct sockaddr_in6 six = v6("::1", port);
    SHOW("sendto with an address (connected)", sendto(c, "!", 1, 0, (struct sockaddr *)&six, sizeof six));
    SHOW("and it arrived", recv(s, buf, sizeof buf, 0));

    /* sendmsg/recvmsg with two iovecs. */
    struct iovec out[2] = { { "ab", 2 }, { "cde", 3 } };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = out; m.msg_iovlen = 2;
    SHOW("sendmsg 2 iovecs", sendmsg(c, &m, 0));
    char b1[2], b2[8] = { 0 };
    struct iovec in[2] = { { b1, 2 }, { b2, 8 } };
    memset(&m, 0, sizeof m);
    m.msg_iov = in; m.msg_iovlen = 2;
    SHOW("recvmsg MSG_WAITALL 5 of 10", (in[1].iov_len = 3, recvmsg(s, &m, MSG_WAITALL)));
    printf("got '%.2s' '%s' flags %#x\n", b1, b2, m.msg_flags);

    /* Half close: SHUT_WR. */
    SHOW("SHUT_WR", shutdown(c, SHUT_WR));
    usleep(1000);
    printf("after SHUT_WR: client %#x server end %#x\n", revents(c, ALL), revents(s, ALL));
    SHOW("server end reads EOF", recv(s, buf, sizeof buf, 0));
    SHOW("server end still sends", send(s, "back", 4, 0));
    SHOW("client reads it", recv(c, buf, sizeof buf, 0));
    sigpipes = 0;
    SHOW("client sends after SHUT_WR", send(c, "x", 1, 0));
    printf("SIGPIPE %d\n", sigpipes);
    SHOW("SHUT_RD on the server end", shutdown(s, SHUT_RD));
    printf("after both: client %#x server end %#x\n", revents(c, ALL), revents(s, ALL));
    close(s);
    usleep(1000);
    printf("after the server end closed: client %#x\n", revents(c, ALL));
    SHOW("client reads", recv(c, buf, sizeof buf, 0));
    close(c);

    /* The peer closes; the first send goes out, draws a reset, the next gets EPIPE. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_SYS(connect_v4(c, "127.0.0.1", port));
    s = accept(srv, NULL, NULL);
    close(s);
    usleep(2000);
    printf("peer closed: revents %#x\n", revents(c, ALL));
    SHOW("send", send(c, "one", 3, MSG_NOSIGNAL));
    usleep(2000);
    printf("after the reset: revents %#x\n", revents(c, ALL));
    sigpipes = 0;
    SHOW("send", send(c, "two", 3, 0));
    printf("SIGPIPE %d\n", sigpipes);
    SHOW("recv", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("SO_ERROR", getint(c, SOL_SOCKET, SO_ERROR));
    printf("then revents %#x\n", revents(c, ALL));
    close(c);

    /* Closing with unread data sends a reset: the peer gets ECONNRESET. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_SYS(connect_v4(c, "127.0.0.1", port));
    s = accept(srv, NULL, NULL);
    CHECK(send(s, "queued", 6, 0) == 6, "send");
    CHECK(send(c, "unread", 6, 0) == 6, "send");
    usleep(2000);
    close(s);
    usleep(2000);
    printf("reset: revents %#x\n", revents(c, ALL));
    SHOW("recv", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("recv", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("recv", recv(c, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("send", send(c, "x", 1, MSG_NOSIGNAL));
    SHOW("getpeername", getpeername(c, (struct sockaddr *)&from, &l));
    printf("then revents %#x\n", revents(c, ALL));
    close(c);

    /* Refused: a port bound by nobody listening. */
    int holder, closed = closed_port(&holder);
    c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect to a closed port", connect_v4(c, "127.0.0.1", closed));
    printf("then: revents %#x, SO_ERROR %d, peer %s\n", revents(c, ALL), getint(c, SOL_SOCKET, SO_ERROR), name_of(c, 1));
    SHOW("the same socket connects to a listener", connect_v4(c, "127.0.0.1", port));
    close(c);
    s = accept(srv, NULL, NULL);
    close(s);

    /* Non-blocking connects: in progress, then writable; refused: POLLERR|POLLHUP, SO_ERROR. */
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("non-blocking connect", connect_v4(c, "127.0.0.1", port));
    struct pollfd p = { c, POLLOUT, 0 };
    SHOW("poll POLLOUT", poll(&p, 1, 1000));
    printf("revents %#x, SO_ERROR %d\n", revents(c, ALL), getint(c, SOL_SOCKET, SO_ERROR));
    SHOW("connect again", connect_v4(c, "127.0.0.1", port));
    SHOW("and again", connect_v4(c, "127.0.0.1", port));
    close(c);
    s = accept(srv, NULL, NULL);
    close(s);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("non-blocking connect to a closed port", connect_v4(c, "127.0.0.1", closed));
    p.fd = c; p.events = POLLOUT; p.revents = 0;
    SHOW("poll", poll(&p, 1, 1000));
    printf("revents %#x\n", revents(c, ALL));
    SHOW("SO_ERROR", getint(c, SOL_SOCKET, SO_ERROR));
    SHOW("SO_ERROR again", getint(c, SOL_SOCKET, SO_ERROR));
    printf("revents %#x\n", revents(c, ALL));
    SHOW("connect again", connect_v4(c, "127.0.0.1", closed));
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect_v4(c, "127.0.0.1", closed) < 0 && errno == EINPROGRESS, "EINPROGRESS");
    usleep(2000);
    SHOW("connect again before SO_ERROR", connect_v4(c, "127.0.0.1", closed));
    SHOW("send on a refused socket", send(c, "x", 1, MSG_NOSIGNAL));
    close(c);
    close(holder);

    /* Connecting to 0.0.0.0 reaches the loopback. */
    int any = listener(AF_INET, "0.0.0.0", 4);
    c = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("connect to 0.0.0.0", connect_v4(c, "0.0.0.0", port_of(any, 0)));
    printf("client name %s peer %s\n", name_of(c, 0), name_of(c, 1));
    s = accept(any, NULL, NULL);
    printf("server end name %s\n", name_of(s, 0));
    /* A listener closed with a connection still queued: the client is reset. */
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_SYS(connect_v4(c2, "127.0.0.1", port_of(any, 0)));
    close(any);
    usleep(2000);
    SHOW("client of a closed listener reads", recv(c2, buf, sizeof buf, MSG_DONTWAIT));
    close(c2); close(s); close(c);

    /* AF_UNSPEC connect disconnects a TCP socket. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_SYS(connect_v4(c, "127.0.0.1", port));
    s = accept(srv, NULL, NULL);
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    SHOW("connect AF_UNSPEC", connect(c, &unspec, sizeof unspec));
    printf("then: peer %s, revents %#x\n", name_of(c, 1), revents(c, ALL));
    usleep(2000);
    SHOW("the other end reads", recv(s, buf, sizeof buf, MSG_DONTWAIT));
    close(s); close(c);
    close(srv);
}

static void test_names_and_binds(void)
{
    /* IPv6 and dual stack. */
    int srv6 = listener(AF_INET6, "::", 4);
    int port = port_of(srv6, 0);
    printf("v6 listener %s v6only %d\n", name_of(srv6, 0), getint(srv6, IPPROTO_IPV6, IPV6_V6ONLY));
    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("v4 client to a dual-stack listener", connect_v4(c4, "127.0.0.1", port));
    struct sockaddr_in6 from;
    socklen_t l = sizeof from;
    int s = accept(srv6, (struct sockaddr *)&from, &l);
    char ip[64];
    inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
    printf("accepted from %s len %d, port ok %s\n", ip, (int)l, yesno(ntohs(from.sin6_port) == port_of(c4, 0)));
    printf("server end: %s, peer %s\n", name_of(s, 0), name_of(s, 1));
    printf("v4 client: %s, peer %s\n", name_of(c4, 0), name_of(c4, 1));
    close(s); close(c4);
    int c6 = socket(AF_INET6, SOCK_STREAM, 0);
    SHOW("v6 client to ::1", connect_v6(c6, "::1", port));
    s = accept(srv6, NULL, NULL);
    printf("server end: %s, peer %s\n", name_of(s, 0), name_of(s, 1));
    printf("v6 client: %s, peer %s\n", name_of(c6, 0), name_of(c6, 1));
    close(s); close(c6);
    c6 = socket(AF_INET6, SOCK_STREAM, 0);
    SHOW("v6 client to ::ffff:127.0.0.1", connect_v6(c6, "::ffff:127.0.0.1", port));
    s = accept(srv6, NULL, NULL);
    printf("v6 client: %s, peer %s\n", name_of(c6, 0), name_of(c6, 1));
    close(s); close(c6);
    c6 = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in sin = v4("127.0.0.1", port);
    SHOW("v6 TCP connect with a sockaddr_in", connect(c6, (struct sockaddr *)&sin, sizeof sin));
    struct sockaddr_in6 pad;
    memset(&pad, 0, sizeof pad);
    memcpy(&pad, &sin, sizeof sin);
    SHOW("v6 TCP connect with AF_INET, 28 bytes", connect(c6, (struct sockaddr *)&pad, sizeof pad));
    SHOW("v6 TCP connect with 20 bytes", connect_v6(c6, "::1", port) == 0 ? 0 : -1);
    close(c6);
    s = accept(srv6, NULL, NULL);
    close(s);

    /* The same port on 0.0.0.0 conflicts with a dual-stack ::, not with a v6-only one. */
    int b4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = v4("0.0.0.0", port);
    SHOW("0.0.0.0 on the port of a dual-stack ::", bind(b4, (struct sockaddr *)&a4, sizeof a4));
    close(b4);
    close(srv6);
    int only = socket(AF_INET6, SOCK_STREAM, 0);
    SHOW("IPV6_V6ONLY", setint(only, IPPROTO_IPV6, IPV6_V6ONLY, 1));
    struct sockaddr_in6 a6 = v6("::", 0);
    CHECK_SYS(bind(only, (struct sockaddr *)&a6, sizeof a6));
    CHECK_SYS(listen(only, 4));
    port = port_of(only, 0);
    SHOW("IPV6_V6ONLY after bind", setint(only, IPPROTO_IPV6, IPV6_V6ONLY, 0));
    b4 = socket(AF_INET, SOCK_STREAM, 0);
    a4 = v4("0.0.0.0", port);
    SHOW("0.0.0.0 on the port of a v6-only ::", bind(b4, (struct sockaddr *)&a4, sizeof a4));
    close(b4);
    c4 = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("v4 client to a v6-only listener", connect_v4(c4, "127.0.0.1", port));
    close(c4);
    c6 = socket(AF_INET6, SOCK_STREAM, 0);
    SHOW("v4-mapped client to a v6-only listener", connect_v6(c6, "::ffff:127.0.0.1", port));
    close(c6);
    int m6 = socket(AF_INET6, SOCK_STREAM, 0);
    setint(m6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
    a6 = v6("::ffff:127.0.0.1", 0);
    SHOW("v6-only bind to a v4-mapped address", bind(m6, (struct sockaddr *)&a6, sizeof a6));
    close(m6);
    close(only);

    /* Conflicts between IPv4 binds. */
    int x = socket(AF_INET, SOCK_STREAM, 0), y = socket(AF_INET, SOCK_STREAM, 0);
    a4 = v4("127.0.0.1", 0);
    CHECK_SYS(bind(x, (struct sockaddr *)&a4, sizeof a4));
    a4.sin_port = htons((uint16_t)port_of(x, 0));
    SHOW("bind twice", bind(x, (struct sockaddr *)&a4, sizeof a4));
    SHOW("the same address and port", bind(y, (struct sockaddr *)&a4, sizeof a4));
    struct sockaddr_in wild = v4("0.0.0.0", port_of(x, 0));
    SHOW("0.0.0.0 on that port", bind(y, (struct sockaddr *)&wild, sizeof wild));
    close(y);
    setint(x, SOL_SOCKET, SO_REUSEADDR, 1);
    y = socket(AF_INET, SOCK_STREAM, 0);
    setint(y, SOL_SOCKET, SO_REUSEADDR, 1);
    SHOW("both SO_REUSEADDR, neither listening", bind(y, (struct sockaddr *)&a4, sizeof a4));
    SHOW("listen on the first", listen(x, 1));
    SHOW("listen on the second", listen(y, 1));
    close(y);
    y = socket(AF_INET, SOCK_STREAM, 0);
    setint(y, SOL_SOCKET, SO_REUSEADDR, 1);
    SHOW("SO_REUSEADDR onto a listener", bind(y, (struct sockaddr *)&a4, sizeof a4));
    close(x); close(y);
    x = socket(AF_INET, SOCK_STREAM, 0); y = socket(AF_INET, SOCK_STREAM, 0);
    setint(x, SOL_SOCKET, SO_REUSEPORT, 1); setint(y, SOL_SOCKET, SO_REUSEPORT, 1);
    a4 = v4("127.0.0.1", 0);
    CHECK_SYS(bind(x, (struct sockaddr *)&a4, sizeof a4));
    CHECK_SYS(listen(x, 1));
    a4.sin_port = htons((uint16_t)port_of(x, 0));
    SHOW("both SO_REUSEPORT", bind(y, (struct sockaddr *)&a4, sizeof a4));
    SHOW("both listen", listen(y, 1));
    close(x); close(y);
    x = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("the port is free again", bind(x, (struct sockaddr *)&a4, sizeof a4));
    close(x);
    /* TCP and UDP ports are separate. */
    x = socket(AF_INET, SOCK_STREAM, 0);
    a4 = v4("127.0.0.1", 0);
    CHECK_SYS(bind(x, (struct sockaddr *)&a4, sizeof a4));
    a4.sin_port = htons((uint16_t)port_of(x, 0));
    y = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("UDP on a TCP socket's port", bind(y, (struct sockaddr *)&a4, sizeof a4));
    close(x); close(y);

    /* Bad addresses. */
    x = socket(AF_INET, SOCK_STREAM, 0);
    a4 = v4("127.0.0.1", 0);
    SHOW("bind length 15", bind(x, (struct sockaddr *)&a4, 15));
    SHOW("bind length -1", bind(x, (struct sockaddr *)&a4, (socklen_t)-1));
    SHOW("bind length 200", bind(x, (struct sockaddr *)&a4, 200));
    a4.sin_family = AF_INET6;
    SHOW("bind AF_INET6 on AF_INET", bind(x, (struct sockaddr *)&a4, sizeof a4));
    a4.sin_family = AF_UNSPEC;
    SHOW("bind AF_UNSPEC 127.0.0.1", bind(x, (struct sockaddr *)&a4, sizeof a4));
    a4 = v4("0.0.0.0", 0);
    a4.sin_family = AF_UNSPEC;
    SHOW("bind AF_UNSPEC 0.0.0.0", bind(x, (struct sockaddr *)&a4, sizeof a4));
    printf("bound to %s\n", name_of(x, 0));
    close(x);
    x = socket(AF_INET, SOCK_STREAM, 0);
    a4 = v4("8.8.8.8", 0);
    SHOW("bind a foreign address", bind(x, (struct sockaddr *)&a4, sizeof a4));
    a4 = v4("127.0.0.2", 0);
    SHOW("bind 127.0.0.2", bind(x, (struct sockaddr *)&a4, sizeof a4));
    close(x);
    x = socket(AF_INET6, SOCK_STREAM, 0);
    a6 = v6("::1", 0);
    SHOW("v6 bind length 23", bind(x, (struct sockaddr *)&a6, 23));
    SHOW("v6 bind length 24", bind(x, (struct sockaddr *)&a6, 24));
    printf("bound to %s\n", name_of(x, 0));
    close(x);
    x = socket(AF_INET, SOCK_STREAM, 0);
    SHOW("listen without bind", listen(x, 1));
    printf("autobound %s, port ephemeral %s\n", name_of(x, 0), yesno(port_of(x, 0) >= 32768));
    close(x);
}

static void test_udp(void)
{
    char buf[64];
    int rx = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = v4("127.0.0.1", 0);
    CHECK_SYS(bind(rx, (struct sockaddr *)&a, sizeof a));
    int port = port_of(rx, 0);
    int tx = socket(AF_INET, SOCK_DGRAM, 0);
    printf("unbound sender: %s\n", name_of(tx, 0));
    a.sin_port = htons((uint16_t)port);
    SHOW("sendto", sendto(tx, "datagram-one", 12, 0, (struct sockaddr *)&a, sizeof a));
    printf("sender now %s, port ephemeral %s\n", name_of(tx, 0), yesno(port_of(tx, 0) >= 32768));
    SHOW("sendto", sendto(tx, "two", 3, 0, (struct sockaddr *)&a, sizeof a));
    int n = -1;
    usleep(1000);
    CHECK_SYS(ioctl(rx, FIONREAD, &n));
    printf("FIONREAD %d, revents %#x\n", n, revents(rx, ALL));
    struct sockaddr_in from;
    socklen_t l = sizeof from;
    memset(buf, 0, sizeof buf);
    SHOW("recvfrom 4 MSG_TRUNC", recvfrom(rx, buf, 4, MSG_TRUNC, (struct sockaddr *)&from, &l));
    printf("got '%s' from port ok %s len %d\n", buf, yesno(ntohs(from.sin_port) == port_of(tx, 0)), (int)l);
    struct iovec iov = { buf, 2 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov; m.msg_iovlen = 1;
    SHOW("recvmsg 2 of 3", recvmsg(rx, &m, 0));
    printf("msg_flags %#x namelen %d\n", m.msg_flags, (int)m.msg_namelen);
    SHOW("recv empty", recv(rx, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("sendto 0 bytes", sendto(tx, "", 0, 0, (struct sockaddr *)&a, sizeof a));
    usleep(1000);
    printf("revents after an empty datagram %#x\n", revents(rx, ALL));
    SHOW("recv it", recv(rx, buf, sizeof buf, 0));
    SHOW("sendto 65508 bytes", sendto(tx, malloc(70000), 65508, 0, (struct sockaddr *)&a, sizeof a));

    /* To a port nobody binds: dropped. Connected: the next call is refused. */
    int hole = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in h = v4("127.0.0.1", 0);
    CHECK_SYS(bind(hole, (struct sockaddr *)&h, sizeof h));
    int hport = port_of(hole, 0);
    close(hole);
    h.sin_port = htons((uint16_t)hport);
    SHOW("sendto nobody", sendto(tx, "x", 1, 0, (struct sockaddr *)&h, sizeof h));
    usleep(2000);
    SHOW("sendto nobody again", sendto(tx, "x", 1, 0, (struct sockaddr *)&h, sizeof h));
    SHOW("SO_ERROR", getint(tx, SOL_SOCKET, SO_ERROR));
    int cu = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("connect UDP to nobody", connect(cu, (struct sockaddr *)&h, sizeof h));
    printf("connected: %s peer %s, revents %#x\n", name_of(cu, 0), name_of(cu, 1), revents(cu, ALL));
    SHOW("send", send(cu, "x", 1, 0));
    usleep(2000);
    printf("revents %#x\n", revents(cu, ALL));
    SHOW("send again", send(cu, "x", 1, 0));
    SHOW("send", send(cu, "x", 1, 0));
    usleep(2000);
    SHOW("recv", recv(cu, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("recv", recv(cu, buf, sizeof buf, MSG_DONTWAIT));
    SHOW("send", send(cu, "x", 1, 0));
    usleep(2000);
    SHOW("SO_ERROR", getint(cu, SOL_SOCKET, SO_ERROR));
    struct sockaddr unspec = { .sa_family = AF_UNSPEC };
    SHOW("connect AF_UNSPEC", connect(cu, &unspec, sizeof unspec));
    printf("disconnected: %s peer %s\n", name_of(cu, 0), name_of(cu, 1));
    SHOW("send", send(cu, "x", 1, 0));
    close(cu);

    /* A connected UDP socket takes datagrams only from its peer. */
    cu = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_SYS(connect(cu, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_in cua;
    l = sizeof cua;
    getsockname(cu, (struct sockaddr *)&cua, &l);
    SHOW("rx sends to the connected socket", sendto(rx, "from-rx", 7, 0, (struct sockaddr *)&cua, sizeof cua));
    SHOW("tx sends to it", sendto(tx, "from-tx", 7, 0, (struct sockaddr *)&cua, sizeof cua));
    usleep(1000);
    memset(buf, 0, sizeof buf);
    SHOW("recv", recv(cu, buf, sizeof buf, MSG_DONTWAIT));
    printf("got '%s'\n", buf);
    SHOW("recv", recv(cu, buf, sizeof buf, MSG_DONTWAIT));
    close(cu);

    /* sendmmsg / recvmmsg. */
    struct mmsghdr mm[4];
    struct iovec iv[4];
    char bodies[4][8];
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        snprintf(bodies[i], sizeof bodies[i], "m%d", i * 11);
        iv[i].iov_base = bodies[i]; iv[i].iov_len = strlen(bodies[i]);
        mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_name = &a; mm[i].msg_hdr.msg_namelen = sizeof a;
    }
    SHOW("sendmmsg 3", sendmmsg(tx, mm, 3, 0));
    printf("msg_len %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
    usleep(1000);
    char rb[4][16];
    struct sockaddr_in names[4];
    memset(mm, 0, sizeof mm);
    memset(rb, 0, sizeof rb);
    for (int i = 0; i < 4; i++) {
        iv[i].iov_base = rb[i]; iv[i].iov_len = sizeof rb[i];
        mm[i].msg_hdr.msg_iov = &iv[i]; mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_name = &names[i]; mm[i].msg_hdr.msg_namelen = sizeof names[i];
    }
    SHOW("recvmmsg 4 MSG_DONTWAIT", recvmmsg(rx, mm, 4, MSG_DONTWAIT, NULL));
    printf("'%s' '%s' '%s' lens %u %u %u namelen %d\n", rb[0], rb[1], rb[2], mm[0].msg_len, mm[1].msg_len, mm[2].msg_len,
           (int)mm[0].msg_hdr.msg_namelen);
    SHOW("recvmmsg on empty", recvmmsg(rx, mm, 4, MSG_DONTWAIT, NULL));
    CHECK(sendto(tx, "w", 1, 0, (struct sockaddr *)&a, sizeof a) == 1, "sendto");
    usleep(1000);
    SHOW("recvmmsg MSG_WAITFORONE", recvmmsg(rx, mm, 4, MSG_WAITFORONE, NULL));

    /* SO_RCVTIMEO. */
    struct timeval tv = { 0, 3000 };
    CHECK_SYS(setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    SHOW("recv with SO_RCVTIMEO", recv(rx, buf, sizeof buf, 0));

    /* Dual-stack UDP: a v6 socket on :: gets v4 datagrams from v4-mapped senders. */
    int r6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a6 = v6("::", 0);
    CHECK_SYS(bind(r6, (struct sockaddr *)&a6, sizeof a6));
    struct sockaddr_in to4 = v4("127.0.0.1", port_of(r6, 0));
    SHOW("v4 datagram to a dual-stack socket", sendto(tx, "dual", 4, 0, (struct sockaddr *)&to4, sizeof to4));
    usleep(1000);
    struct sockaddr_in6 f6;
    l = sizeof f6;
    SHOW("recvfrom", recvfrom(r6, buf, sizeof buf, 0, (struct sockaddr *)&f6, &l));
    char ip[64];
    inet_ntop(AF_INET6, &f6.sin6_addr, ip, sizeof ip);
    printf("from %s len %d\n", ip, (int)l);
    SHOW("v6 socket sends to a sockaddr_in", sendto(r6, "back", 4, 0, (struct sockaddr *)&a, sizeof a));
    usleep(1000);
    l = sizeof from;
    SHOW("v4 receiver", recvfrom(rx, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &l));
    printf("from %s\n", inet_ntoa(from.sin_addr));
    close(r6); close(rx); close(tx);
}

static void test_options(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct linger lg = { 1, 5 };
    SHOW("SO_REUSEADDR", setint(s, SOL_SOCKET, SO_REUSEADDR, 1));
    SHOW("SO_REUSEPORT", setint(s, SOL_SOCKET, SO_REUSEPORT, 1));
    SHOW("SO_KEEPALIVE", setint(s, SOL_SOCKET, SO_KEEPALIVE, 1));
    SHOW("SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    SHOW("SO_RCVBUF 4096", setint(s, SOL_SOCKET, SO_RCVBUF, 4096));
    SHOW("SO_SNDBUF 4096", setint(s, SOL_SOCKET, SO_SNDBUF, 4096));
    SHOW("TCP_NODELAY", setint(s, IPPROTO_TCP, TCP_NODELAY, 1));
    SHOW("TCP_KEEPIDLE", setint(s, IPPROTO_TCP, TCP_KEEPIDLE, 30));
    SHOW("TCP_KEEPINTVL", setint(s, IPPROTO_TCP, TCP_KEEPINTVL, 5));
    SHOW("TCP_KEEPCNT", setint(s, IPPROTO_TCP, TCP_KEEPCNT, 3));
    SHOW("IP_TOS", setint(s, IPPROTO_IP, IP_TOS, 0x13));
    SHOW("IP_RECVERR", setint(s, IPPROTO_IP, IP_RECVERR, 1));
    SHOW("TCP_KEEPIDLE 0", setint(s, IPPROTO_TCP, TCP_KEEPIDLE, 0));
    SHOW("TCP_KEEPIDLE 40000", setint(s, IPPROTO_TCP, TCP_KEEPIDLE, 40000));
    SHOW("TCP_KEEPCNT 0", setint(s, IPPROTO_TCP, TCP_KEEPCNT, 0));
    SHOW("TCP_KEEPCNT 200", setint(s, IPPROTO_TCP, TCP_KEEPCNT, 200));
    SHOW("TCP_KEEPINTVL 0", setint(s, IPPROTO_TCP, TCP_KEEPINTVL, 0));
    SHOW("IP_TTL 0", setint(s, IPPROTO_IP, IP_TTL, 0));
    SHOW("IP_TTL 256", setint(s, IPPROTO_IP, IP_TTL, 256));
    SHOW("SO_RCVBUF short", setsockopt(s, SOL_SOCKET, SO_RCVBUF, "\1", 1));
    SHOW("SO_LINGER short", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4));
    SHOW("SO_TYPE set", setint(s, SOL_SOCKET, SO_TYPE, 1));
    SHOW("getsockopt SOL_SOCKET 9999", getint(s, SOL_SOCKET, 9999));
    SHOW("getsockopt level 999", getint(s, 999, 1));
    SHOW("getsockopt TCP 9999", getint(s, IPPROTO_TCP, 9999));
    SHOW("getsockopt IPV6_V6ONLY on AF_INET", getint(s, IPPROTO_IPV6, IPV6_V6ONLY));
    SHOW("getsockopt UDP_CORK on TCP", getint(s, IPPROTO_UDP, 1));
    int v = 7;
    socklen_t vl = (socklen_t)-1;
    SHOW("getsockopt optlen -1", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    vl = 0;
    SHOW("getsockopt optlen 0", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("  optlen %d value %d\n", (int)vl, v);
    vl = 2;
    SHOW("getsockopt optlen 2", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl));
    printf("  optlen %d\n", (int)vl);
    vl = 64;
    SHOW("getsockopt optlen 64", getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl));
    printf("  optlen %d\n", (int)vl);

    CHECK_SYS(listen(s, 4));
    int port = port_of(s, 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK_SYS(connect_v4(c, "127.0.0.1", port));
    int a = accept(s, NULL, NULL);
    CHECK_SYS(a);
    for (int i = 0; i < 2; i++) {
        int fd = i ? a : s;
        struct linger got = { 0, 0 };
        socklen_t l = sizeof got;
        getsockopt(fd, SOL_SOCKET, SO_LINGER, &got, &l);
        printf("%s: reuseaddr %d reuseport %d keepalive %d linger %d/%d rcvbuf %d sndbuf %d\n", i ? "accepted" : "listener",
               getint(fd, SOL_SOCKET, SO_REUSEADDR), getint(fd, SOL_SOCKET, SO_REUSEPORT), getint(fd, SOL_SOCKET, SO_KEEPALIVE),
               got.l_onoff, got.l_linger, getint(fd, SOL_SOCKET, SO_RCVBUF), getint(fd, SOL_SOCKET, SO_SNDBUF));
        printf("  nodelay %d keepidle %d keepintvl %d keepcnt %d tos %#x recverr %d ttl %d\n", getint(fd, IPPROTO_TCP, TCP_NODELAY),
               getint(fd, IPPROTO_TCP, TCP_KEEPIDLE), getint(fd, IPPROTO_TCP, TCP_KEEPINTVL), getint(fd, IPPROTO_TCP, TCP_KEEPCNT),
               getint(fd, IPPROTO_IP, IP_TOS), getint(fd, IPPROTO_IP, IP_RECVERR), getint(fd, IPPROTO_IP, IP_TTL));
    }
    printf("client: nodelay %d keepalive %d\n", getint(c, IPPROTO_TCP, TCP_NODELAY), getint(c, SOL_SOCKET, SO_KEEPALIVE));
    SHOW("SO_RCVBUF 1", setint(c, SOL_SOCKET, SO_RCVBUF, 1));
    SHOW("SO_SNDBUF 1", setint(c, SOL_SOCKET, SO_SNDBUF, 1));
    printf("minimums: rcvbuf %d sndbuf %d\n", getint(c, SOL_SOCKET, SO_RCVBUF), getint(c, SOL_SOCKET, SO_SNDBUF));
    /* Read as unsigned: capped at net.core.rmem_max (a sysctl: printed as a relation). */
    SHOW("SO_RCVBUF -5", setint(c, SOL_SOCKET, SO_RCVBUF, -5));
    printf("rcvbuf is twice rmem_max, at least the default's: %s\n", yesno(getint(c, SOL_SOCKET, SO_RCVBUF) >= 2 * 212992));
    close(a); close(c); close(s);

    int u = socket(AF_INET, SOCK_DGRAM, 0);
    SHOW("TCP_NODELAY on UDP", setint(u, IPPROTO_TCP, TCP_NODELAY, 1));
    SHOW("UDP_CORK", setint(u, IPPROTO_UDP, UDP_CORK, 1));
    SHOW("UDP_CORK reads", getint(u, IPPROTO_UDP, UDP_CORK));
    SHOW("IP_TOS on UDP 0x13", setint(u, IPPROTO_IP, IP_TOS, 0x13));
    printf("tos %#x\n", getint(u, IPPROTO_IP, IP_TOS));
    close(u);
}

/* sendfile from a file to a TCP socket, read by a forked peer; epoll on TCP sockets. */
static void test_sendfile_epoll_fork(const char *dir)
{
    char path[300];
    snprintf(path, sizeof path, "%s/payload", dir);
    int f = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    static char data[300000];
    uint32_t seed = 11, sum = 0;
    for (size_t i = 0; i < sizeof data; i++) { data[i] = (char)t_lcg(&seed); sum = sum * 31 + (unsigned char)data[i]; }
    CHECK(t_write_full(f, data, sizeof data) == (ssize_t)sizeof data, "write payload");
    int srv = listener(AF_INET, "127.0.0.1", 4);
    int port = port_of(srv, 0);
    int fds[2];
    CHECK_SYS(pipe(fds));
    pid_t pid = t_fork();
    if (pid == 0) {
        close(srv);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect_v4(c, "127.0.0.1", port) < 0) _exit(2);
        static char in[300000];
        ssize_t got = recv(c, in, sizeof in, MSG_WAITALL);
        uint32_t s2 = 0;
        for (ssize_t i = 0; i < got; i++) s2 = s2 * 31 + (unsigned char)in[i];
        char verdict = got == (ssize_t)sizeof in && s2 == sum ? 'y' : 'n';
        write(fds[1], &verdict, 1);
        send(c, "bye", 3, 0);
        close(c);
        _exit(0);
    }
    int s = accept(srv, NULL, NULL);
    CHECK_SYS(s);
    off_t off = 0;
    SHOW("sendfile 100000 at an offset pointer", sendfile(s, f, &off, 100000));
    printf("offset now %ld, file offset %ld\n", (long)off, (long)lseek(f, 0, SEEK_CUR));
    lseek(f, 100000, SEEK_SET);
    SHOW("sendfile the rest from the file offset", sendfile(s, f, NULL, sizeof data));
    printf("file offset now %ld\n", (long)lseek(f, 0, SEEK_CUR));
    char verdict = 0;
    CHECK(read(fds[0], &verdict, 1) == 1, "verdict");
    printf("forked client got every byte: %s\n", yesno(verdict == 'y'));

    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = 5 }, out[4];
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    t_wait_ok(pid, "client");
    usleep(2000);
    int n = epoll_wait(ep, out, 4, 1000);
    printf("epoll after the client's data and close: %d events %#x\n", n, n > 0 ? out[0].events : 0);
    char buf[8];
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    SHOW("recv", recv(s, buf, sizeof buf, 0));
    SHOW("sendfile to a socket whose peer closed", sendfile(s, f, &off, 10) >= 0 ? 0 : -1);
    close(s); close(ep); close(fds[0]); close(fds[1]);
    SHOW("sendfile from a socket", sendfile(f, srv, NULL, 10));

    /* An edge-triggered listener: accept until EAGAIN. */
    fcntl(srv, F_SETFL, O_NONBLOCK);
    ep = epoll_create1(0);
    ev.events = EPOLLIN | EPOLLET;
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev));
    int c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect_v4(c[i], "127.0.0.1", port);
    }
    usleep(2000);
    n = epoll_wait(ep, out, 4, 1000);
    printf("listener: %d events %#x\n", n, n > 0 ? out[0].events : 0);
    int accepted = 0;
    for (;;) {
        int a = accept4(srv, NULL, NULL, SOCK_NONBLOCK);
        if (a < 0) { printf("accept loop ends with %s after %d\n", errname(errno), accepted); break; }
        accepted++;
        close(a);
    }
    SHOW("listener ET again", epoll_wait(ep, out, 4, 0));
    for (int i = 0; i < 3; i++) close(c[i]);
    close(ep); close(srv); close(f);
}

int main(void)
{
    t_init("sockets_inet");
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);
    const char *dir = t_mktmpdir();
    test_creation();
    test_tcp();
    test_names_and_binds();
    test_udp();
    test_options();
    test_sendfile_epoll_fork(dir);
    t_done();
    return 0;
}
