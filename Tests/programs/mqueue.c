/*
 * POSIX message queues: mq_open (O_CREAT/O_EXCL, attributes and their limits, names),
 * priorities (highest first, FIFO within one), O_NONBLOCK (EAGAIN) and mq_setattr, absolute
 * timeouts (ETIMEDOUT), EMSGSIZE both ways, a receiver blocked until another process sends,
 * poll/select/epoll on the descriptor, mq_notify with SIGEV_SIGNAL (si_code SI_MESGQ,
 * si_value, EBUSY), read(2) of the descriptor, mq_unlink with the queue still open.
 */
#include "testutil.h"
#include <mqueue.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>

static volatile sig_atomic_t got_code, got_value, got_signal;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_signal = sig;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
}

int main(void)
{
    char name[64], buf[128];
    unsigned prio;
    struct mq_attr attr = { 0 }, got;
    t_init("mqueue");
    snprintf(name, sizeof name, "/umlab-t-mq-%d", (int)getpid());

    CHECK_ERR(mq_open(name, O_RDWR), ENOENT);
    attr.mq_maxmsg = 0; attr.mq_msgsize = 64;
    CHECK_ERR(mq_open(name, O_RDWR | O_CREAT, 0600, &attr), EINVAL);
    attr.mq_maxmsg = 4; attr.mq_msgsize = -1;
    CHECK_ERR(mq_open(name, O_RDWR | O_CREAT, 0600, &attr), EINVAL);
    CHECK_ERR(mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL), EACCES);
    attr.mq_maxmsg = 4; attr.mq_msgsize = 64;
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
    CHECK_SYS(q);
    CHECK_ERR(mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr), EEXIST);
    printf("mq: cloexec %s\n", yesno(fcntl(q, F_GETFD) & FD_CLOEXEC));
    CHECK_SYS(mq_getattr(q, &got));
    printf("mq: maxmsg %ld msgsize %ld curmsgs %ld flags %ld\n", got.mq_maxmsg, got.mq_msgsize, got.mq_curmsgs, got.mq_flags);

    struct pollfd pfd = { q, POLLIN | POLLOUT, 0 };
    poll(&pfd, 1, 0);
    printf("mq: empty revents in %s out %s\n", yesno(pfd.revents & POLLIN), yesno(pfd.revents & POLLOUT));

    CHECK_SYS(mq_send(q, "low", 4, 1));
    CHECK_SYS(mq_send(q, "high-a", 7, 5));
    CHECK_SYS(mq_send(q, "mid", 4, 3));
    CHECK_SYS(mq_send(q, "high-b", 7, 5));
    poll(&pfd, 1, 0);
    printf("mq: full revents in %s out %s\n", yesno(pfd.revents & POLLIN), yesno(pfd.revents & POLLOUT));
    CHECK_ERR(mq_send(q, "x", 2, 32768), EINVAL);
    CHECK_ERR(mq_send(q, buf, 65, 0), EMSGSIZE);
    struct timespec past = { 1, 0 };
    CHECK_ERR(mq_timedsend(q, "x", 2, 0, &past), ETIMEDOUT);
    struct mq_attr nb = { 0 };
    nb.mq_flags = O_NONBLOCK;
    CHECK_SYS(mq_setattr(q, &nb, NULL));
    CHECK_ERR(mq_send(q, "x", 2, 0), EAGAIN);
    CHECK_SYS(mq_getattr(q, &got));
    printf("mq: curmsgs %ld nonblock %s\n", got.mq_curmsgs, yesno(got.mq_flags & O_NONBLOCK));
    nb.mq_flags = 0;
    CHECK_SYS(mq_setattr(q, &nb, NULL));

    ssize_t r = read(q, buf, sizeof buf - 1);
    buf[r > 0 ? r : 0] = 0;
    printf("mq: read gives %.6s\n", buf);

    CHECK_ERR(mq_receive(q, buf, 63, &prio), EMSGSIZE);
    for (int i = 0; i < 4; i++) {
        r = mq_receive(q, buf, sizeof buf, &prio);
        CHECK_SYS(r);
        printf("mq: got %s prio %u (%zd)\n", buf, prio, r);
    }
    CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, &prio, &past), ETIMEDOUT);
    struct timespec bad = { 0, 1000000000 };
    CHECK_ERR(mq_timedreceive(q, buf, sizeof buf, &prio, &bad), EINVAL);

    /* A receiver blocked until a child sends; select and epoll see the message. */
    pid_t c = t_fork();
    if (c == 0) {
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
        _exit(mq_send(q, "from child", 11, 2) == 0 ? 0 : 1);
    }
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(q, &rd);
    int n = select(q + 1, &rd, NULL, NULL, NULL);
    printf("mq: select %d readable %s\n", n, yesno(FD_ISSET(q, &rd)));
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN }, out;
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, q, &ev));
    printf("mq: epoll %d\n", epoll_wait(ep, &out, 1, 1000));
    r = mq_receive(q, buf, sizeof buf, &prio);
    printf("mq: child sent %s prio %u\n", buf, prio);
    t_wait_ok(c, "sender");
    c = t_fork();
    if (c == 0) {
        struct timespec ts = { 0, 20000000 };
        nanosleep(&ts, NULL);
        _exit(mq_send(q, "late", 5, 0) == 0 ? 0 : 1);
    }
    r = mq_receive(q, buf, sizeof buf, &prio);
    printf("mq: blocked receive got %s\n", r > 0 ? buf : "nothing");
    t_wait_ok(c, "late sender");

    /* mq_notify: a signal when a message arrives on the empty queue, then unregistered. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent se;
    memset(&se, 0, sizeof se);
    se.sigev_notify = SIGEV_SIGNAL;
    se.sigev_signo = SIGUSR1;
    se.sigev_value.sival_int = 42;
    CHECK_SYS(mq_notify(q, &se));
    CHECK_ERR(mq_notify(q, &se), EBUSY);
    CHECK_SYS(mq_send(q, "ping", 5, 0));
    printf("mq: notified sig %s code SI_MESGQ %s value %d\n", yesno(got_signal == SIGUSR1), yesno(got_code == SI_MESGQ), (int)got_value);
    got_signal = 0;
    CHECK_SYS(mq_send(q, "ping", 5, 0));
    printf("mq: second send notifies %s\n", yesno(got_signal));
    CHECK_SYS(mq_notify(q, &se));
    CHECK_SYS(mq_notify(q, NULL));
    se.sigev_notify = 99;
    CHECK_ERR(mq_notify(q, &se), EINVAL);

    CHECK_SYS(mq_unlink(name));
    CHECK_ERR(mq_unlink(name), ENOENT);
    CHECK_ERR(mq_open(name, O_RDWR), ENOENT);
    r = mq_receive(q, buf, sizeof buf, &prio);
    printf("mq: still open after unlink: %s\n", r > 0 ? buf : "no");
    CHECK_SYS(mq_close(q));
    CHECK_ERR(mq_send(q, "x", 2, 0), EBADF);
    CHECK_ERR(mq_send(0, "x", 2, 0), EBADF);
    t_done();
}
