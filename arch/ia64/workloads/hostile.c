/* hostile.c -- native twin of hostile.s: system calls with the arguments an attacker picks,
 * each result printed as "what: =value" or "what: ERRNO" (as Tests/programs/hostile_calls.c
 * does).  Only calls whose answer Linux gives the same on x86-64 and IA-64 are here; pids,
 * addresses and times never appear in the output.  Raw system calls throughout: glibc checks
 * some of these arguments itself. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef __WALL
#define __WALL 0x40000000
#endif

/* hostile.s uses /tmp/ia64-hostile.txt (a guest's /tmp is its own); natively the pid keeps
 * parallel runs apart. */
static char path[64];

#include "twin.h"

static void fail(const char *what)
{
    fprintf(stderr, "FAIL: %s\n", what);
    _exit(1);
}

static void memory_calls(void)
{
    char *page = (char *)syscall(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) fail("mmap");
    SHOW("madvise(0, -1, 0)", syscall(SYS_madvise, 0, -1L, 0));
    SHOW("madvise(0, -1, MADV_DONTNEED)", syscall(SYS_madvise, 0, -1L, MADV_DONTNEED));
    SHOW("madvise(0, 0, 0)", syscall(SYS_madvise, 0, 0, 0));
    SHOW("madvise(0, 4096, 0)", syscall(SYS_madvise, 0, 4096, 0));
    SHOW("madvise(page, 4096, 999)", syscall(SYS_madvise, page, 4096, 999));
    SHOW("madvise(page + 1, 4096, 0)", syscall(SYS_madvise, page + 1, 4096, 0));
    page[0] = 7;
    SHOW("madvise(page, 8192, MADV_DONTNEED)", syscall(SYS_madvise, page, 8192, MADV_DONTNEED));
    printf("page after MADV_DONTNEED: %d\n", page[0]);

    long brk0 = syscall(SYS_brk, 0);
    printf("brk(-1) keeps the break: %s\n", syscall(SYS_brk, -1L) == brk0 ? "yes" : "no");
    printf("brk(-4096) keeps the break: %s\n", syscall(SYS_brk, -4096L) == brk0 ? "yes" : "no");
    printf("brk back: %s\n", syscall(SYS_brk, brk0) == brk0 ? "yes" : "no");

    /* -1 and 2^64 - 4095 page-align to 0; 2^63 + 1 is past every user range. */
    SHOW("mmap(0, -1)", syscall(SYS_mmap, 0, -1L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    SHOW("mmap(0, 2^64 - 4095)", syscall(SYS_mmap, 0, -4095L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    SHOW("mmap(0, 2^63 + 1)", syscall(SYS_mmap, 0, 0x8000000000000001UL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    SHOW("munmap(page, -1)", syscall(SYS_munmap, page, -1L));
    SHOW("munmap(page, 2^64 - 4095)", syscall(SYS_munmap, page, -4095L));
    SHOW("mprotect(page, -1, PROT_READ)", syscall(SYS_mprotect, page, -1L, PROT_READ));
    SHOW("mprotect(page, 2^64 - 4095, PROT_READ)", syscall(SYS_mprotect, page, -4095L, PROT_READ));
    SHOW("mremap(page, 4096, -1, MREMAP_MAYMOVE)", syscall(SYS_mremap, page, 4096, -1L, MREMAP_MAYMOVE));
    SHOW("mremap(page, 4096, 0, MREMAP_MAYMOVE)", syscall(SYS_mremap, page, 4096, 0, MREMAP_MAYMOVE));
    SHOW("mremap(page, 4096, 8192, 8)", syscall(SYS_mremap, page, 4096, 8192, 8));
    SHOW("mremap(page, 4096, 8192, MREMAP_FIXED)", syscall(SYS_mremap, page, 4096, 8192, MREMAP_FIXED));
    SHOW("munmap(page, 8192)", syscall(SYS_munmap, page, 8192));
}

/* A pipe with one byte in it: readable at once. */
static int readable_pipe(void)
{
    int p[2];
    if (syscall(SYS_pipe, p) != 0 || syscall(SYS_write, p[1], "x", 1) != 1) fail("pipe");
    return p[0];
}

static void timeouts(void)
{
    int r = readable_pipe();
    fd_set set;
    struct timeval tv;
    struct timespec ts;

    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = LONG_MAX; tv.tv_usec = 0;
    SHOW("select(LONG_MAX s)", syscall(SYS_select, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = LONG_MAX; tv.tv_usec = 999999;
    SHOW("select(LONG_MAX s, 999999 us)", syscall(SYS_select, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = 0; tv.tv_usec = 0;
    SHOW("select(0 s)", syscall(SYS_select, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = 0; tv.tv_usec = 1500000;  /* the extra second is carried, not refused */
    SHOW("select(1500000 us)", syscall(SYS_select, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = 0; tv.tv_usec = -1;
    SHOW("select(-1 us)", syscall(SYS_select, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = -1; tv.tv_usec = 0;
    SHOW("select(-1 s)", syscall(SYS_select, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    ts.tv_sec = LONG_MAX; ts.tv_nsec = 999999999;
    SHOW("pselect6(LONG_MAX s)", syscall(SYS_pselect6, r + 1, &set, NULL, NULL, &ts, NULL));

    struct pollfd pfd = { .fd = r, .events = POLLIN };
    SHOW("ppoll(LONG_MAX s)", syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 8));
    ts.tv_sec = 0; ts.tv_nsec = 1000000000;
    SHOW("ppoll(10^9 ns)", syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 8));
    SHOW("poll(INT_MAX ms)", syscall(SYS_poll, &pfd, 1, INT_MAX));
    syscall(SYS_close, r);

    ts.tv_sec = 0; ts.tv_nsec = 1000000000;
    SHOW("nanosleep(10^9 ns)", syscall(SYS_nanosleep, &ts, NULL));
    ts.tv_sec = 0; ts.tv_nsec = -1;
    SHOW("nanosleep(-1 ns)", syscall(SYS_nanosleep, &ts, NULL));
    ts.tv_sec = -1; ts.tv_nsec = 0;
    SHOW("nanosleep(-1 s)", syscall(SYS_nanosleep, &ts, NULL));

    /* Sleepers of LONG_MAX seconds beside this running process, killed. */
    fflush(stdout);
    long sleeper = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (sleeper == 0) {
        struct timespec forever = { LONG_MAX, 999999999 };
        syscall(SYS_nanosleep, &forever, NULL);
        syscall(SYS_exit_group, 1);
    }
    long sleeper2 = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (sleeper2 == 0) {
        struct timespec forever = { LONG_MAX, 0 };
        syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &forever, NULL);
        syscall(SYS_exit_group, 1);
    }
    if (sleeper < 0 || sleeper2 < 0) fail("clone");
    struct timespec nap = { 0, 20000000 };
    syscall(SYS_nanosleep, &nap, NULL);
    syscall(SYS_kill, sleeper, SIGKILL);
    syscall(SYS_kill, sleeper2, SIGKILL);
    int st = 0;
    syscall(SYS_wait4, sleeper, &st, 0, NULL);
    printf("LONG_MAX nanosleep killed by signal: %d\n", st & 0x7f);
    st = 0;
    syscall(SYS_wait4, sleeper2, &st, 0, NULL);
    printf("LONG_MAX clock_nanosleep killed by signal: %d\n", st & 0x7f);

    int word = 1;
    ts.tv_sec = LONG_MAX; ts.tv_nsec = 0;
    SHOW("futex(FUTEX_WAIT, LONG_MAX s)", syscall(SYS_futex, &word, 0, 0, &ts, NULL, 0));
    ts.tv_sec = 0; ts.tv_nsec = -1;
    SHOW("futex(FUTEX_WAIT, -1 ns)", syscall(SYS_futex, &word, 0, 1, &ts, NULL, 0));

    /* SIGUSR1 blocked and pending: an invalid timeout is refused, a LONG_MAX one returns it. */
    unsigned long usr1 = 1UL << (SIGUSR1 - 1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &usr1, NULL, 8);
    syscall(SYS_kill, getpid(), SIGUSR1);
    ts.tv_sec = -1; ts.tv_nsec = 0;
    SHOW("rt_sigtimedwait(-1 s)", syscall(SYS_rt_sigtimedwait, &usr1, NULL, &ts, 8));
    ts.tv_sec = LONG_MAX; ts.tv_nsec = 0;
    SHOW("rt_sigtimedwait(LONG_MAX s)", syscall(SYS_rt_sigtimedwait, &usr1, NULL, &ts, 8));
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &usr1, NULL, 8);

    struct itimerval it = { { 0, 0 }, { LONG_MAX, 0 } }, old;
    SHOW("setitimer(LONG_MAX s)", syscall(SYS_setitimer, ITIMER_REAL, &it, NULL));
    SHOW("getitimer", syscall(SYS_getitimer, ITIMER_REAL, &old));
    printf("time left > 10^6 s: %s\n", old.it_value.tv_sec > 1000000 ? "yes" : "no");
    it.it_value.tv_sec = 1; it.it_value.tv_usec = 1000000;
    SHOW("setitimer(1000000 us)", syscall(SYS_setitimer, ITIMER_REAL, &it, NULL));
    SHOW("setitimer(99)", syscall(SYS_setitimer, 99, NULL, NULL));
    memset(&it, 0, sizeof it);
    SHOW("setitimer(0)", syscall(SYS_setitimer, ITIMER_REAL, &it, NULL));
}

static void signal_calls(void)
{
    long me = getpid();
    long tid = syscall(SYS_gettid);
    unsigned char act[64];

    SHOW("kill(INT_MIN, 0)", syscall(SYS_kill, INT_MIN, 0));
    SHOW("kill(INT_MIN, SIGKILL)", syscall(SYS_kill, INT_MIN, SIGKILL));
    SHOW("kill(INT_MAX, 0)", syscall(SYS_kill, INT_MAX, 0));
    SHOW("kill(self, 0)", syscall(SYS_kill, me, 0));
    SHOW("kill(self, 65)", syscall(SYS_kill, me, 65));
    SHOW("kill(self, -1)", syscall(SYS_kill, me, -1));
    SHOW("tgkill(0, tid, 0)", syscall(SYS_tgkill, 0, tid, 0));
    SHOW("tgkill(-1, tid, 0)", syscall(SYS_tgkill, -1, tid, 0));
    SHOW("tgkill(self, tid, 65)", syscall(SYS_tgkill, me, tid, 65));
    SHOW("tkill(INT_MIN, 0)", syscall(SYS_tkill, INT_MIN, 0));
    SHOW("rt_sigaction(0)", syscall(SYS_rt_sigaction, 0, NULL, act, 8));
    SHOW("rt_sigaction(65)", syscall(SYS_rt_sigaction, 65, NULL, act, 8));
    SHOW("rt_sigaction(-1)", syscall(SYS_rt_sigaction, -1, NULL, act, 8));
    SHOW("rt_sigaction(SIGUSR1)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, act, 8));
    SHOW("rt_sigaction(SIGUSR1, sigsetsize 9)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, act, 9));
}

static void process_calls(void)
{
    int st = 0;
    SHOW("wait4(INT_MIN)", syscall(SYS_wait4, INT_MIN, &st, 0, NULL));
    SHOW("wait4(-INT_MAX, WNOHANG)", syscall(SYS_wait4, -INT_MAX, &st, WNOHANG, NULL));
    SHOW("waitid(P_PID, 0)", syscall(SYS_waitid, P_PID, 0, NULL, WEXITED, NULL));
    SHOW("waitid(P_PGID, -1)", syscall(SYS_waitid, P_PGID, -1, NULL, WEXITED, NULL));
    SHOW("prlimit64(INT_MIN, RLIMIT_NOFILE)", syscall(SYS_prlimit64, INT_MIN, 7, NULL, NULL));
    SHOW("prlimit64(0, 16)", syscall(SYS_prlimit64, 0, 16, NULL, NULL));

    /* Exit signals 100, 255 and 65 are no signals: the child's exit sends nothing, and
     * wait4(-1, __WALL) reaps it. */
    static const int exit_signals[] = { 100, 255, 65 };
    for (unsigned i = 0; i < sizeof exit_signals / sizeof exit_signals[0]; i++) {
        fflush(stdout);
        long pid = syscall(SYS_clone, (long)exit_signals[i], 0, 0, 0, 0);
        if (pid == 0)
            syscall(SYS_exit_group, 3);
        if (pid < 0) fail("clone");
        st = 0;
        long r = syscall(SYS_wait4, -1, &st, __WALL, NULL);
        printf("exit signal %d, wait4(-1, __WALL) reaps the child: %s\n", exit_signals[i], r == pid ? "yes" : "no");
        printf("exit status: %d\n", (st >> 8) & 0xff);
    }
}

static void file_calls(void)
{
    char buf[64];
    snprintf(path, sizeof path, "/tmp/ia64-hostile.%ld.txt", (long)getpid());
    int fd = (int)syscall(SYS_open, path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || syscall(SYS_write, fd, "data", 4) != 4) fail("open");

    SHOW("lseek(100, SEEK_SET)", syscall(SYS_lseek, fd, 100, SEEK_SET));
    SHOW("lseek(LLONG_MAX, SEEK_CUR)", syscall(SYS_lseek, fd, LLONG_MAX, SEEK_CUR));
    SHOW("lseek(LLONG_MIN, SEEK_SET)", syscall(SYS_lseek, fd, LLONG_MIN, SEEK_SET));
    SHOW("lseek(LLONG_MIN, SEEK_DATA)", syscall(SYS_lseek, fd, LLONG_MIN, SEEK_DATA));
    SHOW("lseek(-1, SEEK_HOLE)", syscall(SYS_lseek, fd, -1L, SEEK_HOLE));
    SHOW("pread64(10, LLONG_MAX - 5)", syscall(SYS_pread64, fd, buf, 10, LLONG_MAX - 5));
    SHOW("pwrite64(10, LLONG_MAX - 5)", syscall(SYS_pwrite64, fd, buf, 10, LLONG_MAX - 5));
    SHOW("pread64(10, LLONG_MAX)", syscall(SYS_pread64, fd, buf, 10, LLONG_MAX));
    SHOW("pread64(10, -1)", syscall(SYS_pread64, fd, buf, 10, -1L));
    SHOW("pread64(4, 0)", syscall(SYS_pread64, fd, buf, 4, 0));

    int r = readable_pipe();
    struct iovec negative = { buf, (size_t)-1 };
    struct iovec iov = { buf, 4 };
    SHOW("readv(len -1)", syscall(SYS_readv, r, &negative, 1));
    SHOW("writev(len -1)", syscall(SYS_writev, fd, &negative, 1));
    SHOW("readv(1025 vectors)", syscall(SYS_readv, r, &iov, 1025));
    SHOW("readv(-1 vectors)", syscall(SYS_readv, r, &iov, -1L));
    SHOW("getcwd(buf, 0)", syscall(SYS_getcwd, buf, 0));
    syscall(SYS_close, r);
    syscall(SYS_close, fd);
    if (syscall(SYS_unlink, path) != 0) fail("unlink");
}

int main(void)
{
    memory_calls();
    timeouts();
    signal_calls();
    process_calls();
    file_calls();
    printf("hostile: done\n");
    return 0;
}
