/*
 * locks.c - advisory file locks across fork'ed processes: flock (conflicts, sharing through dup
 * and fork, conversions, release on the last close, a blocked waiter woken by the unlock, EINTR
 * and SA_RESTART), fcntl record locks (F_GETLK answers, read/write conflicts, splitting and
 * merging ranges, SEEK_CUR/SEEK_END, negative lengths and to-EOF, release on any close and at
 * exit, not inherited by fork, F_SETLKW woken by the unlock, EDEADLK between two processes,
 * errnos for modes, types and ranges) and OFD locks (per description, l_pid rules, conflicts
 * with POSIX locks, kept by dup and fork). Prints what it sees; the output must match Linux.
 */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/wait.h>

static char path[300];

static int open_file(int flags) { int fd = open(path, flags); CHECK_SYS(fd); return fd; }

static const char *type_name(int t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : "?";
}

static int setlk(int fd, int cmd, int type, int whence, off_t start, off_t len)
{
    struct flock l = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &l) < 0 ? errno : 0;
}

/* F_GETLK (or F_OFD_GETLK) for a write lock over [start, start+len): "F_UNLCK" or the holder. */
static const char *getlk(int fd, int cmd, off_t start, off_t len, pid_t holder)
{
    static char buf[4][128];
    static int next;
    char *b = buf[next++ & 3];
    struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    if (fcntl(fd, cmd, &l) < 0) { snprintf(b, 128, "-1 %s", errname(errno)); return b; }
    if (l.l_type == F_UNLCK) return "F_UNLCK";
    snprintf(b, 128, "%s start %lld len %lld pid %s", type_name(l.l_type), (long long)l.l_start, (long long)l.l_len,
             l.l_pid == -1 ? "-1" : l.l_pid == holder ? "holder" : "other");
    return b;
}

/* Runs `fn` in a child; returns its exit code (the child reports a value 0..255). */
static int in_child(int (*fn)(long), long arg)
{
    pid_t p = t_fork();
    if (p == 0) _exit(fn(arg));
    int st;
    CHECK_SYS(waitpid(p, &st, 0));
    CHECK(WIFEXITED(st), "child died");
    return WEXITSTATUS(st);
}

/* A line from a child through a pipe (the child prints nothing itself). */
static int report[2];
static void child_says(const char *s) { CHECK(write(report[1], s, strlen(s)) == (ssize_t)strlen(s), "report"); }

static int errno_code(int e) { return e == 0 ? 0 : e == EAGAIN ? 1 : e == EINTR ? 2 : e == EDEADLK ? 3 : e == EBADF ? 4 : 9; }
static const char *code_name(int c) { const char *n[] = { "0", "EAGAIN", "EINTR", "EDEADLK", "EBADF" }; return c < 5 ? n[c] : "other"; }

/* Whether the process is asleep (a blocked lock call). */
static int sleeping(pid_t p)
{
    char f[64], buf[512];
    snprintf(f, sizeof f, "/proc/%d/stat", (int)p);
    int fd = open(f, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    char *e = strrchr(buf, ')');
    return e && e[1] == ' ' && e[2] == 'S';
}
static void wait_asleep(pid_t p)
{
    for (int i = 0; i < 2000 && !sleeping(p); i++) usleep(1000);
    usleep(20000);
}

/* ---- children ---- */

static int c_flock(long op) { int fd = open_file(O_RDONLY); int r = flock(fd, (int)op) < 0 ? errno : 0; return errno_code(r); }
static int c_flock_inherited_unlock(long fd) { return errno_code(flock((int)fd, LOCK_UN) < 0 ? errno : 0); }
static int c_setlk(long spec)
{
    /* spec: type * 1000000 + start * 1000 + len (small numbers) */
    int fd = open_file(O_RDWR);
    return errno_code(setlk(fd, F_SETLK, (int)(spec / 1000000), SEEK_SET, (spec / 1000) % 1000, spec % 1000));
}
static int c_getlk_line(long spec)
{
    int fd = open_file(O_RDWR);
    child_says(getlk(fd, F_GETLK, spec / 1000, spec % 1000, getppid()));
    child_says("\n");
    return 0;
}
static int c_lock_and_exit(long unused)
{
    (void)unused;
    int fd = open_file(O_RDWR);
    return errno_code(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
}
static int c_inherited_fd_lock(long fd) { return errno_code(setlk((int)fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)); }
static int c_inherited_ofd(long fd) { return errno_code(setlk((int)fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1)); }

static void on_signal(int s) { (void)s; }

static void test_flock(void)
{
    printf("-- flock\n");
    int a = open_file(O_RDWR);
    CHECK_ERR(flock(-1, LOCK_EX), EBADF);
    CHECK_ERR(flock(-1, 99 & ~32), EINVAL);
    printf("LOCK_MAND on fd -1: %s\n", flock(-1, LOCK_MAND | LOCK_READ) < 0 ? errname(errno) : "0");
    CHECK_ERR(flock(a, 0), EINVAL);
    CHECK_ERR(flock(a, LOCK_SH | LOCK_EX), EINVAL);
    CHECK_ERR(flock(a, LOCK_NB), EINVAL);
    printf("errnos checked\n");

    CHECK_SYS(flock(a, LOCK_EX));
    printf("child LOCK_EX|LOCK_NB while held: %s\n", code_name(in_child(c_flock, LOCK_EX | LOCK_NB)));
    printf("child LOCK_SH|LOCK_NB while held: %s\n", code_name(in_child(c_flock, LOCK_SH | LOCK_NB)));
    int b = open_file(O_RDONLY);
    printf("second open in the same process: %s\n", flock(b, LOCK_EX | LOCK_NB) < 0 ? errname(errno) : "0");
    printf("relock same type: %s\n", flock(a, LOCK_EX) < 0 ? errname(errno) : "0");
    CHECK_SYS(flock(a, LOCK_SH));
    printf("after conversion to LOCK_SH, child LOCK_SH|LOCK_NB: %s, LOCK_EX|LOCK_NB: %s\n",
           code_name(in_child(c_flock, LOCK_SH | LOCK_NB)), code_name(in_child(c_flock, LOCK_EX | LOCK_NB)));
    CHECK_SYS(flock(b, LOCK_SH | LOCK_NB));
    printf("two shared locks, conversion of one to LOCK_EX|LOCK_NB: %s\n", flock(b, LOCK_EX | LOCK_NB) < 0 ? errname(errno) : "0");
    printf("  it lost its shared lock: a can convert: %s\n", flock(a, LOCK_EX | LOCK_NB) < 0 ? errname(errno) : "0");
    CHECK_SYS(close(b));

    /* dup shares the lock: unlocking through the dup releases it. */
    int d = dup(a);
    CHECK_SYS(flock(d, LOCK_UN));
    printf("after LOCK_UN through a dup: child LOCK_EX|LOCK_NB: %s\n", code_name(in_child(c_flock, LOCK_EX | LOCK_NB)));
    /* inherited: the child's unlock of the inherited descriptor releases the parent's lock. */
    CHECK_SYS(flock(a, LOCK_EX));
    printf("child unlocks the inherited descriptor: %s\n", code_name(in_child(c_flock_inherited_unlock, a)));
    printf("  then another child LOCK_EX|LOCK_NB: %s\n", code_name(in_child(c_flock, LOCK_EX | LOCK_NB)));
    /* closing one of two references keeps it; the last close releases it. */
    CHECK_SYS(flock(a, LOCK_EX));
    CHECK_SYS(close(d));
    printf("after closing the dup: child LOCK_EX|LOCK_NB: %s\n", code_name(in_child(c_flock, LOCK_EX | LOCK_NB)));
    CHECK_SYS(close(a));
    printf("after the last close: child LOCK_EX|LOCK_NB: %s\n", code_name(in_child(c_flock, LOCK_EX | LOCK_NB)));

    /* A blocked waiter is woken by the unlock. */
    a = open_file(O_RDWR);
    CHECK_SYS(flock(a, LOCK_EX));
    CHECK_SYS(pipe(report));
    pid_t p = t_fork();
    if (p == 0) {
        int fd = open_file(O_RDONLY);
        child_says(flock(fd, LOCK_EX) == 0 ? "G" : "F");
        _exit(0);
    }
    wait_asleep(p);
    struct pollfd pf = { .fd = report[0], .events = POLLIN };
    printf("waiter done before the unlock: %s\n", yesno(poll(&pf, 1, 0) == 1));
    CHECK_SYS(flock(a, LOCK_UN));
    char c = 0;
    CHECK(read(report[0], &c, 1) == 1, "read");
    printf("waiter after the unlock: %s\n", c == 'G' ? "got the lock" : "failed");
    t_wait_ok(p, "flock waiter");

    /* A signal interrupts the wait (EINTR); with SA_RESTART the wait goes on. */
    CHECK_SYS(flock(a, LOCK_EX));
    for (int restart = 0; restart < 2; restart++) {
        p = t_fork();
        if (p == 0) {
            struct sigaction sa = { .sa_handler = on_signal, .sa_flags = restart ? SA_RESTART : 0 };
            sigaction(SIGUSR1, &sa, NULL);
            int fd = open_file(O_RDONLY);
            child_says(flock(fd, LOCK_EX) == 0 ? "G" : errno == EINTR ? "I" : "F");
            _exit(0);
        }
        wait_asleep(p);
        CHECK_SYS(kill(p, SIGUSR1));
        if (restart) {
            wait_asleep(p);
            printf("SA_RESTART: waiter still waiting after the signal: %s\n", yesno(poll(&pf, 1, 0) == 0));
            CHECK_SYS(flock(a, LOCK_UN));
        }
        CHECK(read(report[0], &c, 1) == 1, "read");
        printf("%s: %s\n", restart ? "SA_RESTART" : "no SA_RESTART", c == 'G' ? "got the lock" : c == 'I' ? "EINTR" : "failed");
        t_wait_ok(p, "flock signal");
    }
    CHECK_SYS(close(a));
    close(report[0]); close(report[1]);
}

static void print_child_line(int (*fn)(long), long arg, const char *what)
{
    CHECK_SYS(pipe(report));
    CHECK(in_child(fn, arg) == 0, "child");
    char buf[200];
    ssize_t n = read(report[0], buf, sizeof buf - 1);
    CHECK(n > 0, "no line");
    buf[n] = 0;
    printf("%s: %s", what, buf);
    close(report[0]); close(report[1]);
}

static void test_posix(void)
{
    printf("-- fcntl record locks\n");
    int fd = open_file(O_RDWR);
    CHECK_SYS(ftruncate(fd, 100));
    int ro = open_file(O_RDONLY), wo = open_file(O_WRONLY);
    printf("F_WRLCK on O_RDONLY: %s\n", errname(setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
    printf("F_RDLCK on O_WRONLY: %s\n", errname(setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1)));
    printf("F_UNLCK on O_RDONLY: %s\n", errname(setlk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1)));
    printf("F_GETLK F_WRLCK on O_RDONLY: %s\n", getlk(ro, F_GETLK, 0, 1, 0));
    printf("bad whence: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, 7, 0, 1)));
    printf("bad type: %s\n", errname(setlk(fd, F_SETLK, 9, SEEK_SET, 0, 1)));
    struct flock l = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
    printf("F_GETLK with F_UNLCK: %s\n", fcntl(fd, F_GETLK, &l) < 0 ? errname(errno) : "0");
    printf("start -1: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, -1, 1)));
    printf("start 5 len -6: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, -6)));
    printf("start LLONG_MAX len 2: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, LLONG_MAX, 2)));
    printf("start LLONG_MAX len 1: %s\n", errname(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, LLONG_MAX, 1)));
    printf("SEEK_END + LLONG_MAX: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_END, LLONG_MAX, 1)));
    printf("SEEK_END - 200: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_END, -200, 1)));
    printf("start LLONG_MIN len LLONG_MIN: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, LLONG_MIN, LLONG_MIN)));
    printf("len LLONG_MIN: %s\n", errname(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 10, LLONG_MIN)));
    printf("F_SETLK on a bad pointer: %s\n", fcntl(fd, F_SETLK, (void *)8) < 0 ? errname(errno) : "0");
    printf("F_SETLK on fd -1: %s\n", errname(setlk(-1, F_SETLK, F_RDLCK, SEEK_SET, 0, 1)));

    /* A write lock over [0, 10): another process sees it and conflicts; its own F_GETLK does not. */
    CHECK_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10) == 0 ? 0 : -1);
    printf("own F_GETLK: %s\n", getlk(fd, F_GETLK, 0, 0, getpid()));
    print_child_line(c_getlk_line, 5 * 1000 + 1, "child F_GETLK [5,6)");
    printf("child F_WRLCK [5,6): %s\n", code_name(in_child(c_setlk, F_WRLCK * 1000000L + 5 * 1000 + 1)));
    printf("child F_RDLCK [9,10): %s\n", code_name(in_child(c_setlk, F_RDLCK * 1000000L + 9 * 1000 + 1)));
    printf("child F_WRLCK [10,15): %s\n", code_name(in_child(c_setlk, F_WRLCK * 1000000L + 10 * 1000 + 5)));
    /* Not inherited: a child's lock through the inherited descriptor conflicts too. */
    printf("child F_WRLCK through the inherited fd: %s\n", code_name(in_child(c_inherited_fd_lock, fd)));

    /* Split: unlock [4, 6) out of [0, 10). */
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 4, 2) == 0, "unlock");
    print_child_line(c_getlk_line, 0 * 1000 + 0, "after splitting, child F_GETLK [0,EOF)");
    print_child_line(c_getlk_line, 4 * 1000 + 2, "child F_GETLK [4,6)");
    print_child_line(c_getlk_line, 5 * 1000 + 3, "child F_GETLK [5,8)");
    /* Type change in the middle: [6, 8) becomes a read lock. */
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 6, 2) == 0, "downgrade");
    printf("child F_RDLCK [6,8) after the downgrade: %s\n", code_name(in_child(c_setlk, F_RDLCK * 1000000L + 6 * 1000 + 2)));
    printf("child F_RDLCK [8,9): %s\n", code_name(in_child(c_setlk, F_RDLCK * 1000000L + 8 * 1000 + 1)));
    /* Merge: write-lock [4, 6) and [6, 8) again: one lock over [0, 10). */
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 4, 4) == 0, "merge");
    print_child_line(c_getlk_line, 0 * 1000 + 0, "after merging, child F_GETLK [0,EOF)");
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10) == 0, "adjacent");
    print_child_line(c_getlk_line, 0 * 1000 + 0, "adjacent lock [10,20) merged");
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0, "unlock all");
    print_child_line(c_getlk_line, 0 * 1000 + 0, "after unlocking to EOF");

    /* Relative ranges: SEEK_CUR, SEEK_END, negative lengths, to EOF. */
    CHECK_SYS(lseek(fd, 30, SEEK_SET));
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 5, -5) == 0, "negative len");
    print_child_line(c_getlk_line, 0 * 1000 + 0, "SEEK_CUR 30 + 5, len -5");
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0, "unlock all");
    CHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_END, -10, 0) == 0, "to eof");
    print_child_line(c_getlk_line, 0 * 1000 + 0, "SEEK_END -10, len 0");
    print_child_line(c_getlk_line, 500 * 1000 + 1, "beyond the end of the file");

    /* Closing ANY descriptor of the file releases the process's locks. */
    int other = open_file(O_RDONLY);
    CHECK_SYS(close(other));
    print_child_line(c_getlk_line, 0 * 1000 + 0, "after closing another descriptor of the file");

    /* Locks go when their process exits. */
    printf("child locks the whole file and exits: %s\n", code_name(in_child(c_lock_and_exit, 0)));
    printf("then the parent F_SETLK: %s\n", errname(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0)));
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0) == 0, "unlock");

    /* F_SETLKW is woken by the unlock. */
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1) == 0, "lock");
    CHECK_SYS(pipe(report));
    pid_t p = t_fork();
    if (p == 0) {
        int f = open_file(O_RDWR);
        child_says(setlk(f, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1) == 0 ? "G" : "F");
        _exit(0);
    }
    wait_asleep(p);
    struct pollfd pf = { .fd = report[0], .events = POLLIN };
    printf("F_SETLKW waiter done before the unlock: %s\n", yesno(poll(&pf, 1, 0) == 1));
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1) == 0, "unlock");
    char c = 0;
    CHECK(read(report[0], &c, 1) == 1, "read");
    printf("F_SETLKW waiter after the unlock: %s\n", c == 'G' ? "got the lock" : "failed");
    t_wait_ok(p, "setlkw");

    /* EDEADLK: the parent holds byte 0, the child byte 1 and waits for byte 0; the parent's wait
       for byte 1 would close the cycle. */
    CHECK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1) == 0, "lock 0");
    int go[2];
    CHECK_SYS(pipe(go));
    p = t_fork();
    if (p == 0) {
        int f = open_file(O_RDWR);
        if (setlk(f, F_SETLK, F_WRLCK, SEEK_SET, 1, 1) != 0) _exit(1);
        child_says("L");
        int r = setlk(f, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
        child_says(r == 0 ? "G" : r == EDEADLK ? "D" : "F");
        _exit(0);
    }
    CHECK(read(report[0], &c, 1) == 1 && c == 'L', "child lock");
    wait_asleep(p);
    printf("parent F_SETLKW on the child's byte: %s\n", errname(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1)));
    printf("parent F_SETLK on the child's byte: %s\n", errname(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1)));
    CHECK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1) == 0, "unlock 0");
    CHECK(read(report[0], &c, 1) == 1, "read");
    printf("child after the parent's unlock: %s\n", c == 'G' ? "got the lock" : c == 'D' ? "EDEADLK" : "failed");
    t_wait_ok(p, "deadlock child");
    close(go[0]); close(go[1]); close(report[0]); close(report[1]);
    close(ro); close(wo); close(fd);
}

static void test_ofd(void)
{
    printf("-- OFD locks\n");
    int a = open_file(O_RDWR), b = open_file(O_RDWR);
    struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1 };
    printf("F_OFD_SETLK with l_pid != 0: %s\n", fcntl(a, F_OFD_SETLK, &l) < 0 ? errname(errno) : "0");
    printf("F_OFD_GETLK with l_pid != 0: %s\n", fcntl(a, F_OFD_GETLK, &l) < 0 ? errname(errno) : "0");
    printf("F_OFD_SETLK [0,10): %s\n", errname(setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10)));
    printf("another description in the same process: %s\n", errname(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
    printf("  its F_OFD_GETLK: %s\n", getlk(b, F_OFD_GETLK, 5, 1, getpid()));
    printf("  a POSIX lock of the same process: %s\n", errname(setlk(b, F_SETLK, F_WRLCK, SEEK_SET, 5, 1)));
    printf("  its F_GETLK: %s\n", getlk(b, F_GETLK, 5, 1, getpid()));
    int d = dup(a);
    printf("through a dup: %s\n", errname(setlk(d, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 10)));
    printf("inherited by a child: %s\n", code_name(in_child(c_inherited_ofd, a)));
    CHECK_SYS(close(d));
    printf("after closing the dup: %s\n", errname(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
    CHECK_SYS(close(a));
    printf("after the last close: %s\n", errname(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1)));
    /* A POSIX lock held by this process conflicts with an OFD request of another description. */
    int c = open_file(O_RDWR);
    CHECK(setlk(c, F_SETLK, F_WRLCK, SEEK_SET, 50, 1) == 0, "posix");
    printf("OFD request over this process's POSIX lock: %s\n", errname(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 50, 1)));
    printf("  F_OFD_GETLK: %s\n", getlk(b, F_OFD_GETLK, 50, 1, getpid()));
    close(b); close(c);
}

int main(void)
{
    t_init("locks");
    snprintf(path, sizeof path, "%s/f", t_mktmpdir());
    int fd = open(path, O_CREAT | O_RDWR, 0600);
    CHECK_SYS(fd);
    close(fd);
    test_flock();
    test_posix();
    test_ofd();
    t_done();
    return 0;
}
