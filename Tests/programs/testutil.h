/*
 * testutil.h - tiny shared helpers for the umlab differential test programs.
 *
 * Every program prints only deterministic text to stdout (no pids, addresses,
 * times, ...), ends with "<name>: done" and exits 0.  A failed internal check
 * prints "FAIL: ..." and exits 1.  Only the main process prints; children
 * report back through exit codes or pipes.
 *
 * Include this header FIRST (it sets the feature-test macros).
 */
#ifndef UMLAB_TESTUTIL_H
#define UMLAB_TESTUTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *t_name = "test";
static pid_t t_main_pid;
static char t_tmpdir[256];   /* removed recursively on failure/cleanup */

static inline const char *errname(int e)
{
    static char buf[32];
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EINTR: return "EINTR";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case E2BIG: return "E2BIG";
    case EBADF: return "EBADF";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ENFILE: return "ENFILE";
    case EMFILE: return "EMFILE";
    case ENOTTY: return "ENOTTY";
    case EFBIG: return "EFBIG";
    case ENOSPC: return "ENOSPC";
    case ESPIPE: return "ESPIPE";
    case EROFS: return "EROFS";
    case EMLINK: return "EMLINK";
    case EPIPE: return "EPIPE";
    case ERANGE: return "ERANGE";
    case EDEADLK: return "EDEADLK";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOSYS: return "ENOSYS";
    case ENOTEMPTY: return "ENOTEMPTY";
    case ELOOP: return "ELOOP";
    case EOVERFLOW: return "EOVERFLOW";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EDOM: return "EDOM";
    case ENOTSOCK: return "ENOTSOCK";
    case EDESTADDRREQ: return "EDESTADDRREQ";
    case EMSGSIZE: return "EMSGSIZE";
    case EPROTOTYPE: return "EPROTOTYPE";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case ENETUNREACH: return "ENETUNREACH";
    case ECONNABORTED: return "ECONNABORTED";
    case ECONNRESET: return "ECONNRESET";
    case ENOBUFS: return "ENOBUFS";
    case EISCONN: return "EISCONN";
    case ENOTCONN: return "ENOTCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case EALREADY: return "EALREADY";
    case EINPROGRESS: return "EINPROGRESS";
    case ENODEV: return "ENODEV";
    default:
        snprintf(buf, sizeof buf, "errno=%d", e);
        return buf;
    }
}

static inline int t_rm_cb(const char *path, const struct stat *sb, int flag,
                          struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/* Remove the registered temp dir (if any) recursively.  Main process only. */
static inline void t_cleanup(void)
{
    if (t_tmpdir[0] && getpid() == t_main_pid) {
        nftw(t_tmpdir, t_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
        t_tmpdir[0] = 0;
    }
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
    va_list ap;
    int saved = errno;
    fflush(stdout);
    printf("FAIL: ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    errno = saved;
    t_cleanup();
    _exit(1);
}

#define CHECK(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)
/* For calls returning <0 / NULL-ish on error: report the errno name. */
#define CHECK_SYS(expr) do { if ((long)(expr) < 0) \
        fail("%s:%d: %s -> %s", __FILE__, __LINE__, #expr, errname(errno)); } while (0)
#define CHECK_ERR(expr, want) do { errno = 0; long r_ = (long)(expr); int e_ = errno; \
        if (r_ != -1 || e_ != (want)) \
            fail("%s:%d: %s -> %ld/%s, expected -1/%s", __FILE__, __LINE__, #expr, \
                 r_, errname(e_), errname(want)); } while (0)

/*
 * Common start-up: line-buffered stdout (so nothing is duplicated by fork),
 * an empty signal mask and default dispositions for signals a test harness
 * might have left ignored (SIGPIPE, SIGCHLD, ...).
 */
static inline void t_init(const char *name)
{
    sigset_t none;
    int sig;
    t_name = name;
    t_main_pid = getpid();
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (sig = 1; sig < 32; sig++) {
        struct sigaction sa;
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
            sa.sa_handler = SIG_DFL;
            sigaction(sig, &sa, NULL);
        }
    }
}

/* Make a private temp dir /tmp/umlab-t-<name>-XXXXXX; removed by t_cleanup(). */
static inline const char *t_mktmpdir(void)
{
    snprintf(t_tmpdir, sizeof t_tmpdir, "/tmp/umlab-t-%s-XXXXXX", t_name);
    if (!mkdtemp(t_tmpdir)) {
        t_tmpdir[0] = 0;
        fail("mkdtemp: %s", errname(errno));
    }
    return t_tmpdir;
}

static inline void t_done(void)
{
    t_cleanup();
    printf("%s: done\n", t_name);
    fflush(stdout);
    exit(0);
}

/* fork() with stdout flushed first. */
static inline pid_t t_fork(void)
{
    pid_t p;
    fflush(stdout);
    p = fork();
    if (p < 0)
        fail("fork: %s", errname(errno));
    return p;
}

/* waitpid() retrying on EINTR; fails the test if it does not return pid. */
#include <sys/wait.h>
static inline int t_wait(pid_t pid)
{
    int st = 0;
    pid_t r;
    do
        r = waitpid(pid, &st, 0);
    while (r < 0 && errno == EINTR);
    if (r != pid)
        fail("waitpid: got %ld (%s)", (long)r, errname(errno));
    return st;
}

/* Wait for a child and require it exited with status 0. */
static inline void t_wait_ok(pid_t pid, const char *what)
{
    int st = t_wait(pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail("%s: child status 0x%x", what, st);
}

/* Full read/write helpers retrying on EINTR and short transfers. */
static inline ssize_t t_read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

static inline ssize_t t_write_full(int fd, const void *buf, size_t n)
{
    size_t put = 0;
    while (put < n) {
        ssize_t r = write(fd, (const char *)buf + put, n - put);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        put += (size_t)r;
    }
    return (ssize_t)put;
}

/* Deterministic pseudo-random numbers (fixed LCG, 32-bit). */
static inline uint32_t t_lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s;
}

static inline const char *yesno(int c) { return c ? "yes" : "no"; }

#endif /* UMLAB_TESTUTIL_H */
