/*
 * signalfd_timerfd.c - signalfd (reads, masks, readiness, blocking, a forked reader, SIGCHLD,
 * epoll), timerfd (errnos, one-shot and periodic timers, absolute times on three clocks, old
 * values, epoll) and O_ASYNC/SIGIO on a pipe (F_SETOWN, F_SETSIG, F_SETOWN_EX, process groups,
 * a handler, the write end, eventfd sending nothing). Prints what it sees; the output must
 * match native Linux.
 */
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

static void block(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &s, NULL));
}

static int is_pending(int sig)
{
    sigset_t s;
    CHECK_SYS(sigpending(&s));
    return sigismember(&s, sig);
}

/* Takes `sig` if it is pending (zero timeout); returns 1 and its siginfo if it was. */
static int take(int sig, siginfo_t *info)
{
    sigset_t s;
    struct timespec zero = { 0, 0 };
    memset(info, 0, sizeof *info);
    sigemptyset(&s);
    sigaddset(&s, sig);
    int r = sigtimedwait(&s, info, &zero);
    if (r < 0 && errno == EAGAIN) return 0;
    CHECK(r == sig, "sigtimedwait %d -> %d (%s)", sig, r, errname(errno));
    return 1;
}

static const char *signame(int sig)
{
    static char buf[16];
    if (sig == SIGUSR1) return "SIGUSR1";
    if (sig == SIGUSR2) return "SIGUSR2";
    if (sig == SIGCHLD) return "SIGCHLD";
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) { snprintf(buf, sizeof buf, "SIGRTMIN+%d", sig - SIGRTMIN); return buf; }
    snprintf(buf, sizeof buf, "signal %d", sig);
    return buf;
}

static void test_signalfd(void)
{
    sigset_t mask;
    struct signalfd_siginfo si[4];
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);

    CHECK_ERR(syscall(SYS_signalfd4, -1, &mask, 4, 0), EINVAL);
    CHECK_ERR(syscall(SYS_signalfd4, -1, &mask, 8, 1), EINVAL);
    CHECK_ERR(signalfd(999, &mask, 0), EBADF);
    int pfd[2];
    CHECK_SYS(pipe(pfd));
    CHECK_ERR(signalfd(pfd[0], &mask, 0), EINVAL);
    printf("signalfd errnos: EINVAL size, EINVAL flags, EBADF, EINVAL not a signalfd\n");

    block(SIGUSR1);
    block(SIGUSR2);
    block(SIGRTMIN);
    int sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    CHECK_SYS(sfd);
    printf("signalfd flags: cloexec %s, nonblock %s\n", yesno(fcntl(sfd, F_GETFD) & FD_CLOEXEC),
           yesno(fcntl(sfd, F_GETFL) & O_NONBLOCK));
    CHECK_ERR(read(sfd, si, sizeof si[0]), EAGAIN);
    struct pollfd p = { sfd, POLLIN, 0 };
    CHECK(poll(&p, 1, 0) == 0, "poll empty");
    CHECK_SYS(kill(getpid(), SIGUSR2));  /* not in the mask */
    CHECK(poll(&p, 1, 0) == 0, "poll USR2");
    CHECK_SYS(kill(getpid(), SIGUSR1));
    CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLIN, "poll USR1");
    CHECK_ERR(read(sfd, si, 64), EINVAL);
    CHECK(read(sfd, si, sizeof si) == 128, "read one");
    printf("signalfd read: %s code %d from self %s; USR2 still pending %s\n", signame(si[0].ssi_signo),
           si[0].ssi_code, yesno(si[0].ssi_pid == (uint32_t)getpid()), yesno(is_pending(SIGUSR2)));

    /* A new mask through the same fd; several records in one read, lowest signal first. */
    sigaddset(&mask, SIGRTMIN);
    sigaddset(&mask, SIGUSR2);
    CHECK(signalfd(sfd, &mask, 0) == sfd, "update mask");
    union sigval v = { .sival_int = 42 };
    CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
    v.sival_int = 43;
    CHECK_SYS(sigqueue(getpid(), SIGRTMIN, v));
    CHECK_SYS(kill(getpid(), SIGUSR1));
    ssize_t n = read(sfd, si, sizeof si);
    CHECK(n > 0 && n % 128 == 0, "read several");
    printf("signalfd read %zd records:", n / 128);
    for (int i = 0; i < n / 128; i++) {
        printf(" %s", signame(si[i].ssi_signo));
        if (si[i].ssi_code == SI_QUEUE) printf("(int %d)", si[i].ssi_int);
    }
    printf("\n");

    /* A blocking read waits for another process's signal. */
    int bfd = signalfd(-1, &mask, 0);
    CHECK_SYS(bfd);
    pid_t parent = getpid();
    pid_t pid = t_fork();
    if (pid == 0) {
        usleep(2000);
        _exit(kill(parent, SIGUSR2) == 0 ? 0 : 1);
    }
    CHECK(read(bfd, si, sizeof si) == 128, "blocking read");
    printf("signalfd blocking read: %s from the child %s\n", signame(si[0].ssi_signo), yesno(si[0].ssi_pid == (uint32_t)pid));
    t_wait_ok(pid, "signaller");

    /* A forked reader reads its own signals, not its parent's. */
    pid = t_fork();
    if (pid == 0) {
        struct signalfd_siginfo c;
        if (read(sfd, &c, sizeof c) != -1 || errno != EAGAIN) _exit(2);
        kill(getpid(), SIGUSR1);
        if (read(sfd, &c, sizeof c) != 128 || c.ssi_pid != (uint32_t)getpid()) _exit(3);
        _exit(0);
    }
    t_wait_ok(pid, "forked reader");
    CHECK(!is_pending(SIGUSR1), "parent got the child's signal");
    printf("signalfd after fork: the child reads its own signals\n");

    /* epoll of a signalfd. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 7 }, out[4];
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev));
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "epoll empty");
    CHECK_SYS(kill(getpid(), SIGUSR2));
    int k = epoll_wait(ep, out, 4, -1);
    printf("signalfd epoll: %d event(s), events %#x, data %llu\n", k, out[0].events, (unsigned long long)out[0].data.u64);
    CHECK(read(sfd, si, sizeof si) == 128 && si[0].ssi_signo == SIGUSR2, "read after epoll");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "epoll drained");
    close(ep);

    /* SIGCHLD through a signalfd. */
    block(SIGCHLD);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    int cfd = signalfd(-1, &chld, 0);
    pid = t_fork();
    if (pid == 0) _exit(3);
    CHECK(read(cfd, si, sizeof si) == 128, "read SIGCHLD");
    printf("signalfd SIGCHLD: code %d (CLD_EXITED %d), status %d, pid %s\n", si[0].ssi_code, CLD_EXITED,
           si[0].ssi_status, yesno(si[0].ssi_pid == (uint32_t)pid));
    t_wait(pid);
    close(cfd);
    close(bfd);
    close(sfd);
    close(pfd[0]);
    close(pfd[1]);
}

static uint64_t read_ticks(int fd)
{
    uint64_t t = 0;
    CHECK(read(fd, &t, 8) == 8, "timerfd read (%s)", errname(errno));
    return t;
}

static uint64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_timerfd(void)
{
    struct itimerspec its, old;
    memset(&its, 0, sizeof its);
    CHECK_ERR(timerfd_create(99, 0), EINVAL);
    CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 1), EINVAL);
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    CHECK_SYS(tfd);
    CHECK_ERR(timerfd_settime(tfd, 4, &its, NULL), EINVAL);
    its.it_value.tv_nsec = 1000000000;
    CHECK_ERR(timerfd_settime(tfd, 0, &its, NULL), EINVAL);
    its.it_value.tv_nsec = 0;
    its.it_interval.tv_sec = -1;
    CHECK_ERR(timerfd_settime(tfd, 0, &its, NULL), EINVAL);
    its.it_interval.tv_sec = 0;
    CHECK_ERR(timerfd_settime(999, 0, &its, NULL), EBADF);
    CHECK_ERR(timerfd_settime(0, 0, &its, NULL), EINVAL);
    CHECK_ERR(timerfd_gettime(0, &old), EINVAL);
    printf("timerfd errnos: EINVAL clock, flags, settime flags, nsec, negative sec; EBADF; EINVAL not a timerfd\n");
    printf("timerfd flags: cloexec %s, nonblock %s\n", yesno(fcntl(tfd, F_GETFD) & FD_CLOEXEC),
           yesno(fcntl(tfd, F_GETFL) & O_NONBLOCK));

    CHECK_SYS(timerfd_gettime(tfd, &old));
    printf("timerfd disarmed: %ld.%09ld / %ld.%09ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec,
           (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
    uint64_t t;
    CHECK_ERR(read(tfd, &t, 8), EAGAIN);
    CHECK_ERR(read(tfd, &t, 4), EINVAL);
    CHECK_ERR(write(tfd, &t, 8), EINVAL);

    /* One-shot, relative, blocking read. */
    int bfd = timerfd_create(CLOCK_MONOTONIC, 0);
    its.it_value.tv_nsec = 1000000;
    CHECK_SYS(timerfd_settime(bfd, 0, &its, NULL));
    printf("timerfd one-shot: %llu\n", (unsigned long long)read_ticks(bfd));
    CHECK_SYS(timerfd_gettime(bfd, &old));
    printf("timerfd after one-shot: %ld.%09ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec);

    /* Periodic: expirations counted at the read, at least one per period slept. */
    its.it_interval.tv_nsec = 1000000;
    CHECK_SYS(timerfd_settime(bfd, 0, &its, NULL));
    usleep(10000);
    uint64_t ticks = read_ticks(bfd);
    CHECK_SYS(timerfd_gettime(bfd, &old));
    printf("timerfd periodic: ticks >= 9 %s, interval %ld.%09ld, next within a period %s\n", yesno(ticks >= 9),
           (long)old.it_interval.tv_sec, old.it_interval.tv_nsec,
           yesno(old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 1000000));
    printf("timerfd periodic blocking read: %s\n", yesno(read_ticks(bfd) >= 1));

    /* Setting the timer again drops unread expirations and returns the old setting. */
    memset(&its, 0, sizeof its);
    its.it_value.tv_nsec = 1000000;
    CHECK_SYS(timerfd_settime(tfd, 0, &its, NULL));
    usleep(3000);
    its.it_value.tv_sec = 10;
    its.it_value.tv_nsec = 0;
    CHECK_SYS(timerfd_settime(tfd, 0, &its, NULL));
    CHECK_ERR(read(tfd, &t, 8), EAGAIN);
    memset(&its, 0, sizeof its);
    CHECK_SYS(timerfd_settime(tfd, 0, &its, &old));
    printf("timerfd re-set: expiry dropped, old value 9.x s %s, interval %ld\n", yesno(old.it_value.tv_sec == 9),
           (long)old.it_interval.tv_sec);

    /* Absolute times: in the past (realtime), a little ahead (monotonic, boottime). */
    int rfd = timerfd_create(CLOCK_REALTIME, 0);
    its.it_value.tv_sec = 1;
    CHECK_SYS(timerfd_settime(rfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
    printf("timerfd realtime, absolute in the past: %llu\n", (unsigned long long)read_ticks(rfd));
    uint64_t target = now_ns(CLOCK_MONOTONIC) + 2000000;
    its.it_value.tv_sec = (time_t)(target / 1000000000u);
    its.it_value.tv_nsec = (long)(target % 1000000000u);
    CHECK_SYS(timerfd_settime(bfd, TFD_TIMER_ABSTIME, &its, NULL));
    ticks = read_ticks(bfd);
    printf("timerfd monotonic, absolute: %llu, not early %s\n", (unsigned long long)ticks, yesno(now_ns(CLOCK_MONOTONIC) >= target));
    int boot = timerfd_create(CLOCK_BOOTTIME, 0);
    target = now_ns(CLOCK_BOOTTIME) + 2000000;
    its.it_value.tv_sec = (time_t)(target / 1000000000u);
    its.it_value.tv_nsec = (long)(target % 1000000000u);
    CHECK_SYS(timerfd_settime(boot, TFD_TIMER_ABSTIME, &its, NULL));
    ticks = read_ticks(boot);
    printf("timerfd boottime, absolute: %llu, not early %s\n", (unsigned long long)ticks, yesno(now_ns(CLOCK_BOOTTIME) >= target));

    /* A far value is kept, not wrapped. */
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = 0x7fffffff;
    CHECK_SYS(timerfd_settime(rfd, 0, &its, NULL));
    CHECK_SYS(timerfd_gettime(rfd, &old));
    printf("timerfd far value: %s\n", yesno(old.it_value.tv_sec > 0x7fff0000));

    /* epoll of a timerfd. */
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 9 }, out[4];
    CHECK_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev));
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "epoll idle timer");
    memset(&its, 0, sizeof its);
    its.it_value.tv_nsec = 2000000;
    CHECK_SYS(timerfd_settime(tfd, 0, &its, NULL));
    int k = epoll_wait(ep, out, 4, -1);
    printf("timerfd epoll: %d event(s), events %#x, data %llu, ticks %llu\n", k, out[0].events,
           (unsigned long long)out[0].data.u64, (unsigned long long)read_ticks(tfd));
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "epoll drained timer");
    struct pollfd p = { tfd, POLLIN | POLLOUT, 0 };
    printf("timerfd poll after read: %d\n", poll(&p, 1, 0));
    close(ep);
    close(boot);
    close(rfd);
    close(bfd);
    close(tfd);
}

static volatile sig_atomic_t sigio_count;
static void on_sigio(int sig) { (void)sig; sigio_count++; }

static void test_sigio(void)
{
    int pfd[2];
    siginfo_t info;
    char c;
    CHECK_SYS(pipe(pfd));
    block(SIGIO);
    CHECK(fcntl(pfd[0], F_GETOWN) == 0, "no owner");
    CHECK_SYS(fcntl(pfd[0], F_SETOWN, getpid()));
    printf("F_GETOWN is the pid: %s\n", yesno(fcntl(pfd[0], F_GETOWN) == getpid()));
    CHECK_SYS(write(pfd[1], "a", 1));
    printf("no O_ASYNC, SIGIO: %s\n", yesno(is_pending(SIGIO)));
    CHECK_SYS(fcntl(pfd[0], F_SETFL, O_ASYNC | O_NONBLOCK));
    printf("F_GETFL has O_ASYNC: %s\n", yesno(fcntl(pfd[0], F_GETFL) & O_ASYNC));
    CHECK_SYS(write(pfd[1], "b", 1));
    printf("write, SIGIO: %s", yesno(take(SIGIO, &info)));
    printf(", si_code SI_KERNEL %s\n", yesno(info.si_code == SI_KERNEL));
    CHECK(read(pfd[0], &c, 1) == 1 && read(pfd[0], &c, 1) == 1, "drain");
    CHECK(!is_pending(SIGIO), "reading sends the read end nothing");

    /* F_SETSIG: a real-time signal with si_fd and si_band. */
    CHECK_SYS(fcntl(pfd[0], F_SETSIG, SIGRTMIN));
    printf("F_GETSIG: %s\n", signame(fcntl(pfd[0], F_GETSIG)));
    block(SIGRTMIN);
    CHECK_SYS(write(pfd[1], "c", 1));
    CHECK(take(SIGRTMIN, &info), "F_SETSIG signal");
    printf("F_SETSIG: code POLL_IN %s, si_fd is the read end %s, band %#lx\n", yesno(info.si_code == POLL_IN),
           yesno(info.si_fd == pfd[0]), (long)info.si_band);
    CHECK(read(pfd[0], &c, 1) == 1, "drain c");

    /* The write end hears reads (POLL_OUT). */
    CHECK_SYS(fcntl(pfd[1], F_SETOWN, getpid()));
    CHECK_SYS(fcntl(pfd[1], F_SETSIG, SIGRTMIN + 1));
    CHECK_SYS(fcntl(pfd[1], F_SETFL, O_ASYNC));
    block(SIGRTMIN + 1);
    CHECK_SYS(write(pfd[1], "d", 1));
    CHECK(take(SIGRTMIN, &info), "read end signal");
    CHECK(!is_pending(SIGRTMIN + 1), "a write sends the write end nothing");
    CHECK(read(pfd[0], &c, 1) == 1, "drain d");
    CHECK(take(SIGRTMIN + 1, &info), "write end signal");
    printf("write end after a read: code POLL_OUT %s, si_fd %s, band %#lx\n", yesno(info.si_code == POLL_OUT),
           yesno(info.si_fd == pfd[1]), (long)info.si_band);
    CHECK_SYS(fcntl(pfd[1], F_SETFL, 0));

    /* The process group as owner (a group of our own: the whole group gets SIGIO). */
    if (getpgrp() != getpid()) CHECK_SYS(setpgid(0, 0));
    CHECK_SYS(fcntl(pfd[0], F_SETSIG, 0));
    CHECK_SYS(fcntl(pfd[0], F_SETOWN, -getpgrp()));
    printf("F_GETOWN of a group: %s\n", yesno(fcntl(pfd[0], F_GETOWN) == -getpgrp()));
    CHECK_SYS(write(pfd[1], "e", 1));
    printf("group owner, SIGIO: %s\n", yesno(take(SIGIO, &info)));
    CHECK(read(pfd[0], &c, 1) == 1, "drain e");

    /* F_SETOWN_EX / F_GETOWN_EX. */
    struct f_owner_ex ex = { F_OWNER_TID, (pid_t)syscall(SYS_gettid) }, got;
    CHECK_SYS(fcntl(pfd[0], F_SETOWN_EX, &ex));
    CHECK_SYS(fcntl(pfd[0], F_GETOWN_EX, &got));
    printf("F_GETOWN_EX: type TID %s, the thread %s; F_GETOWN %s\n", yesno(got.type == F_OWNER_TID),
           yesno(got.pid == ex.pid), yesno(fcntl(pfd[0], F_GETOWN) == getpid()));
    CHECK_SYS(write(pfd[1], "f", 1));
    printf("thread owner, SIGIO: %s\n", yesno(take(SIGIO, &info)));
    CHECK(read(pfd[0], &c, 1) == 1, "drain f");
    ex.type = 7;
    CHECK_ERR(fcntl(pfd[0], F_SETOWN_EX, &ex), EINVAL);
    ex.type = F_OWNER_PID;
    ex.pid = -5;
    CHECK_ERR(fcntl(pfd[0], F_SETOWN_EX, &ex), ESRCH);
    CHECK_ERR(fcntl(pfd[0], F_SETOWN, 4194303), ESRCH);
    CHECK_ERR(fcntl(pfd[0], F_SETSIG, 65), EINVAL);
    CHECK_ERR(fcntl(pfd[0], F_SETSIG, -1), EINVAL);
    printf("owner errnos: EINVAL type, ESRCH, ESRCH, EINVAL signal 65 and -1\n");

    /* A handler runs for each write. */
    CHECK_SYS(fcntl(pfd[0], F_SETOWN, getpid()));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigio;
    CHECK_SYS(sigaction(SIGIO, &sa, NULL));
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGIO);
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &s, NULL));
    CHECK_SYS(write(pfd[1], "g", 1));
    CHECK_SYS(write(pfd[1], "h", 1));
    printf("SIGIO handler ran %d times\n", (int)sigio_count);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &s, NULL));

    /* Clearing O_ASYNC stops the signals. */
    CHECK_SYS(fcntl(pfd[0], F_SETFL, O_NONBLOCK));
    CHECK_SYS(write(pfd[1], "i", 1));
    printf("O_ASYNC cleared, SIGIO: %s\n", yesno(is_pending(SIGIO)));

    /* eventfd has no O_ASYNC support on Linux. */
    int efd = eventfd(0, 0);
    CHECK_SYS(fcntl(efd, F_SETOWN, getpid()));
    CHECK_SYS(fcntl(efd, F_SETFL, O_ASYNC));
    uint64_t one = 1;
    CHECK(write(efd, &one, 8) == 8, "eventfd write");
    printf("eventfd with O_ASYNC, SIGIO: %s\n", yesno(is_pending(SIGIO)));
    close(efd);
    close(pfd[0]);
    close(pfd[1]);
}

int main(void)
{
    t_init("signalfd_timerfd");
    test_signalfd();
    test_timerfd();
    test_sigio();
    t_done();
}
