/*
 * cpulimits.c - the CPU-time interval timers and the limits that send signals: ITIMER_VIRTUAL
 * (user time, SIGVTALRM) and ITIMER_PROF (user + system time, SIGPROF) with their periods,
 * getitimer while armed, a virtual timer standing still while the process sleeps, itimers not
 * inherited by fork; RLIMIT_FSIZE (a write cut at the limit, then EFBIG and SIGXFSZ for write,
 * pwrite, ftruncate and fallocate; EFBIG alone when SIGXFSZ is ignored; death by SIGXFSZ by
 * default) and RLIMIT_CPU (SIGXCPU at the soft limit, which then reads one second higher, and
 * SIGKILL at the hard limit: 3 s of CPU time). Prints relations, never times; the output must match Linux.
 */
#include "testutil.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

static volatile sig_atomic_t caught[65];

static void count(int sig) { caught[sig]++; }

static void on(int sig, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    CHECK_SYS(sigaction(sig, &sa, NULL));
}

static long cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Spins until `sig` arrived `n` times, or `limit_ms` of CPU time went by (then -1). With
 * `syscalls`, half the work is system calls (system time for ITIMER_PROF). */
static int spin_until(int sig, int n, long limit_ms, int syscalls)
{
    long start = cpu_ns();
    volatile unsigned long x = 0;
    while (caught[sig] < n) {
        for (int i = 0; i < 10000; i++) x += i;
        if (syscalls) (void)getppid();
        if (cpu_ns() - start > limit_ms * 1000000L) return -1;
    }
    return caught[sig];
}

static void set_itimer(int which, long value_us, long interval_us)
{
    struct itimerval it = { { interval_us / 1000000, interval_us % 1000000 }, { value_us / 1000000, value_us % 1000000 } };
    CHECK_SYS(setitimer(which, &it, NULL));
}

static void test_itimers(void)
{
    printf("-- ITIMER_VIRTUAL and ITIMER_PROF\n");
    on(SIGVTALRM, count);
    on(SIGPROF, count);

    set_itimer(ITIMER_VIRTUAL, 10000, 10000);
    struct itimerval cur;
    CHECK_SYS(getitimer(ITIMER_VIRTUAL, &cur));
    /* Linux adds a tick to a CPU itimer's first value (set_cpu_itimer). */
    printf("virtual armed: interval 10 ms: %s, 0 < value <= 20 ms: %s\n",
           yesno(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 10000),
           yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 20000));
    printf("virtual, periodic: 3 SIGVTALRM: %s\n", yesno(spin_until(SIGVTALRM, 3, 20000, 0) >= 3));
    set_itimer(ITIMER_VIRTUAL, 0, 0);
    CHECK_SYS(getitimer(ITIMER_VIRTUAL, &cur));
    printf("virtual disarmed reads 0: %s\n", yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 &&
                                                   cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0));

    set_itimer(ITIMER_PROF, 10000, 10000);
    printf("prof, periodic, with system calls: 3 SIGPROF: %s\n", yesno(spin_until(SIGPROF, 3, 20000, 1) >= 3));
    set_itimer(ITIMER_PROF, 0, 0);

    /* One-shot: one signal, then disarmed. */
    caught[SIGPROF] = 0;
    set_itimer(ITIMER_PROF, 5000, 0);
    spin_until(SIGPROF, 1, 20000, 0);
    spin_until(SIGPROF, 2, 30, 0);
    CHECK_SYS(getitimer(ITIMER_PROF, &cur));
    printf("prof one-shot: one SIGPROF: %s, disarmed after: %s\n", yesno(caught[SIGPROF] == 1),
           yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0));

    /* A process that sleeps uses no CPU time: its virtual timer does not run. */
    caught[SIGVTALRM] = 0;
    set_itimer(ITIMER_VIRTUAL, 100000, 0);
    usleep(300000);
    CHECK_SYS(getitimer(ITIMER_VIRTUAL, &cur));
    printf("virtual while sleeping 300 ms: no signal: %s, more than 50 ms left: %s\n", yesno(caught[SIGVTALRM] == 0),
           yesno(cur.it_value.tv_usec > 50000));

    /* fork: the child has no interval timers. */
    set_itimer(ITIMER_PROF, 2000000, 0);
    pid_t p = fork();
    CHECK_SYS(p);
    if (p == 0) {
        struct itimerval c1, c2;
        getitimer(ITIMER_VIRTUAL, &c1);
        getitimer(ITIMER_PROF, &c2);
        _exit(c1.it_value.tv_sec == 0 && c1.it_value.tv_usec == 0 && c2.it_value.tv_sec == 0 && c2.it_value.tv_usec == 0 ? 0 : 1);
    }
    int st;
    CHECK_SYS(waitpid(p, &st, 0));
    printf("fork: the child has no itimers: %s\n", yesno(WIFEXITED(st) && WEXITSTATUS(st) == 0));
    set_itimer(ITIMER_VIRTUAL, 0, 0);
    set_itimer(ITIMER_PROF, 0, 0);
    printf("setitimer which 3: %s, getitimer which -1: %s\n",
           t_result(setitimer(3, &(struct itimerval){ 0 }, NULL)), t_result(getitimer(-1, &cur)));
}

/* The limit applies to every regular file the process writes, stdout too when it is one: the
 * checks run in a child that reports through a pipe. */
static void fsize_child(int out)
{
    char path[300];
    snprintf(path, sizeof path, "%s/fsize", t_tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK_SYS(fd);
    on(SIGXFSZ, count);
    /* The soft limit only: raising a hard limit back needs CAP_SYS_RESOURCE, which a container's
     * root may lack. */
    struct rlimit old, lim;
    CHECK_SYS(getrlimit(RLIMIT_FSIZE, &old));
    lim = old;
    lim.rlim_cur = 100;
    CHECK_SYS(setrlimit(RLIMIT_FSIZE, &lim));
    char buf[150];
    memset(buf, 'x', sizeof buf);
    /* Each call before its report: the order of a call's arguments is unspecified. */
    long r = write(fd, buf, 150);
    dprintf(out, "write 150 bytes under a 100-byte limit: %ld, SIGXFSZ %d\n", r, (int)caught[SIGXFSZ]);
    const char *e = t_result(write(fd, buf, 1));
    dprintf(out, "write 1 more: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    e = t_result(write(fd, buf, 0));
    dprintf(out, "write 0 bytes at the limit: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    e = t_result(pwrite(fd, buf, 5, 99));
    dprintf(out, "pwrite at 99, 5 bytes: %s\n", e);
    e = t_result(pwrite(fd, buf, 5, 200));
    dprintf(out, "pwrite at 200: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    struct iovec iov[2] = { { buf, 60 }, { buf, 60 } };
    CHECK_SYS(ftruncate(fd, 0));
    e = t_result(pwritev(fd, iov, 2, 0));
    dprintf(out, "pwritev 120 bytes at 0: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    e = t_result(ftruncate(fd, 50));
    const char *e2 = t_result(ftruncate(fd, 100));
    dprintf(out, "ftruncate 50: %s, ftruncate 100: %s, SIGXFSZ %d\n", e, e2, (int)caught[SIGXFSZ]);
    e = t_result(ftruncate(fd, 101));
    dprintf(out, "ftruncate 101: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    e = t_result(truncate(path, 101));
    dprintf(out, "truncate 101 by path: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    e = t_result(fallocate(fd, 0, 0, 200));
    dprintf(out, "fallocate to 200: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    struct stat sb;
    CHECK_SYS(fstat(fd, &sb));
    dprintf(out, "size %ld\n", (long)sb.st_size);
    /* Ignored: EFBIG alone. */
    signal(SIGXFSZ, SIG_IGN);
    e = t_result(pwrite(fd, buf, 1, 100));
    dprintf(out, "ignored: write at the limit: %s, SIGXFSZ %d\n", e, (int)caught[SIGXFSZ]);
    /* Default: the writer dies of SIGXFSZ. */
    signal(SIGXFSZ, SIG_DFL);
    pid_t p = fork();
    CHECK_SYS(p);
    if (p == 0) {
        (void)pwrite(fd, buf, 1, 100);
        _exit(0);
    }
    int st;
    CHECK_SYS(waitpid(p, &st, 0));
    dprintf(out, "default: the writer is killed by SIGXFSZ: %s\n", yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ));
    CHECK_SYS(setrlimit(RLIMIT_FSIZE, &old));
    dprintf(out, "limit lifted: write at 100: %s\n", t_result(pwrite(fd, buf, 1, 100)));
    close(fd);
    unlink(path);
}

static void test_fsize(void)
{
    printf("-- RLIMIT_FSIZE\n");
    fflush(stdout);
    int pipefd[2];
    CHECK_SYS(pipe(pipefd));
    pid_t p = fork();
    CHECK_SYS(p);
    if (p == 0) {
        close(pipefd[0]);
        fsize_child(pipefd[1]);
        _exit(0);
    }
    close(pipefd[1]);
    char text[4096];
    size_t have = 0;
    long n;
    while (have < sizeof text - 1 && (n = read(pipefd[0], text + have, sizeof text - 1 - have)) > 0) have += n;
    text[have] = 0;
    close(pipefd[0]);
    fputs(text, stdout);
    t_wait_ok(p, "fsize");
}

static void test_cpu(void)
{
    printf("-- RLIMIT_CPU\n");
    int pipefd[2];
    CHECK_SYS(pipe(pipefd));
    pid_t p = fork();
    CHECK_SYS(p);
    if (p == 0) {
        close(pipefd[0]);
        on(SIGXCPU, count);
        /* Hard 3: a loaded machine may account the CPU time of a slice late, but the first
         * check at or past the soft limit still comes before the hard one. */
        struct rlimit lim = { 1, 3 };
        if (setrlimit(RLIMIT_CPU, &lim) != 0) _exit(3);
        /* Spin: SIGXCPU at 1 s of CPU time (and at 2 s), SIGKILL at 3 s. */
        int reported = 0;
        for (;;) {
            volatile unsigned long x = 0;
            for (int i = 0; i < 100000; i++) x += i;
            if (caught[SIGXCPU] && !reported) {
                /* The count first: the soft limit read after it is at least one more. */
                int signals = caught[SIGXCPU];
                struct rlimit now;
                getrlimit(RLIMIT_CPU, &now);
                char line[64];
                int len = snprintf(line, sizeof line, "%d %ld %ld\n", signals, (long)now.rlim_cur, (long)now.rlim_max);
                if (write(pipefd[1], line, len) != len) _exit(4);
                reported = 1;
            }
        }
    }
    close(pipefd[1]);
    char line[64] = { 0 };
    long n = read(pipefd[0], line, sizeof line - 1);
    int st;
    CHECK_SYS(waitpid(p, &st, 0));
    int signals = 0;
    long soft = 0, hard = 0;
    if (n > 0) sscanf(line, "%d %ld %ld", &signals, &soft, &hard);
    printf("SIGXCPU at the soft limit: %s; the soft limit then moved on by a second per SIGXCPU: %s (hard %ld)\n",
           yesno(signals >= 1), yesno(soft >= 1 + signals && soft <= 3), hard);
    printf("killed by SIGKILL at the hard limit: %s\n", yesno(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL));
    close(pipefd[0]);
}

int main(void)
{
    t_init("cpulimits");
    t_mktmpdir();
    test_itimers();
    test_fsize();
    test_cpu();
    t_done();
    return 0;
}
