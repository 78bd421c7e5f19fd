/* fdevents.c -- native twin of fdevents.s: eventfd with epoll, timerfd (one-shot, periodic,
 * through epoll, gettime) and a signalfd read. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

static void kv(const char *label, unsigned long long v) { printf("%s%llu\n", label, v); }
static void die(const char *what) { fprintf(stderr, "FAIL: %s\n", what); _exit(1); }

int main(void) {
    uint64_t v = 2;
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 42 }, out[4];
    int efd = eventfd(5, EFD_NONBLOCK);
    if (efd < 0) die("eventfd");
    if (write(efd, &v, 8) != 8 || read(efd, &v, 8) != 8) die("eventfd io");
    kv("eventfd: ", v);
    if (read(efd, &v, 8) != -1) die("empty read");
    kv("eventfd empty errno: ", (unsigned long long)errno);
    int ep = epoll_create1(0);
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev)) die("epoll");
    kv("epoll idle: ", (unsigned long long)epoll_wait(ep, out, 4, 0));
    v = 1;
    if (write(efd, &v, 8) != 8) die("write 1");
    kv("epoll events: ", (unsigned long long)epoll_wait(ep, out, 4, -1));
    kv("epoll mask: ", out[0].events);
    kv("epoll data: ", out[0].data.u64);
    if (read(efd, &v, 8) != 8) die("drain");

    int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = { { 0, 0 }, { 0, 1000000 } }, cur;
    if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL)) die("timerfd");
    if (read(tfd, &v, 8) != 8) die("timerfd read");
    kv("timerfd one-shot: ", v);
    ev.data.u64 = 7;
    if (epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev)) die("epoll timerfd");
    its.it_interval.tv_nsec = 1000000;
    if (timerfd_settime(tfd, 0, &its, NULL)) die("periodic");
    kv("timerfd epoll: ", (unsigned long long)epoll_wait(ep, out, 4, -1));
    kv("timerfd data: ", out[0].data.u64);
    struct timespec ts = { 0, 5000000 };
    nanosleep(&ts, NULL);
    if (read(tfd, &v, 8) != 8) die("periodic read");
    kv("timerfd periodic >= 4: ", v >= 4);
    if (timerfd_gettime(tfd, &cur)) die("gettime");
    kv("timerfd interval ns: ", (unsigned long long)cur.it_interval.tv_nsec);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK);
    struct signalfd_siginfo si;
    if (sfd < 0 || kill(getpid(), SIGUSR1)) die("signalfd");
    kv("signalfd bytes: ", (unsigned long long)read(sfd, &si, sizeof si));
    kv("signalfd signo: ", si.ssi_signo);
    printf("fdevents: done\n");
    return 0;
}
