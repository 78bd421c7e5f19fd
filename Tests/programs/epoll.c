/*
 * epoll.c - eventfd (counter and semaphore modes, limits, blocking) and epoll (level and
 * edge triggering, one-shot, DEL, errnos, nesting, timeouts, wakeups from another process,
 * epoll_pwait's signal mask). Prints what it sees; the output must match native Linux.
 */
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

static int wait_events(int ep, int timeout, struct epoll_event *evs)
{
    int n = epoll_wait(ep, evs, 8, timeout);
    CHECK_SYS(n);
    return n;
}

static void add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = data;
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
}

static void test_eventfd(void)
{
    uint64_t v;
    int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK_SYS(fd);
    CHECK(read(fd, &v, 8) == 8 && v == 5, "eventfd read 5");
    CHECK_ERR(read(fd, &v, 8), EAGAIN);
    v = 3; CHECK(write(fd, &v, 8) == 8, "write 3");
    v = 4; CHECK(write(fd, &v, 8) == 8, "write 4");
    CHECK(read(fd, &v, 8) == 8, "read");
    printf("eventfd counter: %llu\n", (unsigned long long)v);
    CHECK_ERR(read(fd, &v, 4), EINVAL);
    v = UINT64_MAX; CHECK_ERR(write(fd, &v, 8), EINVAL);
    v = UINT64_MAX - 1; CHECK(write(fd, &v, 8) == 8, "write max");
    v = 1; CHECK_ERR(write(fd, &v, 8), EAGAIN);
    struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
    CHECK(poll(&p, 1, 0) == 1, "poll full");
    printf("eventfd full: revents %#x, cloexec %s\n", p.revents, yesno(fcntl(fd, F_GETFD) & FD_CLOEXEC));
    close(fd);

    fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    CHECK(read(fd, &v, 8) == 8 && v == 1, "semaphore 1");
    CHECK(read(fd, &v, 8) == 8 && v == 1, "semaphore 2");
    CHECK_ERR(read(fd, &v, 8), EAGAIN);
    printf("eventfd semaphore: two reads of 1, then EAGAIN\n");
    CHECK_ERR(eventfd(0, 0x40), EINVAL);
    close(fd);

    /* A blocking read waits for another process's write. */
    fd = eventfd(0, 0);
    pid_t pid = t_fork();
    if (pid == 0) {
        usleep(2000);
        v = 9;
        _exit(write(fd, &v, 8) == 8 ? 0 : 1);
    }
    CHECK(read(fd, &v, 8) == 8, "blocking read");
    t_wait_ok(pid, "eventfd writer");
    printf("eventfd blocking read: %llu\n", (unsigned long long)v);
    close(fd);
}

static void test_triggering(void)
{
    int pfd[2];
    struct epoll_event evs[8];
    CHECK_SYS(pipe(pfd));
    int lt = epoll_create1(EPOLL_CLOEXEC), et = epoll_create(1), os = epoll_create1(0);
    add(lt, pfd[0], EPOLLIN, 1);
    add(et, pfd[0], EPOLLIN | EPOLLET, 2);
    add(os, pfd[0], EPOLLIN | EPOLLONESHOT, 3);
    printf("empty pipe: lt %d et %d oneshot %d\n", wait_events(lt, 0, evs), wait_events(et, 0, evs), wait_events(os, 0, evs));
    CHECK(write(pfd[1], "ab", 2) == 2, "write");
    int a = wait_events(lt, 0, evs), b = wait_events(et, 0, evs), c = wait_events(os, 0, evs);
    printf("after a write: lt %d et %d oneshot %d (data %llu)\n", a, b, c, (unsigned long long)evs[0].data.u64);
    printf("again: lt %d et %d oneshot %d\n", wait_events(lt, 0, evs), wait_events(et, 0, evs), wait_events(os, 0, evs));
    CHECK(write(pfd[1], "c", 1) == 1, "write");
    printf("another write: lt %d et %d oneshot %d\n", wait_events(lt, 0, evs), wait_events(et, 0, evs), wait_events(os, 0, evs));
    struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 33 };
    CHECK_SYS(epoll_ctl(os, EPOLL_CTL_MOD, pfd[0], &ev));
    int n = wait_events(os, 0, evs);
    printf("oneshot re-armed: %d (data %llu)\n", n, (unsigned long long)evs[0].data.u64);
    char buf[8];
    CHECK(read(pfd[0], buf, sizeof buf) == 3, "drain");
    printf("drained: lt %d\n", wait_events(lt, 0, evs));
    CHECK_SYS(epoll_ctl(lt, EPOLL_CTL_DEL, pfd[0], NULL));
    close(pfd[1]);
    n = wait_events(et, 0, evs);
    printf("writer closed: et %d events %#x\n", n, n ? evs[0].events : 0);
    printf("after DEL: lt %d\n", wait_events(lt, 0, evs));
    close(pfd[0]); close(lt); close(et); close(os);
}

static void test_errors(void)
{
    int pfd[2];
    struct epoll_event ev = { .events = EPOLLIN };
    CHECK_SYS(pipe(pfd));
    int ep = epoll_create1(0), ep2 = epoll_create1(0);
    CHECK_ERR(epoll_create(0), EINVAL);
    CHECK_ERR(epoll_create1(1), EINVAL);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, pfd[0], &ev), ENOENT);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, pfd[0], &ev), ENOENT);
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &ev), EEXIST);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    CHECK_ERR(epoll_ctl(pfd[0], EPOLL_CTL_ADD, pfd[1], &ev), EINVAL);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
    CHECK_ERR(epoll_ctl(ep, 77, pfd[0], &ev), EINVAL);
    char path[300];
    snprintf(path, sizeof path, "%s/f", t_mktmpdir());
    int f = open(path, O_CREAT | O_RDWR, 0600);
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev), EPERM);
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
    CHECK_ERR(epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev), ELOOP);
    ev.events = EPOLLOUT | EPOLLEXCLUSIVE;
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[1], &ev));
    CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, pfd[1], &ev), EINVAL);
    struct epoll_event evs[2];
    CHECK_ERR(epoll_wait(ep, evs, 0, 0), EINVAL);
    CHECK_ERR(epoll_wait(pfd[0], evs, 1, 0), EINVAL);
    CHECK_ERR(epoll_wait(999, evs, 1, 0), EBADF);
    printf("epoll_ctl/epoll_wait errnos: as Linux\n");
    close(f); close(pfd[0]); close(pfd[1]); close(ep); close(ep2);
    t_cleanup();
}

static void on_usr1(int sig) { (void)sig; }

static void test_nesting_and_waits(void)
{
    struct epoll_event evs[8];
    int efd = eventfd(0, EFD_NONBLOCK);
    int inner = epoll_create1(0), outer = epoll_create1(0);
    add(inner, efd, EPOLLIN, 1);
    add(outer, inner, EPOLLIN, 2);
    printf("nested, idle: outer %d\n", wait_events(outer, 0, evs));
    pid_t pid = t_fork();
    if (pid == 0) {
        uint64_t v = 1;
        usleep(2000);
        _exit(write(efd, &v, 8) == 8 ? 0 : 1);
    }
    int n = wait_events(outer, -1, evs);
    printf("nested, woken by a child: outer %d (data %llu)\n", n, (unsigned long long)evs[0].data.u64);
    n = wait_events(inner, 0, evs);
    printf("inner: %d (data %llu)\n", n, (unsigned long long)evs[0].data.u64);
    t_wait_ok(pid, "eventfd writer");

    /* A descriptor whose file is released leaves the interest list. */
    int copy = dup(efd);
    close(efd);
    printf("one of two descriptors closed: inner %d\n", wait_events(inner, 0, evs));
    close(copy);
    printf("file released: inner %d\n", wait_events(inner, 0, evs));

    /* Timeouts. */
    struct timespec ts = { 0, 3000000 };
    printf("epoll_wait 3 ms: %d\n", wait_events(inner, 3, evs));
    n = epoll_pwait2(inner, evs, 1, &ts, NULL);
    printf("epoll_pwait2 3 ms: %d\n", n);

    /* epoll_pwait's mask lets a blocked signal in for the wait only. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, open;
    sigemptyset(&block); sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&open);
    pid_t parent = getpid();
    pid = t_fork();
    if (pid == 0) {
        usleep(2000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    errno = 0;
    n = epoll_pwait(inner, evs, 1, -1, &open);
    printf("epoll_pwait interrupted: %d %s\n", n, errname(errno));
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %s\n", yesno(sigismember(&now, SIGUSR1)));
    t_wait_ok(pid, "signaller");
    close(inner); close(outer);
}

int main(void)
{
    t_init("epoll");
    test_eventfd();
    test_triggering();
    test_errors();
    test_nesting_and_waits();
    t_done();
    return 0;
}
