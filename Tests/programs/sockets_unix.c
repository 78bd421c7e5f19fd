/*
 * sockets_unix.c - AF_UNIX sockets as Linux gives them: socketpair of every type, names
 * (paths, the abstract namespace, autobind), listen/accept/connect with a full backlog,
 * shutdown and what poll/recv/send then give (EOF, EPIPE + SIGPIPE, MSG_NOSIGNAL), the send
 * and receive calls with their flags (PEEK, DONTWAIT, TRUNC, WAITALL, CMSG_CLOEXEC),
 * FIONREAD, SCM_RIGHTS and SCM_CREDENTIALS, SO_PEERCRED, options, epoll readiness, a forked
 * peer, and 32-bit PowerPC's socketcall next to the direct calls. Prints what it sees; the
 * output must match native Linux.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <linux/sockios.h>

static int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); printf("%s: %s\n", label, t_result(r_)); } while (0)

static short revents(int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    CHECK_SYS(poll(&p, 1, 0));
    return p.revents;
}
#define ALL (POLLIN | POLLOUT | POLLRDHUP | POLLPRI)

static const char *tname(int type)
{
    return type == SOCK_STREAM ? "stream" : type == SOCK_DGRAM ? "dgram" : "seqpacket";
}

static int getint(int fd, int level, int name)
{
    int v = -1;
    socklen_t l = sizeof v;
    if (getsockopt(fd, level, name, &v, &l) < 0) return -errno;
    return v;
}

static socklen_t unix_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    snprintf(a->sun_path, sizeof a->sun_path, "%s", path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static void test_pairs(void)
{
    static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
    char buf[64], line[128];
    for (int i = 0; i < 3; i++) {
        int type = types[i], sv[2];
        const char *t = tname(type);
        CHECK_SYS(socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
        printf("%s: nonblock %s cloexec %s\n", t, yesno(fcntl(sv[0], F_GETFL) & O_NONBLOCK),
               yesno(fcntl(sv[1], F_GETFD) & FD_CLOEXEC));
        printf("%s: type %d domain %d protocol %d acceptconn %d\n", t, getint(sv[0], SOL_SOCKET, SO_TYPE) == type,
               getint(sv[0], SOL_SOCKET, SO_DOMAIN), getint(sv[0], SOL_SOCKET, SO_PROTOCOL),
               getint(sv[0], SOL_SOCKET, SO_ACCEPTCONN));
        struct stat st;
        CHECK_SYS(fstat(sv[0], &st));
        printf("%s: S_ISSOCK %s\n", t, yesno(S_ISSOCK(st.st_mode)));
        struct sockaddr_un a;
        socklen_t l = sizeof a;
        CHECK_SYS(getsockname(sv[0], (struct sockaddr *)&a, &l));
        printf("%s: getsockname len %d family %d\n", t, (int)l, a.sun_family);
        l = sizeof a;
        CHECK_SYS(getpeername(sv[0], (struct sockaddr *)&a, &l));
        printf("%s: getpeername len %d\n", t, (int)l);

        snprintf(line, sizeof line, "%s: recv empty", t);
        SHOW(line, recv(sv[1], buf, sizeof buf, 0));
        CHECK(send(sv[0], "hello", 5, 0) == 5, "send hello");
        CHECK(send(sv[0], "world", 5, 0) == 5, "send world");
        int n = -1;
        CHECK_SYS(ioctl(sv[1], FIONREAD, &n));
        printf("%s: FIONREAD %d\n", t, n);
        CHECK_SYS(ioctl(sv[1], SIOCINQ, &n));
        printf("%s: SIOCINQ %d\n", t, n);
        printf("%s: revents %#x\n", t, revents(sv[1], ALL));
        memset(buf, 0, sizeof buf);
        snprintf(line, sizeof line, "%s: peek 3", t);
        SHOW(line, recv(sv[1], buf, 3, MSG_PEEK));
        snprintf(line, sizeof line, "%s: recv 64", t);
        SHOW(line, recv(sv[1], buf, sizeof buf, 0));
        printf("%s: got '%s'\n", t, buf);
        if (type != SOCK_STREAM) CHECK(recv(sv[1], buf, sizeof buf, 0) == 5, "second message");

        /* MSG_TRUNC: a message's full length; on a unix stream, no effect. */
        CHECK(send(sv[0], "0123456789", 10, 0) == 10, "send 10");
        memset(buf, 0, sizeof buf);
        snprintf(line, sizeof line, "%s: recv 4 MSG_TRUNC", t);
        SHOW(line, recv(sv[1], buf, 4, MSG_TRUNC));
        printf("%s: copied '%s'\n", t, buf);
        while (recv(sv[1], buf, sizeof buf, 0) > 0) {}
        /* recvmsg's msg_flags for a short buffer. */
        CHECK(send(sv[0], "abcdefgh", 8, 0) == 8, "send 8");
        struct iovec iov = { buf, 3 };
        struct msghdr m;
        memset(&m, 0, sizeof m);
        m.msg_iov = &iov; m.msg_iovlen = 1;
        snprintf(line, sizeof line, "%s: recvmsg 3", t);
        SHOW(line, recvmsg(sv[1], &m, 0));
        printf("%s: msg_flags %#x\n", t, m.msg_flags);
        while (recv(sv[1], buf, sizeof buf, 0) > 0) {}

        /* Zero-length sends: an empty datagram is a message; a stream has nothing to read. */
        snprintf(line, sizeof line, "%s: send 0", t);
        SHOW(line, send(sv[0], "", 0, 0));
        snprintf(line, sizeof line, "%s: recv after send 0", t);
        SHOW(line, recv(sv[1], buf, sizeof buf, 0));
        snprintf(line, sizeof line, "%s: MSG_DONTWAIT on blocking", t);
        int fl = fcntl(sv[1], F_GETFL);
        fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);
        SHOW(line, recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
        close(sv[0]);
        snprintf(line, sizeof line, "%s: recv after peer close", t);
        SHOW(line, recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
        printf("%s: revents after peer close %#x\n", t, revents(sv[1], ALL));
        snprintf(line, sizeof line, "%s: send after peer close", t);
        SHOW(line, send(sv[1], "x", 1, MSG_NOSIGNAL));
        snprintf(line, sizeof line, "%s: send again", t);
        SHOW(line, send(sv[1], "x", 1, MSG_NOSIGNAL));
        close(sv[1]);
    }

    int sv[2];
    SHOW("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, sv));
    SHOW("socketpair unix proto 7", socketpair(AF_UNIX, SOCK_STREAM, 7, sv));
    SHOW("socketpair flags 0x100000", socketpair(AF_UNIX, SOCK_STREAM | 0x100000, 0, sv));
    int fd = socket(AF_UNIX, SOCK_RAW, 0);
    printf("unix SOCK_RAW: %s type dgram %s\n", t_result(fd), yesno(fd >= 0 && getint(fd, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM));
    if (fd >= 0) close(fd);
    SHOW("unix SOCK_RDM", socket(AF_UNIX, SOCK_RDM, 0));
    SHOW("unix type 0", socket(AF_UNIX, 0, 0));
    SHOW("unix type 10", socket(AF_UNIX, 10, 0));
    SHOW("unix type 11", socket(AF_UNIX, 11, 0));
    SHOW("family 45", socket(45, SOCK_STREAM, 0));
    SHOW("family 1000", socket(1000, SOCK_STREAM, 0));
    SHOW("getsockname on a pipe", getsockname(0 * 0 + (pipe(sv) == 0 ? sv[0] : -1), NULL, NULL));
    close(sv[0]); close(sv[1]);
}

/* shutdown on a connected stream pair, and what each side then sees. */
static void test_shutdown(void)
{
    int sv[2];
    char buf[16];
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigpipe;
    sigaction(SIGPIPE, &sa, NULL);

    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    CHECK(send(sv[0], "ab", 2, 0) == 2, "send ab");
    SHOW("SHUT_WR", shutdown(sv[0], SHUT_WR));
    printf("after SHUT_WR: writer %#x reader %#x\n", revents(sv[0], ALL), revents(sv[1], ALL));
    SHOW("reader recv", recv(sv[1], buf, sizeof buf, 0));
    SHOW("reader recv at EOF", recv(sv[1], buf, sizeof buf, 0));
    sigpipes = 0;
    SHOW("writer send", send(sv[0], "x", 1, 0));
    printf("SIGPIPE: %d\n", sigpipes);
    SHOW("writer send MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL));
    printf("SIGPIPE: %d\n", sigpipes);
    SHOW("reader can still send", send(sv[1], "back", 4, 0));
    SHOW("writer reads it", recv(sv[0], buf, sizeof buf, 0));
    SHOW("SHUT_RD reader", shutdown(sv[1], SHUT_RD));
    printf("after SHUT_RD: writer %#x reader %#x\n", revents(sv[0], ALL), revents(sv[1], ALL));
    SHOW("SHUT_RDWR", shutdown(sv[0], SHUT_RDWR));
    printf("after SHUT_RDWR: writer %#x reader %#x\n", revents(sv[0], ALL), revents(sv[1], ALL));
    SHOW("shutdown 3", shutdown(sv[0], 3));
    SHOW("shutdown -1", shutdown(sv[0], -1));
    close(sv[0]); close(sv[1]);

    /* SHUT_RD first: queued data is still read, then EOF; the peer's sends fail. */
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    CHECK(send(sv[0], "cd", 2, 0) == 2, "send cd");
    SHOW("SHUT_RD", shutdown(sv[1], SHUT_RD));
    SHOW("queued data", recv(sv[1], buf, sizeof buf, 0));
    SHOW("then", recv(sv[1], buf, sizeof buf, 0));
    sigpipes = 0;
    SHOW("peer send", send(sv[0], "x", 1, 0));
    printf("SIGPIPE: %d\n", sigpipes);
    close(sv[0]); close(sv[1]);

    /* Closing with unread data: the peer reads what it has, then ECONNRESET once, then EOF. */
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    CHECK(send(sv[0], "to-be-lost", 10, 0) == 10, "send");
    CHECK(send(sv[1], "kept", 4, 0) == 4, "send");
    close(sv[1]);
    printf("closed with unread data: revents %#x\n", revents(sv[0], ALL));
    SHOW("read", recv(sv[0], buf, sizeof buf, 0));
    SHOW("read", recv(sv[0], buf, sizeof buf, 0));
    SHOW("read", recv(sv[0], buf, sizeof buf, 0));
    printf("then revents %#x\n", revents(sv[0], ALL));
    close(sv[0]);

    /* shutdown on sockets that are not connected. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("shutdown unconnected stream", shutdown(fd, SHUT_RDWR));
    printf("unconnected stream revents %#x\n", revents(fd, ALL));
    close(fd);
    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("shutdown unconnected dgram", shutdown(fd, SHUT_WR));
    printf("unconnected dgram revents %#x\n", revents(fd, ALL));
    close(fd);
    SHOW("shutdown a pipe", shutdown(1, SHUT_RD) == 0 ? 0 : -1);

    /* The default SIGPIPE action kills the writer. */
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    close(sv[1]);
    pid_t pid = t_fork();
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        send(sv[0], "x", 1, 0);
        _exit(0);
    }
    int st = t_wait(pid);
    printf("writer killed by SIGPIPE: %s\n", yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE));
    close(sv[0]);
}

static void test_names(const char *dir)
{
    char path[200], other[200], buf[64];
    struct sockaddr_un a, got;
    socklen_t l;
    snprintf(path, sizeof path, "%s/srv", dir);

    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("listen unbound", listen(srv, 5));
    socklen_t al = unix_addr(&a, path);
    SHOW("bind path", bind(srv, (struct sockaddr *)&a, al));
    SHOW("bind again", bind(srv, (struct sockaddr *)&a, al));
    struct stat st;
    CHECK_SYS(stat(path, &st));
    printf("socket file: S_ISSOCK %s\n", yesno(S_ISSOCK(st.st_mode)));
    SHOW("open the socket file", open(path, O_RDONLY));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect before listen", connect(c, (struct sockaddr *)&a, al));
    int dup = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind the same path", bind(dup, (struct sockaddr *)&a, al));
    close(dup);
    SHOW("accept before listen", accept(srv, NULL, NULL));
    SHOW("listen", listen(srv, 5));
    SHOW("listen again", listen(srv, 10));
    printf("listener acceptconn %d, revents %#x\n", getint(srv, SOL_SOCKET, SO_ACCEPTCONN), revents(srv, ALL));
    SHOW("connect", connect(c, (struct sockaddr *)&a, al));
    printf("listener revents %#x\n", revents(srv, ALL));
    SHOW("connect again", connect(c, (struct sockaddr *)&a, al));
    l = sizeof got;
    memset(&got, 0xff, sizeof got);
    int s = accept(srv, (struct sockaddr *)&got, &l);
    printf("accept: %s, peer addrlen %d\n", t_result(s >= 0 ? 0 : -1), (int)l);
    l = sizeof got;
    CHECK_SYS(getsockname(s, (struct sockaddr *)&got, &l));
    printf("accepted getsockname: len ok %s path ok %s\n", yesno(l == al), yesno(strcmp(got.sun_path, path) == 0));
    l = sizeof got;
    CHECK_SYS(getpeername(c, (struct sockaddr *)&got, &l));
    printf("client getpeername: len ok %s path ok %s\n", yesno(l == al), yesno(strcmp(got.sun_path, path) == 0));
    l = sizeof got;
    CHECK_SYS(getsockname(c, (struct sockaddr *)&got, &l));
    printf("client getsockname len %d\n", (int)l);
    /* A short buffer gets a cut name and the full length. */
    l = 4;
    memset(&got, 0, sizeof got);
    CHECK_SYS(getpeername(c, (struct sockaddr *)&got, &l));
    printf("short getpeername: len ok %s, bytes %d %d\n", yesno(l == al), got.sun_path[0] == path[0], got.sun_path[2] == 0);
    /* recvfrom on a stream: the sender's name (the server end: the listener's path). */
    CHECK(send(s, "hi", 2, 0) == 2, "send");
    l = sizeof got;
    memset(&got, 0, sizeof got);
    SHOW("client recvfrom", recvfrom(c, buf, sizeof buf, 0, (struct sockaddr *)&got, &l));
    printf("client recvfrom addrlen ok %s\n", yesno(l == al));
    CHECK(send(c, "yo", 2, 0) == 2, "send");
    l = sizeof got;
    SHOW("server recvfrom", recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&got, &l));
    printf("server recvfrom addrlen %d\n", (int)l);
    SHOW("send with an address (connected)", sendto(c, "x", 1, 0, (struct sockaddr *)&a, al));
    int lone = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("send on an unconnected stream", send(lone, "x", 1, MSG_NOSIGNAL));
    SHOW("sendto on an unconnected stream", sendto(lone, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, al));
    SHOW("recv on an unconnected stream", recv(lone, buf, 1, MSG_DONTWAIT));
    SHOW("getpeername unconnected", getpeername(lone, (struct sockaddr *)&got, &l));
    SHOW("recv on a listener", recv(srv, buf, 1, MSG_DONTWAIT));
    SHOW("send on a listener", send(srv, buf, 1, MSG_NOSIGNAL));
    close(lone);
    close(s); close(c);

    /* The wrong type at a path, a path with no socket, a regular file. */
    int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("dgram connect to a stream listener", connect(dg, (struct sockaddr *)&a, al));
    SHOW("listen on dgram", listen(dg, 1));
    SHOW("accept on dgram", accept(dg, NULL, NULL));
    close(dg);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(other, sizeof other, "%s/none", dir);
    socklen_t ol = unix_addr(&a, other);
    SHOW("connect to a missing path", connect(c, (struct sockaddr *)&a, ol));
    int f = open(other, O_CREAT | O_WRONLY, 0600);
    close(f);
    SHOW("connect to a regular file", connect(c, (struct sockaddr *)&a, ol));
    SHOW("bind over a regular file", bind(c, (struct sockaddr *)&a, ol));
    snprintf(other, sizeof other, "%s/nodir/x", dir);
    ol = unix_addr(&a, other);
    SHOW("bind in a missing directory", bind(c, (struct sockaddr *)&a, ol));
    close(c);

    /* After the listener closes, the file stays and refuses. */
    close(srv);
    al = unix_addr(&a, path);
    CHECK_SYS(stat(path, &st));
    printf("socket file after close: exists\n");
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect after the listener closed", connect(c, (struct sockaddr *)&a, al));
    close(c);
    unlink(path);

    /* Bad addresses. */
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    a.sun_family = AF_INET;
    SHOW("bind with AF_INET", bind(c, (struct sockaddr *)&a, al));
    a.sun_family = AF_UNIX;
    SHOW("bind length 1", bind(c, (struct sockaddr *)&a, 1));
    SHOW("bind length 111", bind(c, (struct sockaddr *)&a, 111));
    SHOW("bind length -1", bind(c, (struct sockaddr *)&a, (socklen_t)-1));
    SHOW("connect length 0", connect(c, (struct sockaddr *)&a, 0));
    SHOW("connect unnamed", connect(c, (struct sockaddr *)&a, sizeof(sa_family_t)));
    /* A 108-byte path without a NUL (relative: made in the temp dir). */
    char cwd[256];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    CHECK_SYS(chdir(dir));
    memset(a.sun_path, 'x', sizeof a.sun_path);
    SHOW("bind 108 bytes without NUL", bind(c, (struct sockaddr *)&a, sizeof a));
    memset(path, 'x', 108);
    path[108] = 0;
    CHECK_SYS(stat(path, &st));
    unlink(path);
    CHECK_SYS(chdir(cwd));
    close(c);

    /* The abstract namespace. */
    srv = socket(AF_UNIX, SOCK_STREAM, 0);
    al = abstract_addr(&a, "umlab-abstract-test");
    SHOW("bind abstract", bind(srv, (struct sockaddr *)&a, al));
    int d2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind abstract again", bind(d2, (struct sockaddr *)&a, al));
    CHECK_SYS(listen(srv, 4));
    l = sizeof got;
    CHECK_SYS(getsockname(srv, (struct sockaddr *)&got, &l));
    printf("abstract getsockname len ok %s, NUL first %s\n", yesno(l == al), yesno(got.sun_path[0] == 0));
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect abstract", connect(c, (struct sockaddr *)&a, al));
    SHOW("connect abstract, shorter name", connect(d2, (struct sockaddr *)&a, al - 1));
    close(d2);
    s = accept(srv, NULL, NULL);
    CHECK_SYS(s);
    close(s); close(c);
    close(srv);
    d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("abstract name free after close", bind(d2, (struct sockaddr *)&a, al));
    close(d2);

    /* Autobind: a bind with only the family, a SO_PASSCRED sender, a listen on an autobound socket. */
    int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("autobind", bind(ab, (struct sockaddr *)&a, sizeof(sa_family_t)));
    l = sizeof got;
    CHECK_SYS(getsockname(ab, (struct sockaddr *)&got, &l));
    int hex = 1;
    for (int i = 1; i < 6; i++) hex &= strchr("0123456789abcdef", got.sun_path[i]) != NULL && got.sun_path[i];
    printf("autobind name: len %d, NUL first %s, 5 hex digits %s\n", (int)l, yesno(got.sun_path[0] == 0), yesno(hex));
    int rx = socket(AF_UNIX, SOCK_DGRAM, 0);
    al = abstract_addr(&a, "umlab-dgram-rx");
    CHECK_SYS(bind(rx, (struct sockaddr *)&a, al));
    int tx = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sendto(tx, "anon", 4, 0, (struct sockaddr *)&a, al) == 4, "sendto");
    l = sizeof got;
    memset(&got, 0xff, sizeof got);
    SHOW("recvfrom an unbound sender", recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&got, &l));
    printf("its addrlen %d\n", (int)l);
    int on = 1;
    CHECK_SYS(setsockopt(tx, SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    CHECK(sendto(tx, "cred", 4, 0, (struct sockaddr *)&a, al) == 4, "sendto");
    l = sizeof got;
    SHOW("recvfrom a SO_PASSCRED sender", recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&got, &l));
    printf("its addrlen %d, abstract %s\n", (int)l, yesno(got.sun_path[0] == 0));
    close(tx);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_SYS(bind(ls, (struct sockaddr *)&a, sizeof(sa_family_t)));
    SHOW("listen on an autobound socket", listen(ls, 1));
    close(ls); close(ab);

    /* Datagram peers: connect, send to a socket connected elsewhere, a closed peer. */
    int p1 = socket(AF_UNIX, SOCK_DGRAM, 0), p2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a1, a2;
    socklen_t l1 = abstract_addr(&a1, "umlab-p1"), l2 = abstract_addr(&a2, "umlab-p2");
    CHECK_SYS(bind(p1, (struct sockaddr *)&a1, l1));
    CHECK_SYS(bind(p2, (struct sockaddr *)&a2, l2));
    SHOW("dgram send unconnected", send(p1, "x", 1, 0));
    SHOW("dgram connect", connect(p1, (struct sockaddr *)&a, al));
    SHOW("dgram connect to a missing abstract name", connect(p2, (struct sockaddr *)&a1, l1 - 1));
    SHOW("dgram send connected", send(p1, "one", 3, 0));
    SHOW("rx connects to p2", connect(rx, (struct sockaddr *)&a2, l2));
    SHOW("p1 sends to rx, connected elsewhere", send(p1, "two", 3, 0));
    SHOW("p2 sends to rx", sendto(p2, "three", 5, 0, (struct sockaddr *)&a, al));
    l = sizeof got;
    SHOW("rx recvfrom", recvfrom(rx, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&got, &l));
    SHOW("rx recvfrom", recvfrom(rx, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&got, &l));
    SHOW("rx recvfrom", recvfrom(rx, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&got, &l));
    printf("p1 revents %#x\n", revents(p1, ALL));
    close(rx);
    printf("p1 revents after rx closed %#x\n", revents(p1, ALL));
    SHOW("p1 send to a closed peer", send(p1, "x", 1, 0));
    SHOW("p1 send again", send(p1, "x", 1, 0));
    SHOW("p1 getpeername", getpeername(p1, (struct sockaddr *)&got, &l));
    SHOW("dgram to a socket whose peer closed", sendto(p2, "x", 1, 0, (struct sockaddr *)&a1, l1));
    SHOW("dgram too big", send(p2, buf, 300000, 0));
    close(p1); close(p2);
}

/* listen(fd, 1) takes two connections; a non-blocking third gets EAGAIN, a blocking one waits. */
static void test_backlog(void)
{
    struct sockaddr_un a;
    socklen_t al = abstract_addr(&a, "umlab-backlog");
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_SYS(bind(srv, (struct sockaddr *)&a, al));
    CHECK_SYS(listen(srv, 1));
    int c[4];
    for (int i = 0; i < 3; i++) {
        char label[32];
        c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        snprintf(label, sizeof label, "backlog connect %d", i + 1);
        SHOW(label, connect(c[i], (struct sockaddr *)&a, al));
    }
    printf("full client revents %#x\n", revents(c[2], ALL));
    close(c[2]);
    /* The connected but not yet accepted client can already send. */
    SHOW("send before accept", send(c[0], "early", 5, 0));
    int fds[2];
    CHECK_SYS(pipe(fds));
    pid_t pid = t_fork();
    if (pid == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        int r = connect(s, (struct sockaddr *)&a, al);
        char ok = r == 0 ? 'y' : 'n';
        write(fds[1], &ok, 1);
        send(s, "late", 4, 0);
        _exit(0);
    }
    usleep(20000);
    char ok = 0;
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    printf("blocked connect returned before accept: %s\n", yesno(read(fds[0], &ok, 1) == 1));
    char buf[16] = { 0 };
    int s = accept(srv, NULL, NULL);
    CHECK_SYS(s);
    SHOW("first accepted reads", recv(s, buf, sizeof buf, 0));
    printf("data '%s'\n", buf);
    fcntl(fds[0], F_SETFL, 0);
    CHECK(read(fds[0], &ok, 1) == 1, "child's answer");
    printf("blocked connect succeeded after accept: %s\n", yesno(ok == 'y'));
    close(s);
    s = accept(srv, NULL, NULL);
    close(s);
    s = accept(srv, NULL, NULL);
    memset(buf, 0, sizeof buf);
    SHOW("third accepted reads", recv(s, buf, sizeof buf, MSG_WAITALL));
    printf("data '%s'\n", buf);
    t_wait_ok(pid, "connector");
    close(s); close(c[0]); close(c[1]); close(fds[0]); close(fds[1]);

    /* accept4 flags; accept on a non-blocking listener; a listener closed with pending clients. */
    int cl = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_SYS(connect(cl, (struct sockaddr *)&a, al));
    SHOW("accept4 bad flags", accept4(srv, NULL, NULL, 0x1));
    s = accept4(srv, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    CHECK_SYS(s);
    printf("accept4: nonblock %s cloexec %s\n", yesno(fcntl(s, F_GETFL) & O_NONBLOCK), yesno(fcntl(s, F_GETFD) & FD_CLOEXEC));
    close(s); close(cl);
    fcntl(srv, F_SETFL, O_NONBLOCK);
    SHOW("accept on an empty non-blocking listener", accept(srv, NULL, NULL));
    socklen_t bad = (socklen_t)-1;
    SHOW("accept with addrlen -1", accept(srv, (struct sockaddr *)&a, &bad));
    CHECK_SYS(connect(cl = socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, al));
    close(srv);
    char b;
    SHOW("client of a closed listener reads", recv(cl, &b, 1, MSG_DONTWAIT));
    SHOW("and sends", send(cl, "x", 1, MSG_NOSIGNAL));
    printf("its revents %#x\n", revents(cl, ALL));
    close(cl);
}

static void send_fds(int sock, const int *fds, int n, const char *data)
{
    char control[CMSG_SPACE(sizeof(int) * 16)];
    memset(control, 0, sizeof control);
    struct iovec iov = { (void *)data, strlen(data) };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(h), fds, sizeof(int) * n);
    CHECK(sendmsg(sock, &m, 0) == (ssize_t)strlen(data), "sendmsg with rights");
}

/* Receives with a control buffer of `room` bytes; returns the fds got (up to 16). */
static int recv_fds(int sock, int room, int flags, int *fds, int *msgflags, char *data)
{
    char control[512];
    struct iovec iov = { data, 15 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    memset(data, 0, 16);
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = room ? control : NULL;
    m.msg_controllen = (size_t)room;
    ssize_t r = recvmsg(sock, &m, flags);
    CHECK_SYS(r);
    *msgflags = m.msg_flags;
    int n = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            int k = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds + n, CMSG_DATA(h), sizeof(int) * k);
            n += k;
        }
    }
    return n;
}


static void test_rights(const char *dir)
{
    char path[200], data[16];
    int sv[2], got[16], mf;
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    /* Three descriptors: a file (closed by the sender before the receive), a pipe's two ends. */
    snprintf(path, sizeof path, "%s/passed", dir);
    int f = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(write(f, "file-data", 9) == 9, "write");
    int p[2];
    CHECK_SYS(pipe(p));
    int three[3] = { f, p[0], p[1] };
    send_fds(sv[0], three, 3, "fds");
    close(f); close(p[0]); close(p[1]);
    int n = recv_fds(sv[1], 512, MSG_CMSG_CLOEXEC, got, &mf, data);
    printf("rights: %d fds, data '%s', msg_flags %#x\n", n, data, mf);
    printf("cloexec %s %s %s\n", yesno(fcntl(got[0], F_GETFD) & FD_CLOEXEC), yesno(fcntl(got[1], F_GETFD) & FD_CLOEXEC),
           yesno(fcntl(got[2], F_GETFD) & FD_CLOEXEC));
    char buf[16] = { 0 };
    CHECK(pread(got[0], buf, 9, 0) == 9, "pread");
    printf("file through the socket: '%s'\n", buf);
    CHECK(write(got[2], "pipe", 4) == 4, "write pipe");
    memset(buf, 0, sizeof buf);
    CHECK(read(got[1], buf, 4) == 4, "read pipe");
    printf("pipe through the socket: '%s'\n", buf);
    for (int i = 0; i < n; i++) close(got[i]);

    /* A short control buffer: what fits, MSG_CTRUNC; the rest are closed. */
    CHECK_SYS(pipe(p));
    int four[4] = { p[0], p[1], p[0], p[1] };
    send_fds(sv[0], four, 4, "ctr");
    n = recv_fds(sv[1], (int)CMSG_SPACE(sizeof(int) * 2), 0, got, &mf, data);
    printf("short control: %d fds, MSG_CTRUNC %s, data '%s'\n", n, yesno(mf & MSG_CTRUNC), data);
    for (int i = 0; i < n; i++) close(got[i]);
    close(p[0]);
    /* The pipe's write end is closed everywhere now: what was cut was closed. */
    printf("pipe reader sees EOF: %s\n", yesno(read(p[1] == p[1] ? p[0] : p[0], buf, 1) <= 0));
    close(p[1]);

    /* No control buffer at all. */
    CHECK_SYS(pipe(p));
    send_fds(sv[0], p, 2, "none");
    n = recv_fds(sv[1], 0, 0, got, &mf, data);
    printf("no control buffer: %d fds, MSG_CTRUNC %s, data '%s'\n", n, yesno(mf & MSG_CTRUNC), data);
    close(p[0]); close(p[1]);

    /* A control buffer smaller than one header. */
    CHECK_SYS(pipe(p));
    send_fds(sv[0], p, 1, "tiny");
    n = recv_fds(sv[1], 4, 0, got, &mf, data);
    printf("4-byte control buffer: %d fds, MSG_CTRUNC %s\n", n, yesno(mf & MSG_CTRUNC));
    close(p[0]); close(p[1]);

    /* A read runs on into a span that carries rights and stops at its end. */
    CHECK(send(sv[0], "plain", 5, 0) == 5, "send");
    CHECK_SYS(pipe(p));
    send_fds(sv[0], p, 1, "withfd");
    CHECK(send(sv[0], "after", 5, 0) == 5, "send");
    n = recv_fds(sv[1], 512, 0, got, &mf, data);
    printf("read across the rights: %d fd, data '%s'\n", n, data);
    for (int i = 0; i < n; i++) close(got[i]);
    memset(buf, 0, sizeof buf);
    SHOW("then", recv(sv[1], buf, sizeof buf, 0));
    /* Rights received by a plain recv are closed. */
    send_fds(sv[0], p, 1, "dropped");
    SHOW("recv of rights without a control buffer", recv(sv[1], buf, sizeof buf, 0));
    close(p[0]); close(p[1]);

    /* MSG_PEEK with rights: installs them, and they are there again for the real read. */
    CHECK_SYS(pipe(p));
    send_fds(sv[0], p, 1, "peek");
    n = recv_fds(sv[1], 512, MSG_PEEK, got, &mf, data);
    printf("peek: %d fd, data '%s'\n", n, data);
    for (int i = 0; i < n; i++) close(got[i]);
    n = recv_fds(sv[1], 512, 0, got, &mf, data);
    printf("read: %d fd, data '%s'\n", n, data);
    for (int i = 0; i < n; i++) close(got[i]);
    close(p[0]); close(p[1]);

    /* Bad control messages. */
    {
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { "x", 1 };
        struct msghdr m;
        memset(&m, 0, sizeof m);
        memset(control, 0, sizeof control);
        m.msg_iov = &iov; m.msg_iovlen = 1;
        m.msg_control = control; m.msg_controllen = sizeof control;
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_RIGHTS; h->cmsg_len = CMSG_LEN(sizeof(int));
        *(int *)CMSG_DATA(h) = 999;
        SHOW("SCM_RIGHTS with a bad fd", sendmsg(sv[0], &m, 0));
        *(int *)CMSG_DATA(h) = 0;
        h->cmsg_len = sizeof control + 8;
        SHOW("cmsg_len past the buffer", sendmsg(sv[0], &m, 0));
        h->cmsg_len = 2;
        SHOW("cmsg_len below a header", sendmsg(sv[0], &m, 0));
        h->cmsg_len = CMSG_LEN(sizeof(int));
        h->cmsg_type = 77;
        SHOW("unknown SOL_SOCKET cmsg type", sendmsg(sv[0], &m, 0));
        h->cmsg_level = 123;
        SHOW("unknown cmsg level", sendmsg(sv[0], &m, 0));
        m.msg_controllen = 4;
        SHOW("controllen 4", sendmsg(sv[0], &m, 0));
        char tmp[8];
        while (recv(sv[1], tmp, sizeof tmp, MSG_DONTWAIT) > 0) {}
    }

    /* Rights on a datagram pair; a message dropped unread closes its descriptors. */
    int dv[2];
    CHECK_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv));
    CHECK_SYS(pipe(p));
    send_fds(dv[0], &p[1], 1, "d1");
    close(p[1]);
    close(dv[1]);
    close(dv[0]);
    printf("rights dropped with the socket: reader sees EOF %s\n", yesno(read(p[0], buf, 1) == 0));
    close(p[0]);

    /* A socket sent over itself (in flight when both ends close) is released. */
    CHECK_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, dv));
    send_fds(dv[0], &dv[1], 1, "self");
    close(dv[0]); close(dv[1]);
    printf("socket sent over itself: closed\n");
    close(sv[0]); close(sv[1]);
}

static void test_credentials(void)
{
    int sv[2], on = 1;
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct ucred cr;
    socklen_t l = sizeof cr;
    CHECK_SYS(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l));
    printf("SO_PEERCRED of a pair: pid is mine %s, uid %s, gid %s, len %d\n", yesno(cr.pid == getpid()),
           yesno(cr.uid == getuid()), yesno(cr.gid == getgid()), (int)l);
    CHECK_SYS(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    printf("SO_PASSCRED reads back %d\n", getint(sv[1], SOL_SOCKET, SO_PASSCRED));
    CHECK(send(sv[0], "c", 1, 0) == 1, "send");
    char data[8], control[256];
    struct iovec iov = { data, sizeof data };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = &iov; m.msg_iovlen = 1;
    m.msg_control = control; m.msg_controllen = sizeof control;
    SHOW("recvmsg with SO_PASSCRED", recvmsg(sv[1], &m, 0));
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    int ok = h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS && h->cmsg_len == CMSG_LEN(sizeof cr);
    if (ok) memcpy(&cr, CMSG_DATA(h), sizeof cr);
    printf("SCM_CREDENTIALS: present %s, pid mine %s, uid %s, controllen is one CMSG_SPACE %s\n", yesno(ok),
           yesno(ok && cr.pid == getpid()), yesno(ok && cr.uid == getuid()), yesno(m.msg_controllen == CMSG_SPACE(sizeof cr)));

    /* Explicit credentials: one's own are fine; someone else's pid needs privilege (root has it). */
    char cbuf[CMSG_SPACE(sizeof cr)];
    memset(cbuf, 0, sizeof cbuf);
    iov.iov_base = "e"; iov.iov_len = 1;
    m.msg_control = cbuf; m.msg_controllen = sizeof cbuf;
    h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET; h->cmsg_type = SCM_CREDENTIALS; h->cmsg_len = CMSG_LEN(sizeof cr);
    cr.pid = getpid(); cr.uid = getuid(); cr.gid = getgid();
    memcpy(CMSG_DATA(h), &cr, sizeof cr);
    SHOW("send own credentials", sendmsg(sv[0], &m, 0));
    cr.pid = 0x7ffffff0;
    memcpy(CMSG_DATA(h), &cr, sizeof cr);
    SHOW("send a missing pid", sendmsg(sv[0], &m, 0));
    close(sv[0]); close(sv[1]);

    /* SO_PEERCRED across fork: the listener's and the connector's processes. */
    struct sockaddr_un a;
    socklen_t al = abstract_addr(&a, "umlab-peercred");
    int srv = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_SYS(bind(srv, (struct sockaddr *)&a, al));
    CHECK_SYS(listen(srv, 1));
    int fds[2];
    CHECK_SYS(pipe(fds));
    pid_t pid = t_fork();
    if (pid == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&a, al) < 0) _exit(2);
        struct ucred c2;
        socklen_t l2 = sizeof c2;
        getsockopt(s, SOL_SOCKET, SO_PEERCRED, &c2, &l2);
        char r = c2.pid == getppid() ? 'y' : 'n';
        write(fds[1], &r, 1);
        char x;
        recv(s, &x, 1, 0);
        _exit(0);
    }
    int s = accept(srv, NULL, NULL);
    CHECK_SYS(s);
    l = sizeof cr;
    CHECK_SYS(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &l));
    printf("accepted SO_PEERCRED pid is the child %s\n", yesno(cr.pid == pid));
    char r;
    CHECK(read(fds[0], &r, 1) == 1, "child answer");
    printf("connector's SO_PEERCRED pid is the parent %s\n", yesno(r == 'y'));
    send(s, "q", 1, 0);
    t_wait_ok(pid, "peercred child");
    close(s); close(srv); close(fds[0]); close(fds[1]);
    int lone = socket(AF_UNIX, SOCK_STREAM, 0);
    l = sizeof cr;
    memset(&cr, 0x55, sizeof cr);
    SHOW("SO_PEERCRED unconnected", getsockopt(lone, SOL_SOCKET, SO_PEERCRED, &cr, &l));
    printf("  pid %d uid %d gid %d\n", cr.pid, (int)cr.uid, (int)cr.gid);
    close(lone);
}

/* A child writes in pieces; MSG_WAITALL gathers them; SO_RCVTIMEO ends a wait. */
static void test_waits(void)
{
    int sv[2];
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid_t pid = t_fork();
    if (pid == 0) {
        for (int i = 0; i < 4; i++) {
            usleep(2000);
            send(sv[1], "abcd", 4, 0);
        }
        _exit(0);
    }
    char buf[32] = { 0 };
    SHOW("MSG_WAITALL 16", recv(sv[0], buf, 16, MSG_WAITALL));
    printf("data '%s'\n", buf);
    t_wait_ok(pid, "writer");
    struct timeval tv = { 0, 5000 };
    CHECK_SYS(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    memset(&tv, 0, sizeof tv);
    socklen_t l = sizeof tv;
    CHECK_SYS(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
    /* Kept in jiffies: at least what was set, rounded up to the host's tick. */
    printf("SO_RCVTIMEO reads back 5 ms or a tick more: %s\n", yesno(tv.tv_sec == 0 && tv.tv_usec >= 5000 && tv.tv_usec <= 15000));
    SHOW("recv with SO_RCVTIMEO", recv(sv[0], buf, 1, 0));
    CHECK(send(sv[1], "ab", 2, 0) == 2, "send");
    SHOW("MSG_WAITALL with SO_RCVTIMEO, short", recv(sv[0], buf, 8, MSG_WAITALL));
    tv.tv_usec = 2000000;
    SHOW("SO_RCVTIMEO usec 2000000", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    SHOW("SO_RCVTIMEO short length", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 4));

    /* A full stream: non-blocking sends stop with EAGAIN, POLLOUT goes; draining brings it back. */
    int fl = fcntl(sv[1], F_GETFL);
    fcntl(sv[1], F_SETFL, fl | O_NONBLOCK);
    static char big[65536];
    long total = 0;
    for (;;) {
        ssize_t n = send(sv[1], big, sizeof big, 0);
        if (n < 0) { CHECK(errno == EAGAIN, "full stream: %s", errname(errno)); break; }
        total += n;
    }
    printf("filled: more than 64 KiB %s; writer POLLOUT %s\n", yesno(total > 65536), yesno(revents(sv[1], POLLOUT) & POLLOUT));
    long drained = 0;
    int fl0 = fcntl(sv[0], F_GETFL);
    fcntl(sv[0], F_SETFL, fl0 | O_NONBLOCK);
    for (;;) {
        ssize_t n = recv(sv[0], big, sizeof big, 0);
        if (n <= 0) break;
        drained += n;
    }
    printf("drained all: %s; writer POLLOUT %s\n", yesno(drained == total), yesno(revents(sv[1], POLLOUT) & POLLOUT));
    close(sv[0]); close(sv[1]);

    /* A blocking send larger than the buffer completes as the reader (a child) drains it. */
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid = t_fork();
    if (pid == 0) {
        close(sv[0]);
        long got = 0;
        uint32_t sum = 0;
        char rb[4096];
        for (;;) {
            ssize_t n = recv(sv[1], rb, sizeof rb, 0);
            if (n <= 0) break;
            for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)rb[i];
            got += n;
        }
        _exit(got == 1 << 20 && sum != 0 ? 0 : 1);
    }
    close(sv[1]);
    char *mb = malloc(1 << 20);
    uint32_t seed = 7;
    for (int i = 0; i < 1 << 20; i++) mb[i] = (char)t_lcg(&seed);
    SHOW("blocking 1 MiB send", send(sv[0], mb, 1 << 20, 0));
    close(sv[0]);
    free(mb);
    t_wait_ok(pid, "reader");
}

static void test_epoll(void)
{
    int sv[2];
    CHECK_SYS(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = 1 };
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
    struct epoll_event out[4];
    SHOW("epoll idle", epoll_wait(ep, out, 4, 0));
    send(sv[1], "a", 1, 0);
    int n = epoll_wait(ep, out, 4, 0);
    printf("epoll after data: %d events %#x\n", n, n > 0 ? out[0].events : 0);
    SHOW("epoll ET again", epoll_wait(ep, out, 4, 0));
    shutdown(sv[1], SHUT_WR);
    n = epoll_wait(ep, out, 4, 0);
    printf("epoll after peer SHUT_WR: %d events %#x\n", n, n > 0 ? out[0].events : 0);
    close(sv[1]);
    n = epoll_wait(ep, out, 4, 0);
    printf("epoll after peer close: %d events %#x\n", n, n > 0 ? out[0].events : 0);
    close(sv[0]); close(ep);

    /* An edge-triggered listener: accept until EAGAIN. */
    struct sockaddr_un a;
    socklen_t al = abstract_addr(&a, "umlab-epoll-listen");
    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK_SYS(bind(srv, (struct sockaddr *)&a, al));
    CHECK_SYS(listen(srv, 16));
    ep = epoll_create1(0);
    ev.events = EPOLLIN | EPOLLET;
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, srv, &ev));
    int c[3];
    for (int i = 0; i < 3; i++) {
        c[i] = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK_SYS(connect(c[i], (struct sockaddr *)&a, al));
    }
    n = epoll_wait(ep, out, 4, 0);
    printf("listener: %d events %#x\n", n, n > 0 ? out[0].events : 0);
    int accepted = 0;
    for (;;) {
        int s = accept(srv, NULL, NULL);
        if (s < 0) { printf("accept loop ends with %s after %d\n", errname(errno), accepted); break; }
        accepted++;
        close(s);
    }
    SHOW("listener ET again", epoll_wait(ep, out, 4, 0));
    for (int i = 0; i < 3; i++) {
        printf("client %d after its server end closed: revents %#x\n", i, revents(c[i], ALL));
        close(c[i]);
    }
    close(srv); close(ep);
}

/* 32-bit PowerPC (and i386) can reach the socket calls through socketcall(2) too. */
static void test_socketcall(void)
{
    int sv[2];
#ifdef SYS_socketcall
    long args[4] = { AF_UNIX, SOCK_STREAM, 0, (long)sv };
    CHECK_SYS(syscall(SYS_socketcall, 8 /* SYS_SOCKETPAIR */, args));
    long sargs[4] = { sv[0], (long)"via", 3, 0 };
    CHECK(syscall(SYS_socketcall, 9 /* SYS_SEND */, sargs) == 3, "socketcall send");
    char buf[4] = { 0 };
    long rargs[4] = { sv[1], (long)buf, 3, 0 };
    CHECK(syscall(SYS_socketcall, 10 /* SYS_RECV */, rargs) == 3, "socketcall recv");
    CHECK(strcmp(buf, "via") == 0, "socketcall data");
    long bad[2] = { 0, 0 };
    errno = 0;
    CHECK(syscall(SYS_socketcall, 21, bad) == -1 && errno == EINVAL, "socketcall 21");
    errno = 0;
    CHECK(syscall(SYS_socketcall, 0, bad) == -1 && errno == EINVAL, "socketcall 0");
    close(sv[0]); close(sv[1]);
#endif
#ifdef SYS_socketpair
    CHECK_SYS(syscall(SYS_socketpair, AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK(syscall(SYS_sendto, sv[0], "dir", 3, 0, NULL, 0) == 3, "direct sendto");
    char b2[4] = { 0 };
    CHECK(syscall(SYS_recvfrom, sv[1], b2, 3, 0, NULL, NULL) == 3 && strcmp(b2, "dir") == 0, "direct recvfrom");
    close(sv[0]); close(sv[1]);
#endif
    printf("socketcall and direct calls: ok\n");
}

/*
 * Linux's garbage collector of unix sockets in flight: a socket sent over itself and closed is
 * freed (with what its queue held) when a unix socket is released. And net.unix.max_dgram_qlen:
 * a datagram socket takes 11 datagrams from a sender that is not its peer, then EAGAIN.
 */
static void test_collector_and_queue(void)
{
    int sv[2], p[2];
    CHECK_SYS(pipe(p));
    CHECK_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    int pass[2] = { sv[1], p[1] };
    send_fds(sv[0], pass, 2, "self");
    close(p[1]);
    close(sv[1]);
    printf("sent over itself: the pipe's reader %#x\n", revents(p[0], POLLIN));
    close(sv[0]);
    /* Linux may collect from a work queue: wait for it. */
    struct pollfd q = { p[0], POLLIN, 0 };
    CHECK_SYS(poll(&q, 1, 10000));
    printf("after a release: the pipe's reader %#x\n", q.revents);
    close(p[0]);

    char qlen[16] = { 0 };
    int f = open("/proc/sys/net/unix/max_dgram_qlen", O_RDONLY);
    CHECK_SYS(f);
    CHECK_SYS(read(f, qlen, sizeof qlen - 1));
    close(f);
    printf("max_dgram_qlen: %s", qlen);
    char name[64];
    snprintf(name, sizeof name, "umlab-qlen-%d", (int)getpid());
    struct sockaddr_un a;
    socklen_t l = abstract_addr(&a, name);
    int r = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK_SYS(bind(r, (struct sockaddr *)&a, l));
    int n = 0;
    while (n < 100 && sendto(s, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&a, l) == 1) n++;
    printf("queued from a non-peer: %d, then %s\n", n, errname(errno));
    CHECK_SYS(connect(s, (struct sockaddr *)&a, l));
    printf("connected sender, queue full: %#x\n", revents(s, POLLOUT));
    char b;
    CHECK_SYS(recv(r, &b, 1, 0));
    printf("after one read: %#x\n", revents(s, POLLOUT));
    close(r);
    close(s);
}

int main(void)
{
    t_init("sockets_unix");
    const char *dir = t_mktmpdir();
    test_pairs();
    test_shutdown();
    test_names(dir);
    test_backlog();
    test_rights(dir);
    test_credentials();
    test_waits();
    test_epoll();
    test_socketcall();
    test_collector_and_queue();
    t_done();
    return 0;
}
