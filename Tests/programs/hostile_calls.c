/*
 * hostile_calls.c - system calls with the arguments an attacker picks, each result printed.
 *
 * Lengths that round past the top of the address space, timeouts of LONG_MAX seconds, pids
 * of INT_MIN, signal numbers 0, 65 and -1, exit signals past the last signal, file positions
 * near 2^63, buffer sizes of -1, exit signals that would reach a parent which never asked for
 * them (CLONE_PARENT, a parent that has exec'd).  Every one of these once made umlab trap, or
 * killed the wrong process (or could have);
 * the output is compared with the native run (x86-64), so only calls whose answer Linux gives
 * the same on every ISA are here.  Sizes, pids and times never appear in the output.
 */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>

#include <sys/resource.h>

/* The kernel's select (glibc's checks and normalizes the timeout itself). */
#ifdef SYS__newselect
#define SYS_SELECT SYS__newselect
#else
#define SYS_SELECT SYS_select
#endif

#ifndef __WALL
#define __WALL 0x40000000
#endif

/* One result line: "what: =value" or "what: ERRNO". */
static void show(const char *what, long r)
{
    if (r == -1)
        printf("%s: %s\n", what, errname(errno));
    else
        printf("%s: =%ld\n", what, r);
}
#define SHOW(expr) do { errno = 0; show(#expr, (long)(expr)); } while (0)
/* For calls whose value is not deterministic: only whether they failed, and how. */
#define SHOW_OK(expr) do { errno = 0; long r_ = (long)(expr); show(#expr, r_ == -1 ? -1 : 0); } while (0)

static const unsigned long TOP_PAGE = ~0xfffUL;

static void memory_calls(void)
{
    char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED, "mmap");
    SHOW(syscall(SYS_madvise, 0, -1L, 0));
    SHOW(syscall(SYS_madvise, 0, -1L, MADV_DONTNEED));
    SHOW(syscall(SYS_madvise, 0, 0, 0));
    SHOW(syscall(SYS_madvise, 0, 4096, 0));
    SHOW(syscall(SYS_madvise, page, 4096, 999));
    SHOW(syscall(SYS_madvise, page + 1, 4096, 0));
    page[0] = 7;
    SHOW(syscall(SYS_madvise, page, 8192, MADV_DONTNEED));
    printf("page after MADV_DONTNEED: %d\n", page[0]);

    long brk0 = syscall(SYS_brk, 0);
    printf("brk(-1) keeps the break: %s\n", yesno(syscall(SYS_brk, -1L) == brk0));
    printf("brk(top page + 1) keeps the break: %s\n", yesno(syscall(SYS_brk, TOP_PAGE + 1) == brk0));

    SHOW(syscall(SYS_mmap, 0, -1L, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == -1 ? -1 : 0);
    SHOW(mmap((void *)TOP_PAGE, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? -1 : 0);
    SHOW(munmap((void *)TOP_PAGE, 8192));
    SHOW(munmap(page, (size_t)-1));
    SHOW(mprotect(page, (size_t)-1, PROT_READ));
    SHOW(mprotect((void *)TOP_PAGE, 4096, PROT_READ));
    SHOW(syscall(SYS_mremap, page, 4096, -1L, MREMAP_MAYMOVE));
    SHOW(syscall(SYS_mremap, page, 4096, 0, MREMAP_MAYMOVE));
    SHOW(syscall(SYS_mremap, page, 4096, 8192, 8));
    SHOW(syscall(SYS_mremap, page, 4096, 8192, MREMAP_FIXED));
    munmap(page, 8192);
}

/* A pipe with one byte in it: readable at once. */
static int readable_pipe(void)
{
    int p[2];
    CHECK_SYS(pipe(p));
    CHECK(write(p[1], "x", 1) == 1, "write");
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
    SHOW(syscall(SYS_SELECT, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = 0; tv.tv_usec = 1500000;  /* the extra second is carried, not refused */
    SHOW(syscall(SYS_SELECT, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = 0; tv.tv_usec = -1;
    SHOW(syscall(SYS_SELECT, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    tv.tv_sec = -1; tv.tv_usec = 0;
    SHOW(syscall(SYS_SELECT, r + 1, &set, NULL, NULL, &tv));
    FD_ZERO(&set); FD_SET(r, &set);
    ts.tv_sec = LONG_MAX; ts.tv_nsec = 999999999;
    SHOW(syscall(SYS_pselect6, r + 1, &set, NULL, NULL, &ts, NULL));

    struct pollfd pfd = { .fd = r, .events = POLLIN };
    SHOW(syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 8));
    ts.tv_sec = 0; ts.tv_nsec = 1000000000;
    SHOW(syscall(SYS_ppoll, &pfd, 1, &ts, NULL, 8));
    SHOW(poll(&pfd, 1, INT_MAX));
    close(r);

    /* Sleeps that are invalid, and one of LONG_MAX seconds beside this running process. */
    ts.tv_sec = 0; ts.tv_nsec = -1;
    SHOW(syscall(SYS_nanosleep, &ts, NULL));
    ts.tv_sec = -1; ts.tv_nsec = 0;
    SHOW(syscall(SYS_nanosleep, &ts, NULL));
    pid_t sleeper = t_fork();
    if (sleeper == 0) {
        struct timespec forever = { LONG_MAX, 999999999 };
        nanosleep(&forever, NULL);
        _exit(1);
    }
    pid_t sleeper2 = t_fork();
    if (sleeper2 == 0) {
        struct timespec forever = { LONG_MAX, 0 };
        clock_nanosleep(CLOCK_MONOTONIC, 0, &forever, NULL);
        _exit(1);
    }
    struct timespec short_nap = { 0, 20000000 };
    nanosleep(&short_nap, NULL);
    kill(sleeper, SIGKILL);
    kill(sleeper2, SIGKILL);
    int st = t_wait(sleeper);
    printf("LONG_MAX sleeper killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    st = t_wait(sleeper2);
    printf("LONG_MAX clock_nanosleep killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);

    /* futex and rt_sigtimedwait with LONG_MAX seconds. */
    int word = 1;
    ts.tv_sec = LONG_MAX; ts.tv_nsec = 0;
    SHOW(syscall(SYS_futex, &word, 0 /* FUTEX_WAIT */, 0, &ts, NULL, 0));
    ts.tv_sec = 0; ts.tv_nsec = -1;
    SHOW(syscall(SYS_futex, &word, 0, 1, &ts, NULL, 0));
    SHOW(syscall(SYS_futex, &word, 3 /* FUTEX_REQUEUE */, -1, 0, &word, 0));

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    raise(SIGUSR1);
    ts.tv_sec = -1; ts.tv_nsec = 0;
    SHOW(sigtimedwait(&usr1, NULL, &ts));  /* EINVAL, and the signal stays pending */
    ts.tv_sec = LONG_MAX; ts.tv_nsec = 0;
    SHOW(sigtimedwait(&usr1, NULL, &ts));
    sigprocmask(SIG_UNBLOCK, &usr1, NULL);

    /* Interval timers of LONG_MAX seconds, and malformed ones. */
    struct itimerval it = { { 0, 0 }, { LONG_MAX, 0 } }, old;
    SHOW(setitimer(ITIMER_REAL, &it, NULL));
    SHOW(getitimer(ITIMER_REAL, &old));
    printf("time left > 10^6 s: %s\n", yesno(old.it_value.tv_sec > 1000000));
    it.it_value.tv_sec = 1; it.it_value.tv_usec = 1000000;
    SHOW(setitimer(ITIMER_REAL, &it, NULL));
    SHOW(syscall(SYS_setitimer, 99, NULL, NULL));
    memset(&it, 0, sizeof it);
    SHOW(setitimer(ITIMER_REAL, &it, NULL));
    SHOW(alarm(UINT_MAX));
    printf("alarm left > 10^6 s: %s\n", yesno(alarm(0) > 1000000));
}

static void signal_calls(void)
{
    pid_t me = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_code = SI_QUEUE;

    SHOW(kill(INT_MIN, 0));
    SHOW(kill(INT_MIN, SIGKILL));
    SHOW(kill(me, 65));
    SHOW(kill(me, -1));
    SHOW(kill(me, 0));
    SHOW(kill(INT_MAX, 0));
    SHOW(syscall(SYS_tgkill, 0, tid, 0));
    SHOW(syscall(SYS_tgkill, -1, tid, 0));
    SHOW(syscall(SYS_tgkill, me, 0, 0));
    SHOW(syscall(SYS_tgkill, me, INT_MAX, 65));
    SHOW(syscall(SYS_tgkill, me, tid, 65));
    SHOW(syscall(SYS_tgkill, me, tid, 0));
    SHOW(syscall(SYS_tkill, INT_MIN, 0));
    SHOW(syscall(SYS_rt_sigqueueinfo, me, 0, &info));
    SHOW(syscall(SYS_rt_sigqueueinfo, me, 65, &info));
    SHOW(syscall(SYS_rt_sigqueueinfo, INT_MIN, SIGUSR1, &info));
    SHOW(syscall(SYS_rt_tgsigqueueinfo, me, -1, SIGUSR1, &info));
    SHOW(syscall(SYS_rt_tgsigqueueinfo, me, tid, 65, &info));

    stack_t ss = { .ss_sp = malloc(65536), .ss_flags = SS_ONSTACK, .ss_size = 65536 };
    SHOW(sigaltstack(&ss, NULL));
    ss.ss_flags = 4;
    SHOW(sigaltstack(&ss, NULL));
    ss.ss_flags = 0; ss.ss_size = 100;
    SHOW(sigaltstack(&ss, NULL));
    ss.ss_flags = SS_DISABLE;
    SHOW(sigaltstack(&ss, NULL));
}

static void process_calls(void)
{
    int st = 0;
    SHOW(wait4(INT_MIN, &st, 0, NULL));
    SHOW(wait4(-INT_MAX, &st, WNOHANG, NULL));
    SHOW(syscall(SYS_waitid, P_PID, 0, NULL, WEXITED, NULL));
    SHOW(syscall(SYS_waitid, P_PGID, -1, NULL, WEXITED, NULL));

    /* Exit signals 100, 255 and 65 are no signals: the child's exit sends nothing, and
     * wait4(__WALL) reaps it. */
    static const int exit_signals[] = { 100, 255, 65 };
    for (unsigned i = 0; i < sizeof exit_signals / sizeof exit_signals[0]; i++) {
        fflush(stdout);
        long pid = syscall(SYS_clone, (long)exit_signals[i], 0, 0, 0, 0);
        if (pid == 0)
            syscall(SYS_exit_group, 3);
        CHECK(pid > 0, "clone with exit signal %d: %s", exit_signals[i], errname(errno));
        long r = wait4((pid_t)pid, &st, __WALL, NULL);
        printf("exit signal %d: reaped %s, status %d\n", exit_signals[i], yesno(r == pid), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }

    unsigned long long args[8] = { 0, 0, 0, 0, SIGCHLD, 0, 0, 0 };
    SHOW(syscall(SYS_clone3, args, 4097));
    SHOW(syscall(SYS_clone3, args, 63));
    args[4] = 65;
    SHOW(syscall(SYS_clone3, args, 64));
    args[4] = SIGCHLD; args[0] = SIGCHLD;  /* CSIGNAL bits in the flags */
    SHOW(syscall(SYS_clone3, args, 64));
    args[0] = 0; args[6] = 4096;  /* a stack size without a stack */
    SHOW(syscall(SYS_clone3, args, 64));

    /* CLONE_SETTLS with a thread pointer in kernel space: EPERM on x86-64 (umlab once made the
     * child, then lost it: the host refuses such an FS base). PowerPC's thread pointer is r2,
     * where any value is valid: the line is the x86-64 answer there. */
    fflush(stdout);
#ifdef __x86_64__
    errno = 0;
    long tls_child = syscall(SYS_clone, (long)(SIGCHLD | CLONE_SETTLS), 0, 0, 0, 0xffffffff80000000UL);
    if (tls_child == 0)
        syscall(SYS_exit_group, 0);
    if (tls_child > 0)
        waitpid((pid_t)tls_child, NULL, 0);
    show("clone(SIGCHLD | CLONE_SETTLS, tls 0xffffffff80000000)", tls_child > 0 ? 0 : tls_child);
#else
    puts("clone(SIGCHLD | CLONE_SETTLS, tls 0xffffffff80000000): EPERM");
#endif
    SHOW(syscall(SYS_execve, "/bin/true", (char **)-8L, NULL));
    SHOW(syscall(SYS_prlimit64, INT_MIN, RLIMIT_NOFILE, NULL, NULL));
    SHOW(syscall(SYS_prlimit64, 0, 16, NULL, NULL));
}

static volatile sig_atomic_t usr1_seen, usr2_seen, chld_seen;
static void count_signal(int sig)
{
    if (sig == SIGUSR1) usr1_seen++;
    if (sig == SIGUSR2) usr2_seen++;
    if (sig == SIGCHLD) chld_seen++;
}

static void count_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_signal;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    usr1_seen = usr2_seen = chld_seen = 0;
}

/* The exec'd half of exit_signal_routes: a child made with exit signal SIGUSR2 by this
 * process's former program ends; Linux sends the new program SIGCHLD instead.  The answer is
 * the exit code: 1 if SIGUSR2 came, 2 if SIGCHLD came, 4 if the child was reaped with status 7. */
static int after_exec(int fd)
{
    count_signals();
    char go = 'g';
    if (write(fd, &go, 1) != 1)
        return 64;
    int st = 0;
    long r;
    do
        r = waitpid(-1, &st, __WALL);
    while (r < 0 && errno == EINTR);
    return (usr2_seen ? 1 : 0) | (chld_seen ? 2 : 0) | (r > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 4 : 0);
}

/* Exit signals that would reach a process which never chose them.  A process cannot pick the
 * signal its parent gets: a CLONE_PARENT child (a sibling) ends with its creator's own exit
 * signal, whatever clone asked for, and a parent that has exec'd since gets SIGCHLD.  (umlab
 * once sent the asked-for signal: a hostile sibling with exit signal SIGKILL killed the
 * syscall fuzzer's parent.) */
static void exit_signal_routes(const char *self)
{
    count_signals();
    pid_t a = t_fork();
    if (a == 0) {
        long b = syscall(SYS_clone, (long)(CLONE_PARENT | SIGUSR1), 0, 0, 0, 0);
        if (b == 0)
            _exit(5);
        _exit(b > 0 ? 0 : 1);
    }
    int st = t_wait(a);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "CLONE_PARENT: clone failed");
    /* The sibling is this process's child, reaped by a plain wait (its exit signal is SIGCHLD). */
    long r;
    do
        r = waitpid(-1, &st, 0);
    while (r < 0 && errno == EINTR);
    printf("CLONE_PARENT with exit signal SIGUSR1: reaped by a plain wait %s, status %d, SIGUSR1 %s\n",
           yesno(r > 0), r > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1, yesno(usr1_seen));
    while (waitpid(-1, NULL, __WALL | WNOHANG) > 0) {}

    /* A helper makes a child with exit signal SIGUSR2, then execs this program, which lets the
     * child end and reports what it got. */
    pid_t h = t_fork();
    if (h == 0) {
        int p[2];
        if (pipe(p) != 0)
            _exit(65);
        fflush(stdout);
        long c = syscall(SYS_clone, (long)SIGUSR2, 0, 0, 0, 0);
        if (c == 0) {
            char go;
            close(p[1]);
            _exit(read(p[0], &go, 1) == 1 ? 7 : 8);
        }
        close(p[0]);
        char fd[16];
        snprintf(fd, sizeof fd, "%d", p[1]);
        execl(self, self, "--after-exec", fd, (char *)NULL);
        _exit(66);
    }
    st = t_wait(h);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    printf("exit signal SIGUSR2 to a parent that has exec'd: SIGUSR2 %s, SIGCHLD %s, reaped %s\n",
           yesno(code >= 0 && code & 1), yesno(code >= 0 && code & 2), yesno(code >= 0 && code & 4));
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
}

static void file_calls(void)
{
    const char *dir = t_mktmpdir();
    char path[300], buf[64];
    snprintf(path, sizeof path, "%s/f", dir);
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    CHECK_SYS(fd);
    CHECK(write(fd, "data", 4) == 4, "write");

    SHOW(lseek(fd, 100, SEEK_SET));
    SHOW(lseek(fd, LLONG_MAX, SEEK_CUR));
    SHOW(lseek(fd, LLONG_MIN, SEEK_DATA));
    SHOW(lseek(fd, -1, SEEK_HOLE));
    SHOW(pread(fd, buf, 10, LLONG_MAX - 5));
    SHOW(pwrite(fd, buf, 10, LLONG_MAX - 5));
    SHOW(pread(fd, buf, 10, -1));
    SHOW(pread(fd, buf, 4, 0));
    struct iovec iov = { buf, 4 };
    SHOW(preadv(fd, &iov, 1, -1));
    /* Past 4 GiB: a 32-bit ISA passes preadv's and pwritev's position in two registers, low
       word first and unaligned (unlike pread64's pair). */
    struct iovec far = { buf, 3 };
    memcpy(buf, "far", 3);
    SHOW(pwritev(fd, &far, 1, 0x100000001LL));
    memset(buf, 0, 8);
    SHOW(pread(fd, buf, 3, 0x100000001LL));
    printf("pwritev then pread past 4 GiB: %.3s\n", buf);
    memset(buf, 0, 8);
    SHOW(preadv(fd, &far, 1, 0x100000001LL));
    printf("preadv past 4 GiB: %.3s\n", buf);
    CHECK_SYS(ftruncate(fd, 4));

    int r = readable_pipe();
    struct iovec negative = { buf, (size_t)-1 };
    SHOW(readv(r, &negative, 1));
    SHOW(writev(fd, &negative, 1));
    SHOW(syscall(SYS_readv, r, &iov, 1025));
    SHOW(syscall(SYS_readv, r, &iov, -1L));
    SHOW(syscall(SYS_write, fd, TOP_PAGE, 0x2000));
    close(r);

    SHOW_OK(syscall(SYS_getcwd, buf, -1L));
    SHOW(syscall(SYS_getcwd, buf, 0));
    snprintf(path, sizeof path, "%s/l", dir);
    CHECK_SYS(symlink("target", path));
    SHOW(syscall(SYS_readlinkat, AT_FDCWD, path, buf, 0));
    SHOW(syscall(SYS_readlinkat, AT_FDCWD, path, buf, -1));
    int d = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK_SYS(d);
    SHOW(syscall(SYS_getdents64, d, buf, 0));
    close(d);
    struct timespec times[2] = { { 0, 1000000000 }, { 0, 0 } };
    SHOW(utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW));
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--after-exec") == 0)
        return after_exec(atoi(argv[2]));
    t_init("hostile_calls");
    memory_calls();
    timeouts();
    signal_calls();
    process_calls();
    exit_signal_routes(argv[0]);
    file_calls();
    t_done();
}
