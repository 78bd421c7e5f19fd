/*
 * signals.c - signal delivery, masks, siginfo, timers, SA_* flags,
 * synchronous faults, alternate stacks and register preservation.
 */
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

static void set_handler(int sig, void (*h)(int), int flags, const sigset_t *mask)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    if (mask)
        sa.sa_mask = *mask;
    else
        sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    if (sigaction(sig, &sa, NULL) != 0)
        fail("sigaction(%d): %s", sig, errname(errno));
}

static void set_action(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | flags;
    if (sigaction(sig, &sa, NULL) != 0)
        fail("sigaction(%d): %s", sig, errname(errno));
}

static void set_default(int sig)
{
    set_handler(sig, SIG_DFL, 0, NULL);
}

static int is_blocked(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, sig);
}

static void block(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &s, NULL));
}

static void unblock(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &s, NULL));
}

static const char *code_name(int code)
{
    static char buf[32];
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_TIMER: return "SI_TIMER";
    default:
        snprintf(buf, sizeof buf, "code=%d", code);
        return buf;
    }
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t usr1_count, usr2_count, self_blocked_in_handler;

static void h_count(int sig)
{
    if (sig == SIGUSR1) {
        usr1_count++;
        self_blocked_in_handler = is_blocked(SIGUSR1);
    } else if (sig == SIGUSR2) {
        usr2_count++;
    }
}

static void test_basic(void)
{
    struct sigaction q;

    set_handler(SIGUSR1, h_count, 0, NULL);
    usr1_count = 0;
    CHECK_SYS(kill(getpid(), SIGUSR1));
    printf("kill(getpid(), SIGUSR1): handler ran %d time(s) before kill returned\n",
           (int)usr1_count);
    printf("SIGUSR1 blocked while its handler runs: %s\n", yesno(self_blocked_in_handler));
    printf("SIGUSR1 unblocked after handler returns: %s\n", yesno(!is_blocked(SIGUSR1)));

    usr1_count = 0;
    CHECK_SYS(raise(SIGUSR1));
    printf("raise(SIGUSR1): handler ran %d time(s)\n", (int)usr1_count);

    CHECK_SYS(sigaction(SIGUSR1, NULL, &q));
    printf("sigaction query returns installed handler: %s\n", yesno(q.sa_handler == h_count));

    CHECK_SYS(kill(getpid(), 0));
    printf("kill(getpid(), 0): ok\n");
    CHECK_ERR(kill(getpid(), 1000), EINVAL);
    printf("kill with signal 1000: EINVAL\n");
    memset(&q, 0, sizeof q);
    q.sa_handler = h_count;
    CHECK_ERR(sigaction(SIGKILL, &q, NULL), EINVAL);
    CHECK_ERR(sigaction(SIGSTOP, &q, NULL), EINVAL);
    printf("sigaction on SIGKILL / SIGSTOP: EINVAL\n");

    set_handler(SIGUSR1, SIG_IGN, 0, NULL);
    CHECK_SYS(kill(getpid(), SIGUSR1));
    printf("SIGUSR1 with SIG_IGN: process survives\n");
    set_default(SIGUSR1);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t info_signo, info_code, info_pid_ok, info_uid_ok, info_val;

static void h_info(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    info_signo = si->si_signo;
    info_code = si->si_code;
    info_pid_ok = si->si_pid == getpid();
    info_uid_ok = si->si_uid == getuid();
    info_val = si->si_value.sival_int;
}

static void test_siginfo(void)
{
    union sigval v;

    set_action(SIGUSR1, h_info, 0);
    info_signo = 0;
    CHECK_SYS(kill(getpid(), SIGUSR1));
    printf("kill: si_signo %s, si_code %s, si_pid is self: %s, si_uid is self: %s\n",
           info_signo == SIGUSR1 ? "SIGUSR1" : "?", code_name(info_code),
           yesno(info_pid_ok), yesno(info_uid_ok));

    info_signo = 0;
    CHECK_SYS(raise(SIGUSR1));
    printf("raise: si_signo %s, si_code %s, si_pid is self: %s\n",
           info_signo == SIGUSR1 ? "SIGUSR1" : "?", code_name(info_code),
           yesno(info_pid_ok));

    info_signo = 0;
    v.sival_int = 1234;
    CHECK_SYS(sigqueue(getpid(), SIGUSR1, v));
    printf("sigqueue: si_signo %s, si_code %s, si_value %d\n",
           info_signo == SIGUSR1 ? "SIGUSR1" : "?", code_name(info_code), (int)info_val);
    set_default(SIGUSR1);
}

/* ------------------------------------------------------------------ */

static void test_mask_pending(void)
{
    sigset_t pend, old, s;

    set_handler(SIGUSR2, h_count, 0, NULL);
    usr2_count = 0;
    block(SIGUSR2);
    CHECK_SYS(kill(getpid(), SIGUSR2));
    CHECK_SYS(kill(getpid(), SIGUSR2));
    CHECK_SYS(kill(getpid(), SIGUSR2));
    printf("SIGUSR2 blocked, sent 3 times: handler ran %d time(s)\n", (int)usr2_count);
    CHECK_SYS(sigpending(&pend));
    printf("sigpending contains SIGUSR2: %s, SIGUSR1: %s\n",
           yesno(sigismember(&pend, SIGUSR2)), yesno(sigismember(&pend, SIGUSR1)));
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &s, &old));
    printf("after unblock: handler ran %d time(s) (standard signals coalesce)\n",
           (int)usr2_count);
    printf("old mask returned by sigprocmask contained SIGUSR2: %s\n",
           yesno(sigismember(&old, SIGUSR2)));
    CHECK_SYS(sigpending(&pend));
    printf("nothing pending afterwards: %s\n", yesno(!sigismember(&pend, SIGUSR2)));

    sigemptyset(&s);
    sigaddset(&s, SIGKILL);
    sigaddset(&s, SIGSTOP);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &s, NULL));
    printf("SIGKILL/SIGSTOP cannot be blocked: %s\n",
           yesno(!is_blocked(SIGKILL) && !is_blocked(SIGSTOP)));
    sigemptyset(&s);
    CHECK_SYS(sigprocmask(SIG_SETMASK, &s, NULL));
    CHECK_ERR(sigprocmask(12345, &s, NULL), EINVAL);
    printf("sigprocmask with bad 'how': EINVAL\n");
    set_default(SIGUSR2);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t order[8], order_n;

static void h_order(int sig)
{
    if (order_n < 8)
        order[order_n++] = sig;
}

static volatile sig_atomic_t rt_vals[8], rt_n;

static void h_rt(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    if (rt_n < 8)
        rt_vals[rt_n++] = si->si_value.sival_int;
}

static void test_order_and_rt(void)
{
    sigset_t both, m;
    int i, rt = SIGRTMIN + 1;
    union sigval v;

    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    set_handler(SIGUSR1, h_order, 0, &both);
    set_handler(SIGUSR2, h_order, 0, &both);
    CHECK_SYS(sigprocmask(SIG_BLOCK, &both, NULL));
    order_n = 0;
    CHECK_SYS(kill(getpid(), SIGUSR2));
    CHECK_SYS(kill(getpid(), SIGUSR1));
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &both, NULL));
    printf("two pending signals (sent USR2 then USR1) delivered in order:");
    for (i = 0; i < order_n; i++)
        printf(" %s", order[i] == SIGUSR1 ? "SIGUSR1" : order[i] == SIGUSR2 ? "SIGUSR2" : "?");
    printf("\n");
    set_default(SIGUSR1);
    set_default(SIGUSR2);

    set_action(rt, h_rt, 0);
    block(rt);
    rt_n = 0;
    for (i = 0; i < 3; i++) {
        v.sival_int = 101 + i;
        CHECK_SYS(sigqueue(getpid(), rt, v));
    }
    printf("real-time signal queued 3 times while blocked: handler ran %d time(s)\n", (int)rt_n);
    sigemptyset(&m);
    sigaddset(&m, rt);
    CHECK_SYS(sigprocmask(SIG_UNBLOCK, &m, NULL));
    printf("after unblock: delivered %d time(s), values in order:", (int)rt_n);
    for (i = 0; i < rt_n; i++)
        printf(" %d", (int)rt_vals[i]);
    printf("\n");
    set_default(rt);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t nest_depth, nest_max, nest_calls;

static void h_nest(int sig)
{
    nest_calls++;
    nest_depth++;
    if (nest_depth > nest_max)
        nest_max = nest_depth;
    if (nest_calls == 1)
        raise(sig);
    nest_depth--;
}

static void test_flags(void)
{
    struct sigaction q;

    set_handler(SIGUSR1, h_count, SA_RESETHAND, NULL);
    usr1_count = 0;
    raise(SIGUSR1);
    CHECK_SYS(sigaction(SIGUSR1, NULL, &q));
    printf("SA_RESETHAND: handler ran %d time(s), disposition now SIG_DFL: %s\n",
           (int)usr1_count, yesno(q.sa_handler == SIG_DFL));

    nest_depth = nest_max = nest_calls = 0;
    set_handler(SIGUSR1, h_nest, 0, NULL);
    raise(SIGUSR1);
    printf("without SA_NODEFER: raise inside handler -> calls %d, max nesting %d\n",
           (int)nest_calls, (int)nest_max);
    nest_depth = nest_max = nest_calls = 0;
    set_handler(SIGUSR1, h_nest, SA_NODEFER, NULL);
    raise(SIGUSR1);
    printf("with SA_NODEFER: raise inside handler -> calls %d, max nesting %d\n",
           (int)nest_calls, (int)nest_max);
    set_default(SIGUSR1);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t got_usr1;
static void h_flag(int sig) { (void)sig; got_usr1 = 1; }

static void test_sigsuspend(void)
{
    sigset_t old, waitmask;
    pid_t pid;
    int r = 0, e = 0;

    set_handler(SIGUSR1, h_flag, 0, NULL);
    got_usr1 = 0;
    block(SIGUSR1);
    CHECK_SYS(sigprocmask(SIG_BLOCK, NULL, &old));
    pid = t_fork();
    if (pid == 0) {
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    waitmask = old;
    sigdelset(&waitmask, SIGUSR1);
    while (!got_usr1) {
        r = sigsuspend(&waitmask);
        e = errno;
    }
    printf("sigsuspend woken by SIGUSR1 from child: returned %d %s\n", r, errname(e));
    printf("mask restored after sigsuspend (SIGUSR1 still blocked): %s\n",
           yesno(is_blocked(SIGUSR1)));
    t_wait_ok(pid, "sigsuspend child");
    unblock(SIGUSR1);

    /* sigwaitinfo / sigtimedwait */
    block(SIGUSR2);
    CHECK_SYS(kill(getpid(), SIGUSR2));
    {
        sigset_t w;
        siginfo_t si;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        int s;
        sigemptyset(&w);
        sigaddset(&w, SIGUSR2);
        memset(&si, 0, sizeof si);
        s = sigwaitinfo(&w, &si);
        printf("sigwaitinfo: returned %s, si_code %s\n",
               s == SIGUSR2 ? "SIGUSR2" : "?", code_name(si.si_code));
        CHECK_ERR(sigtimedwait(&w, &si, &ts), EAGAIN);
        printf("sigtimedwait with nothing pending, 10ms: EAGAIN\n");
    }
    unblock(SIGUSR2);

    /* A child with a handler that exits with a code. */
    {
        int p[2], st;
        char c;
        CHECK_SYS(pipe(p));
        pid = t_fork();
        if (pid == 0) {
            close(p[0]);
            set_handler(SIGUSR1, h_flag, 0, NULL);
            got_usr1 = 0;
            if (write(p[1], "r", 1) != 1)
                _exit(100);
            while (!got_usr1)
                pause();
            _exit(33);
        }
        close(p[1]);
        CHECK(t_read_full(p[0], &c, 1) == 1, "child ready");
        close(p[0]);
        CHECK_SYS(kill(pid, SIGUSR1));
        st = t_wait(pid);
        CHECK(WIFEXITED(st), "handler child status 0x%x", st);
        printf("signal sent to child with handler: child exited with %d\n", WEXITSTATUS(st));
    }
    set_default(SIGUSR1);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t alrm_count;
static void h_alrm(int sig) { (void)sig; alrm_count++; }

static void disarm(void)
{
    struct itimerval it;
    memset(&it, 0, sizeof it);
    CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

static void arm(long first_us, long interval_us)
{
    struct itimerval it;
    it.it_value.tv_sec = first_us / 1000000;
    it.it_value.tv_usec = first_us % 1000000;
    it.it_interval.tv_sec = interval_us / 1000000;
    it.it_interval.tv_usec = interval_us % 1000000;
    CHECK_SYS(setitimer(ITIMER_REAL, &it, NULL));
}

static void test_alarm_pause(void)
{
    unsigned r;
    int pr = 0, pe = 0;
    struct itimerval it;

    set_handler(SIGALRM, h_alrm, 0, NULL);
    r = alarm(5);
    printf("alarm(5) with no alarm pending returned %u\n", r);
    r = alarm(0);
    printf("alarm(0) returned remaining seconds in [4,5]: %s\n", yesno(r == 4 || r == 5));

    alrm_count = 0;
    /* periodic so that a tick landing before pause() cannot hang the test */
    arm(10000, 10000);
    CHECK_SYS(getitimer(ITIMER_REAL, &it));
    CHECK(it.it_interval.tv_sec == 0 && it.it_interval.tv_usec >= 10000 &&
          it.it_interval.tv_usec < 20000, "getitimer interval");
    while (!alrm_count) {
        pr = pause();
        pe = errno;
    }
    disarm();
    printf("setitimer 10ms + pause: SIGALRM handled, pause returned %d %s\n", pr, errname(pe));
    CHECK_SYS(getitimer(ITIMER_REAL, &it));
    printf("getitimer after disarm is zero: %s\n",
           yesno(!it.it_value.tv_sec && !it.it_value.tv_usec &&
                 !it.it_interval.tv_sec && !it.it_interval.tv_usec));
    set_default(SIGALRM);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t chld_flag, chld_code, chld_status, chld_pid_ok;
static volatile pid_t chld_expect;

static void h_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == chld_expect;
    chld_flag = 1;
}

static const char *cld_name(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "?";
    }
}

static void test_sigchld(void)
{
    sigset_t old, w;
    pid_t pid;
    int st;

    set_action(SIGCHLD, h_chld, SA_NOCLDSTOP);
    block(SIGCHLD);
    CHECK_SYS(sigprocmask(SIG_BLOCK, NULL, &old));
    w = old;
    sigdelset(&w, SIGCHLD);

    chld_flag = 0;
    pid = t_fork();
    if (pid == 0)
        _exit(5);
    chld_expect = pid;
    while (!chld_flag)
        sigsuspend(&w);
    printf("SIGCHLD handler: si_code %s, si_status %d, si_pid is child: %s\n",
           cld_name(chld_code), (int)chld_status, yesno(chld_pid_ok));
    st = t_wait(pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 5, "sigchld child 0x%x", st);

    chld_flag = 0;
    pid = t_fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    chld_expect = pid;
    CHECK_SYS(kill(pid, SIGKILL));
    while (!chld_flag)
        sigsuspend(&w);
    printf("SIGCHLD handler: si_code %s, si_status is SIGKILL: %s, si_pid is child: %s\n",
           cld_name(chld_code), yesno(chld_status == SIGKILL), yesno(chld_pid_ok));
    st = t_wait(pid);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "killed child 0x%x", st);
    unblock(SIGCHLD);

    /* SIGCHLD ignored: children are reaped automatically. */
    set_handler(SIGCHLD, SIG_IGN, 0, NULL);
    pid = t_fork();
    if (pid == 0)
        _exit(0);
    {
        pid_t r;
        int e;
        do {
            r = waitpid(pid, &st, 0);
            e = errno;
        } while (r < 0 && e == EINTR);
        printf("SIGCHLD set to SIG_IGN: waitpid returns %s\n",
               r < 0 ? errname(e) : "a status (not auto-reaped)");
    }
    set_default(SIGCHLD);
}

/* ------------------------------------------------------------------ */

static sigjmp_buf segv_env;
static volatile sig_atomic_t segv_code;
static void *volatile segv_addr;

static void h_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig; (void)uc;
    segv_code = si->si_code;
    segv_addr = si->si_addr;
    siglongjmp(segv_env, 1);
}

static void test_segv(void)
{
    volatile int round;
    for (round = 1; round <= 2; round++) {
        set_action(SIGSEGV, h_segv, 0);
        segv_addr = (void *)1;
        if (sigsetjmp(segv_env, 1) == 0) {
            volatile int *volatile p = NULL;
            *p = 1;
            fail("write to NULL did not fault");
        }
        printf("round %d: caught SIGSEGV writing to NULL, si_addr is NULL: %s, si_code %s\n",
               round, yesno(segv_addr == NULL),
               segv_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other");
        printf("round %d: SIGSEGV unblocked after siglongjmp: %s\n", round,
               yesno(!is_blocked(SIGSEGV)));
    }
    set_default(SIGSEGV);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t tick_count, tick_wrote;
static int tick_fd = -1;

static void h_tick(int sig) { (void)sig; tick_count++; }

static void h_tick_write(int sig)
{
    (void)sig;
    tick_count++;
    if (tick_count >= 2 && !tick_wrote) {
        tick_wrote = 1;
        (void)!write(tick_fd, "R", 1);
    }
}

static void test_restart(void)
{
    int p[2];
    char c = 0;
    ssize_t r;
    int e;

    CHECK_SYS(pipe(p));

    set_handler(SIGALRM, h_tick, 0, NULL);
    tick_count = 0;
    arm(5000, 5000);
    r = read(p[0], &c, 1);
    e = errno;
    disarm();
    printf("blocking pipe read + SIGALRM without SA_RESTART: returned %ld %s\n",
           (long)r, r < 0 ? errname(e) : "");

    set_handler(SIGALRM, h_tick_write, SA_RESTART, NULL);
    tick_count = 0;
    tick_wrote = 0;
    tick_fd = p[1];
    arm(5000, 5000);
    r = read(p[0], &c, 1);
    e = errno;
    disarm();
    printf("blocking pipe read + SIGALRM with SA_RESTART: returned %ld %s, byte '%c'\n",
           (long)r, r < 0 ? errname(e) : "(restarted)", r == 1 ? c : '?');

    /* poll and nanosleep are never restarted, even with SA_RESTART. */
    set_handler(SIGALRM, h_tick, SA_RESTART, NULL);
    {
        struct pollfd pf = { p[0], POLLIN, 0 };
        int pr;
        arm(5000, 5000);
        pr = poll(&pf, 1, 2000);
        e = errno;
        disarm();
        printf("poll interrupted with SA_RESTART: returned %d %s\n", pr, pr < 0 ? errname(e) : "");
    }
    {
        struct timespec req = { 0, 300 * 1000 * 1000 }, rem = { 0, 0 };
        int nr;
        arm(5000, 5000);
        nr = nanosleep(&req, &rem);
        e = errno;
        disarm();
        printf("nanosleep interrupted with SA_RESTART: returned %d %s, remaining > 0: %s\n",
               nr, nr < 0 ? errname(e) : "", yesno(rem.tv_sec > 0 || rem.tv_nsec > 0));
    }
    set_default(SIGALRM);
    close(p[0]);
    close(p[1]);
}

/* ------------------------------------------------------------------ */

static char *alt_base;
static size_t alt_size;
static volatile sig_atomic_t alt_on, alt_flag_onstack;

static void h_alt(int sig)
{
    int local;
    stack_t cur;
    uintptr_t a = (uintptr_t)&local, lo = (uintptr_t)alt_base;
    (void)sig;
    alt_on = a >= lo && a < lo + alt_size;
    if (sigaltstack(NULL, &cur) == 0)
        alt_flag_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
}

static sigjmp_buf ovf_env;
static volatile sig_atomic_t ovf_on_alt;

static void h_ovf(int sig, siginfo_t *si, void *uc)
{
    int local;
    uintptr_t a = (uintptr_t)&local, lo = (uintptr_t)alt_base;
    (void)sig; (void)si; (void)uc;
    ovf_on_alt = a >= lo && a < lo + alt_size;
    siglongjmp(ovf_env, 1);
}

static volatile int ovf_limit = 1 << 30;

static int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    pad[511] = (char)n;
    if (n >= ovf_limit)
        return pad[0];
    return recurse(n + 1) + pad[511];
}

static void test_altstack(void)
{
    stack_t ss, old;
    int local;
    uintptr_t a;
    struct rlimit rl;

    alt_size = 256 * 1024;
    alt_base = malloc(alt_size);
    CHECK(alt_base != NULL, "malloc altstack");
    ss.ss_sp = alt_base;
    ss.ss_size = alt_size;
    ss.ss_flags = 0;
    CHECK_SYS(sigaltstack(&ss, &old));
    printf("sigaltstack: no alternate stack before (SS_DISABLE): %s\n",
           yesno(old.ss_flags & SS_DISABLE));

    set_handler(SIGUSR2, h_alt, SA_ONSTACK, NULL);
    alt_on = 0;
    raise(SIGUSR2);
    printf("SA_ONSTACK handler local variable lies inside the alt stack: %s\n", yesno(alt_on));
    printf("sigaltstack inside handler reports SS_ONSTACK: %s\n", yesno(alt_flag_onstack));
    a = (uintptr_t)&local;
    printf("main code is not on the alt stack: %s\n",
           yesno(!(a >= (uintptr_t)alt_base && a < (uintptr_t)alt_base + alt_size)));

    set_handler(SIGUSR2, h_alt, 0, NULL);
    alt_on = 1;
    raise(SIGUSR2);
    printf("handler without SA_ONSTACK runs on the normal stack: %s\n", yesno(!alt_on));
    set_default(SIGUSR2);

    /* Stack overflow caught on the alternate stack. */
    CHECK_SYS(getrlimit(RLIMIT_STACK, &rl));
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)8 << 20) {
        rl.rlim_cur = (rlim_t)8 << 20;
        CHECK_SYS(setrlimit(RLIMIT_STACK, &rl));
    }
    set_action(SIGSEGV, h_ovf, SA_ONSTACK);
    ovf_on_alt = 0;
    if (sigsetjmp(ovf_env, 1) == 0) {
        recurse(0);
        fail("unbounded recursion did not fault");
    }
    printf("stack overflow: SIGSEGV caught on the alternate stack: %s\n", yesno(ovf_on_alt));
    set_default(SIGSEGV);

    ss.ss_sp = NULL;
    ss.ss_size = 0;
    ss.ss_flags = SS_DISABLE;
    CHECK_SYS(sigaltstack(&ss, NULL));
    CHECK_SYS(sigaltstack(NULL, &old));
    printf("sigaltstack disabled again: %s\n", yesno(old.ss_flags & SS_DISABLE));
    free(alt_base);
}

/* ------------------------------------------------------------------ */

static volatile sig_atomic_t fp_hits;
static volatile double fp_sink;

static void h_fp(int sig)
{
    double x = 1.0 + sig, y = 3.0;
    int i;
    for (i = 0; i < 200; i++) {
        x = x * 1.0000001 + y;
        y = y / 1.0000003 - 0.5;
    }
    fp_sink = x + y;
    fp_hits++;
}

static double fp_work(unsigned n, double seed)
{
    double a = seed, b = 0.5, c = 0.25, d = 2.0;
    unsigned i;
    for (i = 0; i < n; i++) {
        a = a * 1.000001 + b;
        b = b * 0.999999 + c * 1e-3;
        c = c + d * 1e-7;
        d = d - a * 1e-12;
    }
    return a + b + c + d;
}

static volatile double fp_seed = 1.25;

static void test_fp(void)
{
    double s = fp_seed, t = s * 3.0, u = s / 7.0, before, after, expect, got;
    int rounds = 0, ok = 1;

    set_handler(SIGUSR1, h_fp, 0, NULL);
    before = (s * 2.0 + t) / u;
    fp_hits = 0;
    raise(SIGUSR1);
    after = (s * 2.0 + t) / u;
    printf("fp values live across raise() unchanged: %s (handler ran: %s)\n",
           yesno(memcmp(&before, &after, sizeof before) == 0), yesno(fp_hits == 1));

    /* Asynchronous: timer signals land in the middle of an FP loop. */
    set_handler(SIGALRM, h_fp, SA_RESTART, NULL);
    expect = fp_work(100000, fp_seed);
    fp_hits = 0;
    arm(1000, 1000);
    while (fp_hits < 5 && rounds < 100000) {
        got = fp_work(100000, fp_seed);
        if (memcmp(&got, &expect, sizeof got) != 0)
            ok = 0;
        rounds++;
    }
    disarm();
    CHECK(fp_hits >= 5, "timer signals did not arrive");
    printf("fp loop results identical while async SIGALRM handlers did fp work: %s\n", yesno(ok));
    set_default(SIGALRM);
    set_default(SIGUSR1);
}

int main(void)
{
    t_init("signals");
    test_basic();
    test_siginfo();
    test_mask_pending();
    test_order_and_rt();
    test_flags();
    test_sigsuspend();
    test_alarm_pause();
    test_sigchld();
    test_segv();
    test_restart();
    test_altstack();
    test_fp();
    t_done();
    return 0;
}
