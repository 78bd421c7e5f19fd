/*
 * misc.c - assorted system information, limits, clocks and sleeping,
 * randomness, umask, plus pure user-space libc work (qsort, printf of
 * doubles, setjmp/longjmp, malloc churn, 64-bit arithmetic).
 * Needs no libm.
 */
#include "testutil.h"

#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>

static long long ts_ns(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static void test_system(void)
{
    struct utsname u;
    long pg;
    char name[32];

    CHECK_SYS(uname(&u));
    printf("uname: sysname is \"Linux\": %s, release non-empty: %s, machine non-empty: %s\n",
           yesno(strcmp(u.sysname, "Linux") == 0), yesno(u.release[0] != 0),
           yesno(u.machine[0] != 0));
    pg = sysconf(_SC_PAGESIZE);
    printf("sysconf(_SC_PAGESIZE): %ld, getpagesize agrees: %s\n", pg, yesno(getpagesize() == pg));
    printf("sysconf(_SC_CLK_TCK): %ld\n", sysconf(_SC_CLK_TCK));
    printf("sysconf(_SC_NPROCESSORS_ONLN) >= 1: %s\n", yesno(sysconf(_SC_NPROCESSORS_ONLN) >= 1));
    printf("getpid > 0: %s, getppid > 0: %s\n", yesno(getpid() > 0), yesno(getppid() > 0));
    printf("getuid == geteuid: %s, getgid == getegid: %s\n", yesno(getuid() == geteuid()),
           yesno(getgid() == getegid()));

    CHECK_SYS(prctl(PR_SET_NAME, "umlab-misc", 0, 0, 0));
    memset(name, 0, sizeof name);
    CHECK_SYS(prctl(PR_GET_NAME, name, 0, 0, 0));
    printf("prctl PR_SET_NAME/PR_GET_NAME round trip: \"%s\"\n", name);

    CHECK_SYS(setenv("UMLAB_TEST_VAR", "value-1", 1));
    printf("setenv/getenv round trip: %s\n", getenv("UMLAB_TEST_VAR"));
    CHECK_SYS(unsetenv("UMLAB_TEST_VAR"));
    printf("after unsetenv: %s\n", getenv("UMLAB_TEST_VAR") ? "still set" : "NULL");
    printf("sched_yield: %d\n", sched_yield());
}

static void test_rlimit(void)
{
    struct rlimit orig, rl;
    int fds[128], n = 0, last = -1, i;
    rlim_t want = 64;

    CHECK_SYS(getrlimit(RLIMIT_NOFILE, &orig));
    if (orig.rlim_max != RLIM_INFINITY && orig.rlim_max < want)
        want = orig.rlim_max;
    rl = orig;
    rl.rlim_cur = want;
    CHECK_SYS(setrlimit(RLIMIT_NOFILE, &rl));
    memset(&rl, 0, sizeof rl);
    CHECK_SYS(getrlimit(RLIMIT_NOFILE, &rl));
    printf("RLIMIT_NOFILE soft lowered to 64 and read back: %llu, hard unchanged: %s\n",
           (unsigned long long)rl.rlim_cur, yesno(rl.rlim_max == orig.rlim_max));
    for (;;) {
        int fd = dup(1);
        if (fd < 0)
            break;
        CHECK(n < 128, "dup never failed under RLIMIT_NOFILE");
        fds[n++] = fd;
        last = fd;
    }
    printf("dup until failure: %s, highest fd obtained == soft limit - 1: %s\n",
           errname(errno), yesno((rlim_t)last == want - 1));
    for (i = 0; i < n; i++)
        close(fds[i]);
    CHECK_ERR(fcntl(0, F_DUPFD, (int)want), EINVAL);
    printf("F_DUPFD with minimum >= soft limit: EINVAL\n");
    if (orig.rlim_max != RLIM_INFINITY) {
        rl = orig;
        rl.rlim_cur = orig.rlim_max + 1;
        CHECK_ERR(setrlimit(RLIMIT_NOFILE, &rl), EINVAL);
    }
    printf("soft limit above hard limit: EINVAL\n");
    CHECK_SYS(setrlimit(RLIMIT_NOFILE, &orig));
    CHECK_SYS(getrlimit(RLIMIT_NOFILE, &rl));
    printf("RLIMIT_NOFILE restored: %s\n", yesno(rl.rlim_cur == orig.rlim_cur));
    {
        struct rlimit a, b;
        CHECK_SYS(prlimit(0, RLIMIT_STACK, NULL, &a));
        CHECK_SYS(getrlimit(RLIMIT_STACK, &b));
        printf("prlimit(0, RLIMIT_STACK) agrees with getrlimit: %s\n",
               yesno(a.rlim_cur == b.rlim_cur && a.rlim_max == b.rlim_max));
    }
}

static void test_clocks(void)
{
    struct timespec a, b, res, t0, t1;
    struct timeval tv;
    int i, mono_ok = 1, r;
    time_t now;

    CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &a));
    for (i = 0; i < 1000; i++) {
        CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &b));
        if (ts_ns(&b) < ts_ns(&a))
            mono_ok = 0;
        a = b;
    }
    printf("CLOCK_MONOTONIC non-decreasing over 1000 reads: %s\n", yesno(mono_ok));
    CHECK_SYS(clock_getres(CLOCK_MONOTONIC, &res));
    printf("clock_getres(CLOCK_MONOTONIC) <= 1ms: %s\n",
           yesno(res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000));
    CHECK_SYS(gettimeofday(&tv, NULL));
    printf("gettimeofday later than 2020-01-01: %s, tv_usec in range: %s\n",
           yesno(tv.tv_sec > 1577836800), yesno(tv.tv_usec >= 0 && tv.tv_usec < 1000000));
    CHECK_SYS(clock_gettime(CLOCK_REALTIME, &a));
    now = time(NULL);
    /* time() may use a coarse clock and lag CLOCK_REALTIME slightly */
    printf("CLOCK_REALTIME, time() and gettimeofday agree within 2s: %s\n",
           yesno(llabs((long long)a.tv_sec - (long long)tv.tv_sec) <= 2 &&
                 llabs((long long)now - (long long)a.tv_sec) <= 2));
    CHECK_SYS(clock_gettime(CLOCK_BOOTTIME, &b));
    CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &a));
    printf("CLOCK_BOOTTIME readable: yes\n");
    CHECK_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
    CHECK_SYS(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b));
    printf("CPU-time clocks readable: yes\n");
    CHECK_ERR(clock_gettime((clockid_t)12345, &a), EINVAL);
    printf("clock_gettime with invalid clock id: EINVAL\n");

    {
        struct timespec req = { 0, 10 * 1000 * 1000 }, rem = { 7, 7 };
        CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &t0));
        r = nanosleep(&req, &rem);
        CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &t1));
        printf("nanosleep 10ms: returned %d, elapsed >= 10ms: %s\n", r,
               yesno(ts_ns(&t1) - ts_ns(&t0) >= 10000000LL));
        req.tv_nsec = 1000000000;
        CHECK_ERR(nanosleep(&req, NULL), EINVAL);
        printf("nanosleep with tv_nsec = 1e9: EINVAL\n");
    }
    {
        struct timespec until;
        CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &t0));
        until = t0;
        until.tv_nsec += 5 * 1000 * 1000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
        CHECK_SYS(clock_gettime(CLOCK_MONOTONIC, &t1));
        printf("clock_nanosleep TIMER_ABSTIME +5ms: returned %d, woke at/after deadline: %s\n", r,
               yesno(ts_ns(&t1) >= ts_ns(&until)));
        r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t0, NULL);
        printf("clock_nanosleep to a past deadline: returned %d\n", r);
    }
}

static void test_random_umask(void)
{
    unsigned char buf[16];
    ssize_t n;
    int i, nonzero = 0;
    mode_t old, back;

    memset(buf, 0, sizeof buf);
    n = getrandom(buf, sizeof buf, 0);
    for (i = 0; i < 16; i++)
        if (buf[i])
            nonzero = 1;
    printf("getrandom(16): returned %ld, not all zero: %s\n", (long)n, yesno(nonzero));

    old = umask(027);
    back = umask(old);
    printf("umask round trip: set 027, read back %03o\n", (unsigned)back);
    printf("umask restored: %s\n", yesno(umask(old) == old));
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void test_qsort(void)
{
    enum { N = 1000 };
    static int a[N];
    uint32_t s = 20240601u, sum = 0;
    int i, sorted = 1, key, *hit;

    for (i = 0; i < N; i++)
        a[i] = (int)(t_lcg(&s) >> 8) % 100000 - 50000;
    key = a[N / 2];
    qsort(a, N, sizeof a[0], cmp_int);
    for (i = 0; i < N; i++) {
        if (i && a[i - 1] > a[i])
            sorted = 0;
        sum += (uint32_t)a[i] * (uint32_t)(i + 1);
    }
    printf("qsort 1000 LCG ints: sorted %s, first %d %d %d, last %d %d %d, checksum %" PRIu32 "\n",
           yesno(sorted), a[0], a[1], a[2], a[N - 3], a[N - 2], a[N - 1], sum);
    hit = bsearch(&key, a, N, sizeof a[0], cmp_int);
    printf("bsearch finds a known element: %s\n", yesno(hit && *hit == key));
}

static volatile double vd_two = 2.0, vd_three = 3.0, vd_tenth = 0.1, vd_fifth = 0.2;

static void test_printf(void)
{
    char b[512];
    double sqrt2 = 1.4142135623730951;   /* sqrt(2) as a double literal: no libm needed */
    double negz = -0.0, big = 1e300, third = 1.0 / vd_three;
    char *end;
    double d;

    snprintf(b, sizeof b, "%.6f", sqrt2);
    printf("%%.6f of sqrt(2): %s\n", b);
    snprintf(b, sizeof b, "%.6f", big);
    printf("%%.6f of 1e300: %s\n", b);
    printf("%%.6f of -0.0: %.6f, %%g: %g\n", negz, negz);
    printf("%%e of 1e300: %e, %%g: %g\n", big, big);
    printf("%%.17g of 1/3: %.17g, of 0.1+0.2: %.17g\n", third, vd_tenth + vd_fifth);
    printf("%%a of 1/3: %a, of 1.0: %a\n", third, 1.0);
    printf("%%g of DBL_MAX: %g, DBL_MIN: %g, denormal 4.9e-324: %g\n", DBL_MAX, DBL_MIN,
           4.9406564584124654e-324);
    printf("inf: %f %f, nan: %f\n", 1.0 / (vd_two - 2.0), -1.0 / (vd_two - 2.0),
           __builtin_nan(""));
    printf("rounding %%.0f of 0.5 1.5 2.5: %.0f %.0f %.0f, %%.2f of 2.675: %.2f\n",
           0.5, 1.5, 2.5, 2.675);
    printf("width/flags: [%8.3f] [%-8.2f] [%+.1e] [%08.2f]\n", 3.14159, 2.5, 12345.678, -1.5);
    printf("float cast: %.9g\n", (double)(float)0.1);

    d = strtod("0.1", &end);
    printf("strtod(\"0.1\") == 0.1: %s, consumed all: %s\n", yesno(d == 0.1), yesno(*end == 0));
    errno = 0;
    d = strtod("1e400", NULL);
    printf("strtod(\"1e400\"): %f, errno %s\n", d, errname(errno));
    d = strtod("  -12.5e-1xyz", &end);
    printf("strtod(\"  -12.5e-1xyz\"): %g, rest \"%s\"\n", d, end);
    d = strtod("0x1.8p3", NULL);
    printf("strtod(\"0x1.8p3\"): %g\n", d);

    printf("ints: [%d] [%5d] [%-5d] [%05d] [%+d] [%x] [%X] [%o] [%#x] [%#o]\n",
           -42, 42, 42, 42, 42, 0xbeef, 0xbeef, 8, 255, 8);
    printf("int64: %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIx64 "\n",
           INT64_MIN, INT64_MAX, UINT64_MAX, (uint64_t)0x0123456789abcdefULL);
    printf("strings: [%s] [%10s] [%-10s] [%.3s] [%c] [%%]\n", "abc", "right", "left", "truncate", 'Z');
    {
        long l = strtol("-0x7fffffff", &end, 16);
        unsigned long long ull = strtoull("18446744073709551615", NULL, 10);
        printf("strtol(\"-0x7fffffff\", 16): %ld, strtoull(UINT64_MAX): %llu\n", l, ull);
        errno = 0;
        ull = strtoull("18446744073709551616", NULL, 10);
        printf("strtoull overflow: errno %s\n", errname(errno));
    }
    {
        const char *volatile src = "0123456789";
        int n = snprintf(b, 8, "%s", src);
        printf("snprintf truncation: returned %d, buffer \"%s\"\n", n, b);
    }
}

static jmp_buf jb;
static int deep_calls;

static void deep(int n, int val)
{
    deep_calls++;
    if (n > 100)
        return;
    if (n == 10)
        longjmp(jb, val);
    deep(n + 1, val);
    deep_calls += 1000;   /* never reached */
}

static void test_setjmp(void)
{
    volatile int stage = 0;
    int r;

    r = setjmp(jb);
    if (r == 0) {
        stage = 1;
        deep(0, 42);
        fail("longjmp did not happen");
    }
    printf("longjmp from depth 10: setjmp returned %d, volatile kept %d, calls %d\n", r,
           stage, deep_calls);
    deep_calls = 0;
    r = setjmp(jb);
    if (r == 0)
        deep(0, 0);
    printf("longjmp(env, 0) makes setjmp return %d\n", r);
}

static volatile size_t v_huge = (size_t)-1 - 4095;

static void test_malloc(void)
{
    enum { SLOTS = 256, OPS = 10000 };
    static struct { unsigned char *p; size_t n; uint32_t seed; } sl[SLOTS];
    uint32_t s = 99991u, checksum = 0;
    unsigned long allocs = 0, frees = 0, reallocs = 0, bad = 0;
    size_t j;
    int i;

    for (i = 0; i < OPS; i++) {
        uint32_t r = t_lcg(&s);
        int idx = (int)(r >> 8) % SLOTS;
        if (sl[idx].p && ((r >> 20) & 3) == 0) {
            size_t nn = 1 + t_lcg(&s) % 6000, keep = nn < sl[idx].n ? nn : sl[idx].n;
            unsigned char *q = realloc(sl[idx].p, nn);
            CHECK(q != NULL, "realloc");
            for (j = 0; j < keep; j++)
                if (q[j] != (unsigned char)(sl[idx].seed + j * 31))
                    bad++;
            for (j = 0; j < nn; j++)
                q[j] = (unsigned char)(sl[idx].seed + j * 31);
            sl[idx].p = q;
            sl[idx].n = nn;
            reallocs++;
        } else if (sl[idx].p) {
            for (j = 0; j < sl[idx].n; j++) {
                if (sl[idx].p[j] != (unsigned char)(sl[idx].seed + j * 31))
                    bad++;
                checksum = checksum * 31u + sl[idx].p[j];
            }
            free(sl[idx].p);
            sl[idx].p = NULL;
            frees++;
        } else {
            size_t nn = 1 + t_lcg(&s) % 5000;
            if (i % 97 == 0)
                nn = 100000 + t_lcg(&s) % 300000;   /* large: mmap-backed */
            sl[idx].p = malloc(nn);
            CHECK(sl[idx].p != NULL, "malloc %lu", (unsigned long)nn);
            sl[idx].n = nn;
            sl[idx].seed = t_lcg(&s);
            for (j = 0; j < nn; j++)
                sl[idx].p[j] = (unsigned char)(sl[idx].seed + j * 31);
            allocs++;
        }
    }
    for (i = 0; i < SLOTS; i++) {
        if (!sl[i].p)
            continue;
        for (j = 0; j < sl[i].n; j++) {
            if (sl[i].p[j] != (unsigned char)(sl[i].seed + j * 31))
                bad++;
            checksum = checksum * 31u + sl[i].p[j];
        }
        free(sl[i].p);
        sl[i].p = NULL;
    }
    printf("malloc churn: %lu mallocs, %lu frees, %lu reallocs, corrupted bytes %lu, "
           "checksum %" PRIu32 "\n", allocs, frees, reallocs, bad, checksum);
    {
        size_t k;
        int zero = 1;
        unsigned char *c = calloc(1000, 37);
        void *al = NULL;
        CHECK(c != NULL, "calloc");
        for (k = 0; k < 37000; k++)
            if (c[k])
                zero = 0;
        free(c);
        printf("calloc(1000, 37) zeroed: %s\n", yesno(zero));
        CHECK(posix_memalign(&al, 4096, 12345) == 0, "posix_memalign");
        printf("posix_memalign(4096) aligned: %s\n", yesno(((uintptr_t)al & 4095) == 0));
        free(al);
        errno = 0;
        c = malloc(v_huge);
        printf("malloc(SIZE_MAX - 4095): %s, errno %s\n", c ? "non-NULL?" : "NULL", errname(errno));
        free(c);
    }
}

static volatile int64_t v_a = 123456789012345678LL, v_b = -987654321LL, v_c = INT64_MIN;
static volatile uint64_t v_u = 0xfedcba9876543210ULL, v_w = 1000000007ULL;
static volatile int32_t v_i = INT32_MAX;
static volatile unsigned v_sh = 37;

static void test_int64(void)
{
    int64_t a = v_a, b = v_b;
    uint64_t u = v_u, w = v_w;
    uint32_t lo = (uint32_t)u, hi = (uint32_t)(u >> 32);

    printf("int64 %" PRId64 " * %" PRId64 " = %" PRId64 " (wrapping via uint64)\n", a, b,
           (int64_t)((uint64_t)a * (uint64_t)b));
    printf("int64 %" PRId64 " / %" PRId64 " = %" PRId64 ", %% = %" PRId64 "\n", a, b, a / b, a % b);
    printf("int64 %" PRId64 " / 7 = %" PRId64 ", %% 7 = %" PRId64 "\n", -a, -a / 7, -a % 7);
    printf("uint64 %" PRIu64 " / %" PRIu64 " = %" PRIu64 ", %% = %" PRIu64 "\n", u, w, u / w, u % w);
    printf("uint64 %" PRIu64 " * %" PRIu64 " = %" PRIu64 "\n", u, w, u * w);
    printf("uint64 shifts by %u: << %" PRIx64 ", >> %" PRIx64 ", signed >> %" PRId64 "\n", v_sh,
           u << v_sh, u >> v_sh, (int64_t)v_c >> v_sh);
    printf("uint64 halves: hi %08" PRIx32 " lo %08" PRIx32 "\n", hi, lo);
    printf("int32 max + 1 as unsigned: %u, as int64: %" PRId64 "\n", (unsigned)v_i + 1u,
           (int64_t)v_i + 1);
    printf("int64 -> double -> int64: %" PRId64 "\n", (int64_t)(double)(a / 1000));
    printf("uint64 -> double: %.1f\n", (double)u);
    printf("clz/ctz/popcount of uint64: %d %d %d\n", __builtin_clzll(u >> 4),
           __builtin_ctzll(u), __builtin_popcountll(u));
    {
        uint64_t acc = 1;
        int k;
        for (k = 0; k < 64; k++)
            acc = acc * 6364136223846793005ULL + 1442695040888963407ULL;
        printf("64-bit LCG after 64 steps: %016" PRIx64 "\n", acc);
    }
}

/* The signal mask and ignored signals a program starts with are its parent's (execve keeps
 * them); under umlab the first guest inherits umlab's, minus what umlab blocks for itself. */
static void test_inherited_signals(void)
{
    sigset_t blocked;
    sigprocmask(SIG_SETMASK, NULL, &blocked);
    unsigned long mask = 0, ignored = 0;
    for (int sig = 1; sig < 32; sig++) {
        if (sigismember(&blocked, sig) == 1) mask |= 1UL << (sig - 1);
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) ignored |= 1UL << (sig - 1);
    }
    printf("initial blocked signals 0x%lx, ignored 0x%lx\n", mask, ignored);
}

int main(void)
{
    t_init("misc");
    test_inherited_signals();
    test_system();
    test_rlimit();
    test_clocks();
    test_random_umask();
    test_qsort();
    test_printf();
    test_setjmp();
    test_malloc();
    test_int64();
    t_done();
    return 0;
}
