/*
 * netview.c - the guest's network view through the interfaces C programs use: rtnetlink dumps
 * of links, addresses and routes (read as iproute2 does: MSG_PEEK|MSG_TRUNC for the size, then
 * the datagram), refused changes and unknown types, the interface ioctls (SIOCGIFCONF and
 * SIOCGIF*), sock_diag of a listener, and /proc/net/route and /proc/net/tcp parsed as their
 * readers do (sscanf "%X" into an in_addr: the hex differs between byte orders, what it names
 * must not). Its output is the same on every ISA (the tests compare x86-64 and PowerPC).
 *
 * The change requests it makes name no interface that exists (index 999999, "none0"): under
 * umlab they are EPERM whoever asks; natively, run as root, they would fail with ENODEV rather
 * than reconfigure the host.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static int nl_open(int proto)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
    CHECK_SYS(fd);
    struct sockaddr_nl a = { .nl_family = AF_NETLINK };
    CHECK_SYS(bind(fd, (struct sockaddr *)&a, sizeof a));
    socklen_t len = sizeof a;
    CHECK_SYS(getsockname(fd, (struct sockaddr *)&a, &len));
    CHECK(len == sizeof a && a.nl_family == AF_NETLINK, "getsockname");
    CHECK(a.nl_pid == (unsigned)getpid(), "port id %u is not the pid", a.nl_pid);
    return fd;
}

static unsigned seq = 100;

static void nl_send(int fd, int type, int flags, const void *body, size_t size)
{
    char buf[512];
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    memset(buf, 0, sizeof buf);
    h->nlmsg_len = NLMSG_LENGTH(size);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | flags;
    h->nlmsg_seq = ++seq;
    memcpy(NLMSG_DATA(h), body, size);
    struct sockaddr_nl k = { .nl_family = AF_NETLINK };
    CHECK_SYS(sendto(fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&k, sizeof k));
}

/* One datagram, sized first with MSG_PEEK|MSG_TRUNC; the caller frees it. */
static char *nl_recv(int fd, int *length)
{
    struct sockaddr_nl from;
    struct iovec iov = { NULL, 0 };
    struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1 };
    int n = recvmsg(fd, &m, MSG_PEEK | MSG_TRUNC);
    CHECK_SYS(n);
    CHECK(m.msg_flags & MSG_TRUNC, "peek without room sets MSG_TRUNC");
    char *buf = malloc(n);
    iov.iov_base = buf;
    iov.iov_len = n;
    m.msg_namelen = sizeof from;
    CHECK(recvmsg(fd, &m, 0) == n, "recvmsg size");
    CHECK(m.msg_namelen == sizeof from && from.nl_pid == 0, "replies come from the kernel");
    *length = n;
    return buf;
}

static const char *scope_name(int s)
{
    return s == RT_SCOPE_HOST ? "host" : s == RT_SCOPE_LINK ? "link" : s == RT_SCOPE_UNIVERSE ? "global" : "other";
}

/* Prints each message of a dump until NLMSG_DONE; returns how many there were. */
static int dump(int fd, int type, int family, void (*show)(struct nlmsghdr *))
{
    struct rtgenmsg g = { .rtgen_family = family };
    char body[16] = { 0 };
    memcpy(body, &g, sizeof g);
    nl_send(fd, type, NLM_F_DUMP, body, type == RTM_GETLINK ? sizeof(struct ifinfomsg) : type == RTM_GETROUTE ? sizeof(struct rtmsg) : sizeof(struct ifaddrmsg));
    int count = 0;
    for (;;) {
        int n;
        char *buf = nl_recv(fd, &n);
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
            CHECK(h->nlmsg_seq == seq && h->nlmsg_pid == (unsigned)getpid(), "reply numbering");
            if (h->nlmsg_type == NLMSG_DONE) {
                CHECK(h->nlmsg_flags & NLM_F_MULTI, "DONE is multipart");
                free(buf);
                return count;
            }
            CHECK(h->nlmsg_type != NLMSG_ERROR, "dump failed: %d", ((struct nlmsgerr *)NLMSG_DATA(h))->error);
            CHECK(h->nlmsg_flags & NLM_F_MULTI, "dump parts are multipart");
            show(h);
            count++;
        }
        free(buf);
    }
}

static void show_link(struct nlmsghdr *h)
{
    struct ifinfomsg *i = NLMSG_DATA(h);
    int len = IFLA_PAYLOAD(h);
    const char *name = "?";
    unsigned mtu = 0, qlen = 0;
    unsigned char *mac = NULL;
    for (struct rtattr *a = IFLA_RTA(i); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == IFLA_IFNAME) name = RTA_DATA(a);
        if (a->rta_type == IFLA_MTU) mtu = *(unsigned *)RTA_DATA(a);
        if (a->rta_type == IFLA_TXQLEN) qlen = *(unsigned *)RTA_DATA(a);
        if (a->rta_type == IFLA_ADDRESS) mac = RTA_DATA(a);
    }
    printf("link %d %s type %d flags %#x mtu %u qlen %u mac %02x:%02x:%02x:%02x:%02x:%02x\n", i->ifi_index, name, i->ifi_type,
           i->ifi_flags, mtu, qlen, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void show_address(struct nlmsghdr *h)
{
    struct ifaddrmsg *a = NLMSG_DATA(h);
    int len = IFA_PAYLOAD(h);
    char text[INET6_ADDRSTRLEN] = "?", label[IFNAMSIZ] = "-";
    unsigned valid = 0;
    for (struct rtattr *r = IFA_RTA(a); RTA_OK(r, len); r = RTA_NEXT(r, len)) {
        if (r->rta_type == IFA_ADDRESS) inet_ntop(a->ifa_family, RTA_DATA(r), text, sizeof text);
        if (r->rta_type == IFA_LABEL) snprintf(label, sizeof label, "%s", (char *)RTA_DATA(r));
        if (r->rta_type == IFA_CACHEINFO) valid = ((struct ifa_cacheinfo *)RTA_DATA(r))->ifa_valid;
    }
    printf("address %s %s/%d scope %s index %d label %s valid %s\n", a->ifa_family == AF_INET ? "inet" : "inet6", text,
           a->ifa_prefixlen, scope_name(a->ifa_scope), a->ifa_index, label, valid == 0xffffffffu ? "forever" : "finite");
}

static void show_route(struct nlmsghdr *h)
{
    struct rtmsg *r = NLMSG_DATA(h);
    int len = RTM_PAYLOAD(h);
    char dst[INET6_ADDRSTRLEN] = "default", gw[INET6_ADDRSTRLEN] = "-";
    int oif = 0, table = r->rtm_table;
    for (struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
        if (a->rta_type == RTA_DST) inet_ntop(r->rtm_family, RTA_DATA(a), dst, sizeof dst);
        if (a->rta_type == RTA_GATEWAY) inet_ntop(r->rtm_family, RTA_DATA(a), gw, sizeof gw);
        if (a->rta_type == RTA_OIF) oif = *(int *)RTA_DATA(a);
        if (a->rta_type == RTA_TABLE) table = *(int *)RTA_DATA(a);
    }
    printf("route %s/%d via %s oif %d table %d type %d scope %s\n", dst, r->rtm_dst_len, gw, oif, table, r->rtm_type,
           scope_name(r->rtm_scope));
}

/* A request that gets an NLMSG_ERROR: its error, and whether the request came back whole. */
static void expect_error(int fd, int type, int flags, const char *what)
{
    struct ifinfomsg body = { .ifi_family = AF_INET, .ifi_index = 999999 };
    nl_send(fd, type, flags, &body, sizeof body);
    int n;
    char *buf = nl_recv(fd, &n);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    CHECK(NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == NLMSG_ERROR, "%s: an error message", what);
    struct nlmsgerr *e = NLMSG_DATA(h);
    printf("%s: error %s, request echoed %s, type %d\n", what, e->error ? errname(-e->error) : "0 (ack)",
           h->nlmsg_len == NLMSG_LENGTH(sizeof(int)) + e->msg.nlmsg_len ? "whole" : "header only", e->msg.nlmsg_type);
    free(buf);
}

static void test_netlink(void)
{
    int fd = nl_open(NETLINK_ROUTE);
    printf("links: %d\n", dump(fd, RTM_GETLINK, AF_UNSPEC, show_link));
    printf("addresses: %d\n", dump(fd, RTM_GETADDR, AF_UNSPEC, show_address));
    printf("inet addresses: %d\n", dump(fd, RTM_GETADDR, AF_INET, show_address));
    printf("routes: %d\n", dump(fd, RTM_GETROUTE, AF_INET, show_route));
    expect_error(fd, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE, "RTM_NEWADDR");
    expect_error(fd, RTM_SETLINK, 0, "RTM_SETLINK");
    expect_error(fd, 200, 0, "type 200");
    expect_error(fd, NLMSG_NOOP, NLM_F_ACK, "NLMSG_NOOP with ACK");

    /* A blocking read with nothing queued would wait: MSG_DONTWAIT says so. */
    char c;
    CHECK_ERR(recv(fd, &c, 1, MSG_DONTWAIT), EAGAIN);
    close(fd);

    CHECK_ERR(socket(AF_NETLINK, SOCK_RAW, 31), EPROTONOSUPPORT);
    CHECK_ERR(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE), ESOCKTNOSUPPORT);
    printf("other netlink protocols: EPROTONOSUPPORT\n");
}

static void test_sock_diag(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(7777), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK_SYS(bind(l, (struct sockaddr *)&a, sizeof a));
    CHECK_SYS(listen(l, 12));

    int fd = nl_open(NETLINK_SOCK_DIAG);
    struct inet_diag_req_v2 req = { .sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP, .idiag_states = 1 << 10 };
    nl_send(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof req);
    int found = 0, done = 0;
    while (!done) {
        int n;
        char *buf = nl_recv(fd, &n);
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) { done = 1; break; }
            CHECK(h->nlmsg_type == SOCK_DIAG_BY_FAMILY, "inet_diag message");
            struct inet_diag_msg *m = NLMSG_DATA(h);
            char text[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, m->id.idiag_src, text, sizeof text);
            printf("sock_diag: state %d %s:%d backlog %u\n", m->idiag_state, text, ntohs(m->id.idiag_sport), m->idiag_wqueue);
            found++;
        }
        free(buf);
    }
    CHECK(found == 1, "one listener");
    close(fd);
    close(l);
}

static void show_ifreq_address(int fd, unsigned long request, const char *name, const char *what)
{
    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, name);
    CHECK_SYS(ioctl(fd, request, &r));
    printf("  %s %s\n", what, inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
}

static void test_ioctls(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK_SYS(fd);
    struct ifconf conf = { .ifc_len = 0, .ifc_buf = NULL };
    CHECK_SYS(ioctl(fd, SIOCGIFCONF, &conf));
    printf("SIOCGIFCONF needs %d entries\n", conf.ifc_len / (int)sizeof(struct ifreq));
    struct ifreq list[8];
    conf.ifc_len = sizeof list;
    conf.ifc_req = list;
    CHECK_SYS(ioctl(fd, SIOCGIFCONF, &conf));
    for (int i = 0; i < conf.ifc_len / (int)sizeof(struct ifreq); i++) {
        struct ifreq r = list[i];
        printf("%s: %s\n", r.ifr_name, inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
        CHECK_SYS(ioctl(fd, SIOCGIFFLAGS, &r));
        printf("  flags %#x\n", (unsigned short)r.ifr_flags);
        CHECK_SYS(ioctl(fd, SIOCGIFMTU, &r));
        printf("  mtu %d\n", r.ifr_mtu);
        CHECK_SYS(ioctl(fd, SIOCGIFINDEX, &r));
        int index = r.ifr_ifindex;
        CHECK_SYS(ioctl(fd, SIOCGIFTXQLEN, &r));
        printf("  index %d qlen %d\n", index, r.ifr_qlen);
        CHECK_SYS(ioctl(fd, SIOCGIFHWADDR, &r));
        unsigned char *m = (unsigned char *)r.ifr_hwaddr.sa_data;
        printf("  hw type %d %02x:%02x:%02x:%02x:%02x:%02x\n", r.ifr_hwaddr.sa_family, m[0], m[1], m[2], m[3], m[4], m[5]);
        show_ifreq_address(fd, SIOCGIFNETMASK, list[i].ifr_name, "netmask");
        show_ifreq_address(fd, SIOCGIFBRDADDR, list[i].ifr_name, "broadcast");
        memset(&r, 0, sizeof r);
        r.ifr_ifindex = index;
        CHECK_SYS(ioctl(fd, SIOCGIFNAME, &r));
        printf("  index %d is %s\n", index, r.ifr_name);
    }
    /* One entry of room: one entry written. */
    conf.ifc_len = sizeof(struct ifreq) + 3;
    CHECK_SYS(ioctl(fd, SIOCGIFCONF, &conf));
    printf("room for one: %d entries\n", conf.ifc_len / (int)sizeof(struct ifreq));

    struct ifreq r;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "eth9");
    CHECK_ERR(ioctl(fd, SIOCGIFFLAGS, &r), ENODEV);
    strcpy(r.ifr_name, "eth0:1");
    CHECK_ERR(ioctl(fd, SIOCGIFADDR, &r), EADDRNOTAVAIL);
    strcpy(r.ifr_name, "none0");
    ((struct sockaddr_in *)&r.ifr_addr)->sin_family = AF_INET;
    CHECK_ERR(ioctl(fd, SIOCSIFADDR, &r), EPERM);
    CHECK_ERR(ioctl(fd, SIOCSIFMTU, &r), EPERM);
    CHECK_ERR(ioctl(fd, SIOCSIFFLAGS, &r), EPERM);
    printf("unknown device ENODEV, alias EADDRNOTAVAIL, changes EPERM\n");
    /* The interface requests every socket answers; the inet ones only AF_INET sockets. */
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(r.ifr_name, "eth0");
    CHECK_SYS(ioctl(u, SIOCGIFINDEX, &r));
    CHECK_ERR(ioctl(u, SIOCGIFADDR, &r), ENOTTY);
    printf("unix socket: index %d, SIOCGIFADDR ENOTTY\n", r.ifr_ifindex);
    close(u);
    close(fd);
}

/* /proc/net/route and /proc/net/tcp read as net-tools does. */
static void test_proc(void)
{
    FILE *f = fopen("/proc/net/route", "r");
    CHECK(f, "open /proc/net/route");
    char line[256], name[32];
    unsigned dst, gw, flags, mask;
    CHECK(fgets(line, sizeof line, f), "header");
    while (fgets(line, sizeof line, f)) {
        CHECK(sscanf(line, "%31s %X %X %X %*d %*d %*d %X", name, &dst, &gw, &flags, &mask) == 5, "route line");
        struct in_addr d = { dst }, g = { gw }, m = { mask };
        char ds[16], gs[16], ms[16];
        snprintf(ds, sizeof ds, "%s", inet_ntoa(d));
        snprintf(gs, sizeof gs, "%s", inet_ntoa(g));
        snprintf(ms, sizeof ms, "%s", inet_ntoa(m));
        printf("proc route %s %s gw %s mask %s flags %#x\n", name, ds, gs, ms, flags);
    }
    fclose(f);

    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(6543), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK_SYS(bind(l, (struct sockaddr *)&a, sizeof a));
    CHECK_SYS(listen(l, 3));
    struct stat st;
    CHECK_SYS(fstat(l, &st));
    f = fopen("/proc/self/net/tcp", "r");
    CHECK(f, "open /proc/self/net/tcp");
    CHECK(fgets(line, sizeof line, f), "header");
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned local, port, state;
        unsigned long inode;
        CHECK(sscanf(line, "%*d: %X:%X %*X:%*X %X %*X:%*X %*X:%*X %*X %*d %*d %lu", &local, &port, &state, &inode) == 4, "tcp line");
        struct in_addr in = { local };
        if (inode == (unsigned long)st.st_ino) {
            printf("proc tcp: %s:%u state %#x, the listener's inode\n", inet_ntoa(in), port, state);
            seen = 1;
        }
    }
    fclose(f);
    CHECK(seen, "listener in /proc/net/tcp");
    close(l);
}

int main(void)
{
    t_init("netview");
    test_netlink();
    test_sock_diag();
    test_ioctls();
    test_proc();
    t_done();
}
